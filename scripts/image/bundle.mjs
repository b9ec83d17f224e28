#!/usr/bin/env node
// Bundles the whole CLI into build/bundle/: p2pnc.mjs plus chunks, runnable by plain `node` without node_modules.
// The synth command's charts (cdk8s) are imported on demand and land in a chunk the runtime commands never load;
// this script fails if any cdk8s module becomes reachable from the entry through static imports.
// The ICMP addon (native/icmp, compiled here when missing or stale) lands beside p2pnc.mjs as icmp.node.
import { copyFileSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { buildIcmpAddon } from '../../native/icmp/build.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');
const outdir = process.env.P2PNC_BUNDLE_DIR ?? join(repoRoot, 'build/bundle');
const ENTRY = 'p2pnc.mjs';
const HEAVY = /node_modules\/(cdk8s|cdk8s-plus-\d+|constructs)\//;

const packageJsonPath = join(repoRoot, 'package.json');
const { version } = JSON.parse(readFileSync(packageJsonPath, 'utf8'));
/** src/api/version.ts imports package.json for its version: the bundle gets that field, not the whole file. */
const versionOnly = {
  name: 'package-json-version-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]package\.json$/ }, (args) =>
      args.path === packageJsonPath ? { contents: JSON.stringify({ version }), loader: 'json' } : undefined,
    );
  },
};

rmSync(outdir, { recursive: true, force: true });
const started = Date.now();
const result = await build({
  absWorkingDir: repoRoot,
  entryPoints: [{ in: 'scripts/image/entry.ts', out: 'p2pnc' }],
  outdir,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  // Readable names in P2PNC_DEBUG stack traces for a few kilobytes.
  keepNames: true,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  banner: {
    // CommonJS dependencies call require() for Node built-ins, which an ES module has no binding for.
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __p2pncCreateRequire } from 'node:module';",
      'const require = __p2pncCreateRequire(import.meta.url);',
    ].join('\n'),
  },
  plugins: [versionOnly],
  metafile: true,
  logLevel: 'warning',
});

copyFileSync(buildIcmpAddon(), join(outdir, 'icmp.node'));

// The module graph, for test/image/bundle.test.ts: what each command can load.
if (process.env.P2PNC_BUNDLE_METAFILE)
  writeFileSync(process.env.P2PNC_BUNDLE_METAFILE, JSON.stringify(result.metafile));

const outputs = result.metafile.outputs;
const entryKey = Object.keys(outputs).find((key) => key.endsWith(`/${ENTRY}`) || key === ENTRY);
if (!entryKey) throw new Error(`esbuild wrote no ${ENTRY}`);

// Everything the entry loads at start: itself and its static imports, transitively.
const eager = new Set([entryKey]);
for (const key of eager) {
  for (const imported of outputs[key].imports) {
    if (imported.kind === 'import-statement' && !imported.external && outputs[imported.path]) eager.add(imported.path);
  }
}
const heavyEager = [...eager].flatMap((key) => Object.keys(outputs[key].inputs).filter((input) => HEAVY.test(input)));
if (heavyEager.length > 0) {
  console.error(`bundle: cdk8s modules are loaded at start, not on demand:\n  ${heavyEager.slice(0, 10).join('\n  ')}`);
  process.exit(1);
}

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
let total = statSync(join(outdir, 'icmp.node')).size;
console.log(`bundle: ${'icmp.node'.padEnd(28)} ${kib(total).padStart(11)}  loaded by icmp probes`);
for (const key of Object.keys(outputs).sort()) {
  const size = statSync(join(repoRoot, key)).size;
  total += size;
  const role =
    key === entryKey
      ? 'entry'
      : eager.has(key)
        ? 'loaded at start'
        : Object.keys(outputs[key].inputs).some((input) => HEAVY.test(input))
          ? 'on demand (synth, cdk8s)'
          : 'on demand';
  console.log(`bundle: ${relative(outdir, join(repoRoot, key)).padEnd(28)} ${kib(size).padStart(11)}  ${role}`);
}
console.log(
  `bundle: ${Object.keys(outputs).length + 1} files, ${kib(total)} in ${relative(process.cwd(), outdir) || '.'}/ (${Date.now() - started} ms)`,
);
