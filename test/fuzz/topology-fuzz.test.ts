/**
 * Seeded fuzzing of the topology: mutations of the repository's topology.yaml, the examples and the test topology
 * (long strings, deep nesting, aliases, control characters, wrong types, duplicate names, unicode, huge lists, bad
 * addresses and durations, other encodings...). Every case must be either
 *   accepted: synth writes objects that a real kube-apiserver accepts (server-side dry-run), or
 *   rejected: exit 1, each problem with file, line and path, no stack trace or "looks like a bug", a few KB of
 *             stderr at most, no output folder left, within 2 s.
 * Anything else fails, printing the seed and the case. Reproduce one with P2PNC_FUZZ_SEED=<seed> P2PNC_FUZZ_ONLY=<case>;
 * P2PNC_FUZZ_CASES sets how many cases run (default 300).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { synthesize } from '../../charts/app.js';
import { TopologySchema } from '../../src/topology/schema.js';
import { defaultBinDir } from '../cluster/harness.js';
import { inCI, startOrSkip } from '../cluster/support.js';
import { parseTopology } from '../../src/topology/load.js';
import { readDist } from '../helpers/synth.js';
import { smallTopology } from '../helpers/topologies.js';
import { edgeTopologies } from './edge-topologies.js';
import { serverRejections } from './api-server.js';
import { bases, makeCase, type FuzzCase } from './mutations.js';
import { rejectionProblem, runInProcess, type Outcome } from './run-case.js';

const SEED = Number(process.env.P2PNC_FUZZ_SEED ?? 20261201);
const CASES = Number(process.env.P2PNC_FUZZ_CASES ?? 300);
/** One case number to run alone (P2PNC_FUZZ_ONLY=139), to reproduce a failure quickly. */
const ONLY = process.env.P2PNC_FUZZ_ONLY === undefined ? undefined : Number(process.env.P2PNC_FUZZ_ONLY);
/** Every how many cases one also runs through `node bin/p2pnc.js synth` in a child process. */
const SUBPROCESS_EVERY = 50;
/** Wall time after which a child process counts as hung. */
const HANG_MS = 20_000;

interface Result {
  fuzzCase: FuzzCase;
  outcome: Outcome;
}

const describeCase = (fuzzCase: FuzzCase) =>
  `case ${fuzzCase.id} (P2PNC_FUZZ_SEED=${SEED}, base ${fuzzCase.base}, ${fuzzCase.fileName}): ${fuzzCase.mutations.join('; ')}`;

