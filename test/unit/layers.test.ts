/**
 * The layers of DESIGN.md, kept: arrows point down `api <- topology <- constructs/charts`, `api <- runtime`,
 * `api/topology/runtime <- ops <- cli`. A value import against an arrow fails here with the file and the import.
 * Type-only imports are erased when compiled, so they are allowed.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(join(ROOT, path)).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Value imports (static and dynamic) of a file, as repository paths. */
function valueImports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [
    ...[...text.matchAll(/^import (?!type )[^;]*?from '([^']+)'/gms)].map((match) => match[1]!),
    ...[...text.matchAll(/^export [^;]*? from '([^']+)'/gm)].map((match) => match[1]!),
    ...[...text.matchAll(/import\('([^']+)'\)/g)].map((match) => match[1]!),
  ];
  return specifiers
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => relative(ROOT, normalize(join(ROOT, dirname(file), specifier))));
}

const RULES: { layer: string; mayImport: string[] }[] = [
  // package.json for its version (api/version.ts): the one fact that lives outside the code.
  { layer: 'src/api/', mayImport: ['src/api/', 'package.json'] },
  { layer: 'src/runtime/', mayImport: ['src/api/', 'src/runtime/', 'src/util/'] },
  { layer: 'src/topology/', mayImport: ['src/api/', 'src/topology/', 'src/util/'] },
  { layer: 'src/ops/', mayImport: ['src/api/', 'src/topology/', 'src/runtime/', 'src/ops/', 'src/util/'] },
  {
    layer: 'src/constructs/',
    mayImport: ['src/api/', 'src/topology/', 'src/constructs/', 'src/monitoring/', 'src/util/'],
  },
  {
    layer: 'charts/',
    mayImport: ['src/api/', 'src/topology/', 'src/constructs/', 'src/monitoring/', 'src/util/', 'charts/'],
  },
];

for (const { layer, mayImport } of RULES) {
  test(`${layer} imports only ${mayImport.join(', ')}`, () => {
    const wrong = files(layer).flatMap((file) =>
      valueImports(file)
        .filter((target) => !mayImport.some((allowed) => target.startsWith(allowed)))
        .map((target) => `${file} -> ${target}`),
    );
    assert.deepEqual(wrong, []);
  });
}
