import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SNAPSHOT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '__snapshots__');

/**
 * Compares `actual` with the stored snapshot. UPDATE_SNAPSHOTS=1 rewrites it; a missing snapshot is written
 * on a developer machine but fails under CI, so CI never passes on a snapshot it just created.
 */
export function matchSnapshot(name: string, actual: string): void {
  matchFile(join(SNAPSHOT_DIR, name), actual, `snapshot ${name}`);
}

/** matchSnapshot for a generated file kept elsewhere in the repository (examples derived from code). */
export function matchFile(file: string, actual: string, name = file): void {
  if (process.env.UPDATE_SNAPSHOTS === '1' || (!existsSync(file) && process.env.CI !== 'true')) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `${name} is missing; run the tests with UPDATE_SNAPSHOTS=1 and commit it`);
  assert.equal(
    actual,
    readFileSync(file, 'utf8'),
    `${name} differs; if the change is intended, run with UPDATE_SNAPSHOTS=1`,
  );
}