test(`topology fuzz: ${ONLY === undefined ? `${CASES} cases` : `case ${ONLY}`}, seed ${SEED}`, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'p2pnc-fuzz-'));
  const all = bases();
  const results: Result[] = [];
  const started = performance.now();
  try {
    await t.test('every case is accepted or cleanly rejected, in process', () => {
      const failures: string[] = [];
      for (let id = ONLY ?? 0; id < (ONLY === undefined ? CASES : ONLY + 1); id++) {
        const fuzzCase = makeCase(SEED, id, all);
        // Every 10th case writes into a folder holding an earlier synth's output.
        const prepare =
          id % 10 === 5 ? (out: string) => void synthesize(TopologySchema.parse(smallTopology()), out) : undefined;
        const outcome = runInProcess(fuzzCase, join(root, `case-${id}`), prepare);
        results.push({ fuzzCase, outcome });
        if (outcome.kind === 'broken')
          failures.push(
            `${describeCase(fuzzCase)}\n    -> ${outcome.why}\n    stderr: ${outcome.stderr.slice(0, 1500)}`,
          );
      }
      const count = (kind: Outcome['kind']) => results.filter((result) => result.outcome.kind === kind).length;
      const slowestCase = results.reduce((a, b) => (b.outcome.ms > a.outcome.ms ? b : a));
      const slowest = slowestCase.outcome.ms;
      t.diagnostic(
        `${count('accepted')} accepted, ${count('rejected')} rejected, ${count('broken')} broken; slowest case ${Math.round(slowest)} ms of CPU (${slowestCase.outcome.kind}: ${slowestCase.fuzzCase.mutations.join('; ').slice(0, 120)}); ${Math.round(performance.now() - started)} ms in all`,
      );
      assert.deepEqual(failures, []);
      if (ONLY !== undefined) return;
      assert.ok(
        count('accepted') >= CASES / 10,
        `only ${count('accepted')} cases accepted: the mutations test rejection alone`,
      );
      assert.ok(count('rejected') >= CASES / 4, `only ${count('rejected')} cases rejected`);
    });

    await t.test('the real CLI in a child process agrees on a sample', async () => {
      const failures: string[] = [];
      const sample = results.filter((result) => result.fuzzCase.id % SUBPROCESS_EVERY === 0);
      const baseline = await cli(
        join(root, 'baseline'),
        { id: -1, base: 'topology.yaml', mutations: [], fileName: 'topology.yaml', bytes: Buffer.from('') },
        ['--version'],
      );
      for (let i = 0; i < sample.length; i += 2) {
        await Promise.all(
          sample.slice(i, i + 2).map(async ({ fuzzCase, outcome }) => {
            const dir = join(root, `cli-${fuzzCase.id}`);
            const run = await cli(dir, fuzzCase);
            const accepted = run.code === 0;
            if (accepted !== (outcome.kind === 'accepted')) {
              failures.push(
                `${describeCase(fuzzCase)}\n    -> in process ${outcome.kind}, the CLI exited ${run.code}: ${run.stderr.slice(0, 800)}`,
              );
              return;
            }
            if (accepted) return;
            // The time limit is the in-process run's (CPU time); wall time of a child on two shared cores, with Node and
            // tsx starting up, only guards against a hang.
            const hung = run.ms > HANG_MS ? `bin/p2pnc.js took ${Math.round(run.ms)} ms` : undefined;
            const why =
              hung ??
              rejectionProblem(run.code, run.stderr, 0, existsSync(dir) ? readdirSync(dir) : [], fuzzCase.fileName);
            if (why)
              failures.push(
                `${describeCase(fuzzCase)}\n    -> bin/p2pnc.js synth: ${why}\n    stderr: ${run.stderr.slice(0, 1500)}`,
              );
          }),
        );
      }
      t.diagnostic(`${sample.length} cases through bin/p2pnc.js (start-up ${Math.round(baseline.ms)} ms)`);
      assert.deepEqual(failures, []);
    });

    await t.test('a kube-apiserver accepts every accepted case', async (st) => {
      if (!existsSync(join(defaultBinDir(), 'kube-apiserver')) && !inCI && !process.env.P2PNC_TEST_KUBECONFIG) {
        st.skip(
          `no test cluster binaries in ${defaultBinDir()} (scripts/cluster/build.sh builds them; under CI=true this part always runs)`,
        );
        return;
      }
      const cluster = await startOrSkip(st, { build: !existsSync(join(defaultBinDir(), 'kube-apiserver')) });
      if (!cluster) return;
      try {
        const accepted = results.flatMap(({ fuzzCase, outcome }) =>
          outcome.kind === 'accepted' ? [{ id: fuzzCase.id, objects: outcome.objects }] : [],
        );
        // Hand-made topologies at the limit of every format go along, as cases -2, -3, ...
        const edges = edgeTopologies();
        edges.forEach(({ topology }, i) => {
          const out = join(root, `edge-${i}`, 'dist');
          synthesize(parseTopology(JSON.stringify(topology), 'edge.json'), out);
          accepted.push({ id: -2 - i, objects: readDist(out).objects });
        });
        // A canary the server must refuse (a Service name starting with a digit) proves the check can fail.
        const canary = {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: '1-canary', namespace: 'default' },
          spec: { ports: [{ port: 80 }] },
        };
        const before = performance.now();
        const rejected = await serverRejections(cluster, [...accepted, { id: -1, objects: [canary] }]);
        const byId = new Map(results.map((result) => [result.fuzzCase.id, result]));
        assert.match(rejected.get(-1) ?? '', /Service 1-canary: .*Invalid value: "1-canary"/);
        rejected.delete(-1);
        const failures: string[] = [];
        st.diagnostic(
          `${accepted.length} accepted cases, ${accepted.reduce((sum, c) => sum + c.objects.length, 0)} objects (checks sampled past 150 a case), sent in ${Math.round(performance.now() - before)} ms`,
        );
        for (const [id, why] of rejected)
          if (id <= -2) failures.push(`edge topology "${edges[-2 - id]!.name}" -> the API server refused: ${why}`);
          else
            failures.push(
              `${describeCase(byId.get(id)!.fuzzCase)}\n    -> synth accepted it, the API server refused: ${why}`,
            );
        assert.deepEqual(failures, []);
      } finally {
        await cluster.stop();
      }
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
    t.diagnostic(`fuzz suite ${Math.round(performance.now() - started)} ms`);
  }
});

/** `node bin/p2pnc.js synth -f <case file> -o <dir>/dist` (or other args), timed. */
function cli(
  dir: string,
  fuzzCase: FuzzCase,
  args?: string[],
): Promise<{ code: number | null; stderr: string; ms: number }> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, fuzzCase.fileName);
  if (!args) writeFileSync(file, fuzzCase.bytes);
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      ['bin/p2pnc.js', ...(args ?? ['synth', '-f', file, '-o', join(dir, 'dist')])],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stderr, ms: performance.now() - started }));
  });
}
