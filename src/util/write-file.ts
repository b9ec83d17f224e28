/** Writes a whole file or nothing: a temporary file next to it, renamed (or linked, to never replace) into place. */
import { linkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { UsageError } from './errors.js';

export function writeFileAtomic(path: string, text: string, options: { overwrite: boolean }): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  writeFileSync(temporary, text, { flag: 'wx' });
  try {
    if (options.overwrite) renameSync(temporary, path);
    else linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw existsError(path);
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

export function existsError(path: string): UsageError {
  return new UsageError(`${path} exists; pass --force to replace it, or write elsewhere with -o FILE`);
}
