/**
 * `npm run lint` is ESLint with the repository's eslint.config.js: what it flags in the sources and what it lets
 * through on purpose (tests' `any`, `_`-prefixed unused names, control characters in regular expressions).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

async function rules(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((message) => message.ruleId ?? message.message).sort();
}

test("typescript-eslint's recommended rules apply to the sources", async () => {
  assert.deepEqual(await rules('export const f = (x: any) => { const unused = 1; return x; };\n', 'src/x.ts'), [
    '@typescript-eslint/no-explicit-any',
    '@typescript-eslint/no-unused-vars',
  ]);
  assert.deepEqual(
    await rules('export function f() { try { g(); } catch { throw new Error("x"); } }\n', 'src/x.ts'),
    [],
  );
});

test('what the config allows on purpose', async () => {
  assert.deepEqual(await rules('export const f = (_a: number, b: number) => b;\n', 'src/x.ts'), []);
  assert.deepEqual(await rules('export const ansi = /\\x1b\\[[0-9;]*m/g;\n', 'src/x.ts'), []);
  assert.deepEqual(await rules('export const doc: any = {};\n', 'test/unit/x.test.ts'), []);
});

test('scripts are linted as Node modules (its globals are known)', async () => {
  assert.deepEqual(await rules('console.log(process.argv);\n', 'scripts/x.mjs'), []);
  assert.deepEqual(await rules('console.log(undefinedName);\n', 'scripts/x.mjs'), ['no-undef']);
});
