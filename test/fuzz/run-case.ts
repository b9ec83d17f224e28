/**
 * One fuzz case through synth's code path, in this process: load the file, synthesize into a fresh folder, and
 * print an error as the CLI does (src/cli/run.ts reportError). The outcome is classified, never trusted.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthesize } from '../../charts/app.js';
import { reportError } from '../../src/cli/run.js';
import { loadTopologyFile } from '../../src/topology/load.js';
import { readDist, type K8sObject } from '../helpers/synth.js';
import type { FuzzCase } from './mutations.js';

/** Limits every rejection must keep. */
export const REJECTION_LIMITS = { ms: 2000, stderrBytes: 4096 };

export type Outcome =
  | { kind: 'accepted'; objects: K8sObject[]; stderr: string; ms: number }
  | { kind: 'rejected'; exitCode: number; stderr: string; ms: number }
  | { kind: 'broken'; why: string; stderr: string; ms: number };

/** Runs the case in `dir` (which it creates): the topology file, and `dist` as the output folder. */
export function runInProcess(fuzzCase: FuzzCase, dir: string): Outcome {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, fuzzCase.fileName);
  writeFileSync(file, fuzzCase.bytes);
  const out = join(dir, 'dist');
  let stderr = '';
  const started = performance.now();
  try {
    const topology = loadTopologyFile(file, { warn: (line) => (stderr += `${line}\n`) });
    synthesize(topology, out);
    const ms = performance.now() - started;
    const { objects } = readDist(out);
    return { kind: 'accepted', objects, stderr, ms };
  } catch (error) {
    const write = process.stderr.write;
    let exitCode: number;
    process.stderr.write = ((chunk: string | Uint8Array) => {
      stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      return true;
    }) as typeof process.stderr.write;
    try {
      exitCode = reportError(error);
    } finally {
      process.stderr.write = write;
    }
    const ms = performance.now() - started;
    const why = rejectionProblem(exitCode, stderr, ms, readdirSync(dir), fuzzCase.fileName);
    return why ? { kind: 'broken', why, stderr, ms } : { kind: 'rejected', exitCode, stderr, ms };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * What is wrong with a rejection, if anything: it must exit 1 with a message naming file, line and path for each
 * problem, no stack trace or "looks like a bug", a few KB at most, within the time limit, and leave no output.
 */
export function rejectionProblem(exitCode: number | null, stderr: string, ms: number, left: readonly string[], fileName: string): string | undefined {
  if (exitCode !== 1) return `exit code ${exitCode}, not 1`;
  if (/looks like a bug/.test(stderr)) return 'internal error ("looks like a bug")';
  if (/\n\s+at .+:\d+:\d+\)?\n/.test(stderr)) return 'stack trace in stderr';
  if (Buffer.byteLength(stderr) > REJECTION_LIMITS.stderrBytes) return `${Buffer.byteLength(stderr)} bytes of stderr`;
  if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(stderr)) return 'control characters in stderr';
  if (ms > REJECTION_LIMITS.ms) return `took ${Math.round(ms)} ms`;
  const lines = stderr.replace(/^warning: .*\n/gm, '').trimEnd().split('\n');
  if (!/^error: invalid topology \S+ \(\d+ problems?\); fix the file and run again:$/.test(lines[0] ?? '')) return `first line is not the topology error header: ${lines[0]}`;
  const problem = /^ {2}\S*\/?[^/\s:]+:\d+: \S.*?: \S/;
  for (const line of lines.slice(1)) if (!problem.test(line) && !/^ {2}and \d+ more problems?$/.test(line)) return `a problem without file:line: path: ${line}`;
  if (lines.length < 2) return 'no problem listed';
  const unexpected = left.filter((entry) => entry !== fileName);
  if (unexpected.length > 0) return `output left behind: ${unexpected.join(', ')}`;
  return undefined;
}
