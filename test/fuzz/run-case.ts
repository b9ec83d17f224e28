/**
 * One fuzz case through synth's code path, in this process: load the file, synthesize into a fresh folder, and
 * print an error as the CLI does (src/util/report-error.ts reportError). The outcome is classified, never trusted.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthesize } from '../../charts/app.js';
import { reportError } from '../../src/util/report-error.js';
import { loadTopologyFile } from '../../src/topology/load.js';
import { readDist, type K8sObject } from '../helpers/synth.js';
import type { FuzzCase } from './mutations.js';

/** Limits every rejection must keep. */
export const REJECTION_LIMITS = { ms: 2000, stderrBytes: 4096 };

export type Outcome =
  /** `ms`: CPU milliseconds the case took. */
  | { kind: 'accepted'; objects: K8sObject[]; stderr: string; ms: number }
  | { kind: 'rejected'; exitCode: number; stderr: string; ms: number }
  | { kind: 'broken'; why: string; stderr: string; ms: number };

/**
 * Runs the case in `dir` (which it creates): the topology file, and `dist` as the output folder. With `prepare`, the
 * folder holds an earlier synth's output first, which a rejection must leave byte for byte.
 */
export function runInProcess(fuzzCase: FuzzCase, dir: string, prepare?: (out: string) => void): Outcome {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, fuzzCase.fileName);
  writeFileSync(file, fuzzCase.bytes);
  const out = join(dir, 'dist');
  prepare?.(out);
  const before = prepare ? readDist(out).files : undefined;
  let stderr = '';
  // CPU time, not wall time: the suite shares two cores with others, and waiting for a core is not the input's doing.
  const started = process.cpuUsage();
  const elapsed = () => {
    const used = process.cpuUsage(started);
    return (used.user + used.system) / 1000;
  };
  try {
    const topology = loadTopologyFile(file, { warn: (line) => (stderr += `${line}\n`) });
    synthesize(topology, out);
    const ms = elapsed();
    const { objects } = readDist(out);
    // An accepted topology may warn, each warning located like an error; nothing else goes to stderr.
    const stray = stderr.split('\n').find((line) => line !== '' && !/^warning: \S+:\d+: \S.*?: \S/.test(line));
    if (stray !== undefined) return { kind: 'broken', why: `stderr of an accepted topology: ${stray}`, stderr, ms };
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
    const ms = elapsed();
    const left = readdirSync(dir).filter((entry) => !(before && entry === 'dist'));
    const changed =
      before && !sameFiles(before, readDist(out).files) ? 'the earlier output in the folder changed' : undefined;
    const why = changed ?? rejectionProblem(exitCode, stderr, ms, left, fuzzCase.fileName);
    return why ? { kind: 'broken', why, stderr, ms } : { kind: 'rejected', exitCode, stderr, ms };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * What is wrong with a rejection, if anything: it must exit 1 with a message naming file, line and path for each
 * problem, no stack trace or "looks like a bug", a few KB at most, within the time limit, and leave no output.
 */
export function rejectionProblem(
  exitCode: number | null,
  stderr: string,
  ms: number,
  left: readonly string[],
  fileName: string,
): string | undefined {
  if (exitCode !== 1) return `exit code ${exitCode}, not 1`;
  if (/looks like a bug/.test(stderr)) return 'internal error ("looks like a bug")';
  if (/\n\s+at .+:\d+:\d+\)?\n/.test(stderr)) return 'stack trace in stderr';
  if (Buffer.byteLength(stderr) > REJECTION_LIMITS.stderrBytes) return `${Buffer.byteLength(stderr)} bytes of stderr`;
  if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(stderr)) return 'control characters in stderr';
  if (ms > REJECTION_LIMITS.ms) return `took ${Math.round(ms)} ms`;
  const lines = stderr
    .replace(/^warning: .*\n/gm, '')
    .trimEnd()
    .split('\n');
  if (!/^error: invalid topology \S+ \(\d+ problems?\); fix the file and run again:$/.test(lines[0] ?? ''))
    return `first line is not the topology error header: ${lines[0]}`;
  const problem = /^ {2}\S*\/?[^/\s:]+:\d+: \S.*?: \S/;
  for (const line of lines.slice(1))
    if (!problem.test(line) && !/^ {2}and \d+ more problems?$/.test(line))
      return `a problem without file:line: path: ${line}`;
  if (lines.length < 2) return 'no problem listed';
  const unexpected = left.filter((entry) => entry !== fileName);
  if (unexpected.length > 0) return `output left behind: ${unexpected.join(', ')}`;
  return undefined;
}

function sameFiles(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([name, text]) => b.get(name) === text);
}
