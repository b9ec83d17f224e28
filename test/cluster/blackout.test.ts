// A control-plane outage: kube-apiserver is away for 60 s while targets fail and heal. The source (leader-elected,
// as a Deployment source runs) keeps probing; once the API server is back every transition and probe result of
// the blackout is in the status, with the times things really happened, not the times they were written.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually } from '../helpers/process.js';
import { assertOpenShiftCompatible } from './openshift-compat.js';
import {
  assertEverySuccessRecorded,
  assertNoLostProbes,
  deployChecks,
  eventsOf,
  iso,
  LoopbackTarget,
  ms,
  readChecks,
  reachable,
  sleep,
  startSource,
  statusWhen,
  storedSecond,
} from './source-fixtures.js';
import { startOrSkip } from './support.js';

const NAMESPACE = 'blackout';
// 20 entries (the cap) span 100 s: they still cover the blackout when the first write after it comes late.
const INTERVAL_MS = 5_000;
const BLACKOUT_MS = 60_000;
/** A probe period (interval ±5% jitter), plus the second the stored times are truncated to, plus slack. */
const MAX_GAP_MS = INTERVAL_MS * 1.05 + 1_000 + 500;

test(
  'kube-apiserver down for 60 s: every transition and probe result arrives afterwards',
  { timeout: 300_000 },
  async (t) => {
    const cluster = await startOrSkip(t);
    if (!cluster) return;
    const steady = await LoopbackTarget.start();
    const heals = await LoopbackTarget.start(false);
    const breaks = await LoopbackTarget.start();
    await deployChecks(cluster, {
      cluster: 'blackout',
      namespace: NAMESPACE,
      nodes: [{ name: 'node-a', addresses: ['127.0.0.1'] }],
      sources: [{ name: 'prober', kind: 'Deployment' }],
      targets: [
        { name: 'steady', kind: 'endpoint', host: '127.0.0.1', port: steady.port },
        { name: 'heals', kind: 'endpoint', host: '127.0.0.1', port: heals.port },
        { name: 'breaks', kind: 'endpoint', host: '127.0.0.1', port: breaks.port },
      ],
    });
    const source = await startSource(cluster, NAMESPACE, 'prober', [
      '--interval',
      `${INTERVAL_MS}ms`,
      '--confirm-retry',
      '1s',
      '--steady-write-interval',
      '10s',
    ]);
    try {
      const before = await statusWhen(
        cluster,
        NAMESPACE,
        'prober-to-heals',
        (s) => s.outages?.[0] !== undefined,
        30_000,
        'an outage before the blackout',
      );
      const healsOutageStart = before.outages![0]!.start;
      await statusWhen(
        cluster,
        NAMESPACE,
        'prober-to-breaks',
        (s) => reachable(s)?.status === 'True',
        30_000,
        'Reachable=True before the blackout',
      );
      await statusWhen(
        cluster,
        NAMESPACE,
        'prober-to-steady',
        (s) => reachable(s)?.status === 'True',
        30_000,
        'Reachable=True before the blackout',
      );

      const blackoutFrom = Date.now();
      await cluster.stopApiServer();
      await sleep(BLACKOUT_MS / 3);
      const flippedAt = Date.now();
      await breaks.down();
      await heals.up();
      await sleep(blackoutFrom + BLACKOUT_MS - Date.now());
      await cluster.startApiServer();
      const blackoutTo = Date.now();
      t.diagnostic(`blackout ${iso(blackoutFrom)} .. ${iso(blackoutTo)}; targets flipped at ${iso(flippedAt)}`);

      const broken = await statusWhen(
        cluster,
        NAMESPACE,
        'prober-to-breaks',
        (s) => s.outages?.[0] !== undefined,
        120_000,
        'the outage of the blackout',
      );
      const healed = await statusWhen(
        cluster,
        NAMESPACE,
        'prober-to-heals',
        (s) => s.outages?.[0]?.end != null,
        120_000,
        'the restore of the blackout',
      );
      const recoveredAfterMs = Date.now() - blackoutTo;
      const steadyStatus = await statusWhen(
        cluster,
        NAMESPACE,
        'prober-to-steady',
        (s) => ms(s.successes?.[0]?.time) >= storedSecond(blackoutTo),
        60_000,
        'successes after the blackout',
      );
      t.diagnostic(`transitions of the blackout written ${recoveredAfterMs} ms after kube-apiserver was ready`);

      await t.test('the outage that opened during the blackout starts at its first failure', () => {
        const outage = broken.outages![0]!;
        const start = ms(outage.start);
        assert.ok(
          start >= storedSecond(flippedAt) && start <= flippedAt + MAX_GAP_MS,
          `outage start ${outage.start} is not the first probe after the target went down at ${iso(flippedAt)}`,
        );
        assert.equal(outage.startLogs?.at(-1)?.time, outage.start, 'starts at its first failure');
        assert.equal(outage.startLogs?.at(-1)?.success, false);
        const lastSuccess = ms(broken.successes![0]!.time);
        assert.ok(
          lastSuccess < start && start - lastSuccess <= MAX_GAP_MS,
          `the first failure ${outage.start} follows the last success ${broken.successes![0]!.time}`,
        );
        assert.equal(outage.end, undefined, 'still open');
        const condition = reachable(broken)!;
        assert.equal(condition.status, 'False');
        assert.equal(
          condition.lastTransitionTime,
          outage.start,
          'Reachable flipped when the outage started, not when it was written',
        );
        assert.ok(start < blackoutTo);
      });

      await t.test('the restore during the blackout closes the outage at its first success', () => {
        const outage = healed.outages![0]!;
        assert.equal(outage.start, healsOutageStart, 'the outage from before the blackout');
        const end = ms(outage.end);
        assert.ok(
          end >= storedSecond(flippedAt) && end <= flippedAt + MAX_GAP_MS,
          `outage end ${outage.end} is not the first probe after the target came back at ${iso(flippedAt)}`,
        );
        assert.equal(outage.endLogs?.[0]?.time, outage.end, 'ends at its first success');
        const successes = healed.successes!;
        if (successes.length < 20) assert.equal(successes.at(-1)!.time, outage.end, 'the first success of the target');
        const lastFailure = ms(healed.failures![0]!.time);
        assert.ok(
          lastFailure < end && end - lastFailure <= MAX_GAP_MS,
          `the first success ${outage.end} follows the last failure ${healed.failures![0]!.time}`,
        );
        assert.match(outage.message!, /^Connectivity restored after \d/);
        assert.equal(outage.endLogs?.[0]?.success, true);
        assert.ok(end < blackoutTo);
        const condition = reachable(healed)!;
        assert.equal(condition.status, 'True');
        assert.equal(
          condition.lastTransitionTime,
          outage.end,
          'Reachable flipped when the target came back, not when it was written',
        );
      });

      await t.test('no probe result of the blackout is lost (up to the 20-entry caps)', () => {
        const inBlackout = (status: typeof steadyStatus) =>
          [...(status.successes ?? []), ...(status.failures ?? [])].filter(
            (entry) => ms(entry.time) >= storedSecond(blackoutFrom) && ms(entry.time) < blackoutTo,
          ).length;
        for (const [name, status] of [
          ['prober-to-steady', steadyStatus],
          ['prober-to-breaks', broken],
          ['prober-to-heals', healed],
        ] as const) {
          const covered = assertNoLostProbes(name, status, MAX_GAP_MS);
          assert.ok(
            covered.from < blackoutTo - BLACKOUT_MS / 3,
            `${name}: the status no longer covers the blackout (from ${iso(covered.from)})`,
          );
          t.diagnostic(
            `${name}: ${inBlackout(status)} entries from the blackout, ${covered.entries} in ${iso(covered.from)} .. ${iso(covered.to)}`,
          );
        }
        const answered = assertEverySuccessRecorded('prober-to-steady', steadyStatus.successes!, steady.accepts);
        t.diagnostic(
          `prober-to-steady: each of the ${answered} probes the target answered in ${steadyStatus.successes!.at(-1)!.time} .. ${steadyStatus.successes![0]!.time} is recorded`,
        );
      });

      await t.test("the events of the blackout's transitions arrive once the API server is back", async () => {
        const reasons = async (name: string) =>
          (await eventsOf(cluster, NAMESPACE, name)).filter(
            (event) => ms(event.firstTimestamp) >= storedSecond(blackoutFrom) && ms(event.firstTimestamp) < blackoutTo,
          );
        const detected = await eventually(
          async () =>
            (await reasons('prober-to-breaks')).some((event) => event.reason === 'ConnectivityOutageDetected')
              ? true
              : undefined,
          30_000,
          'the outage event',
        );
        const restored = await eventually(
          async () =>
            (await reasons('prober-to-heals')).some((event) => event.reason === 'ConnectivityRestored')
              ? true
              : undefined,
          30_000,
          'the restore event',
        );
        assert.ok(detected && restored, 'both events carry the time of the transition, inside the blackout');
      });

      await t.test("the statuses validate against OpenShift's CRD", async () => {
        await assertOpenShiftCompatible(cluster, await readChecks(cluster, NAMESPACE));
      });

      await t.test('SIGTERM afterwards exits cleanly with nothing unwritten', async () => {
        assert.equal(await source.stop('SIGTERM'), 0, source.output());
        assert.match(source.output(), /"msg":"stopped probing; pending status written".*"unwritten":0/);
      });
    } finally {
      await source.stop('SIGKILL');
      await Promise.all([steady.down(), heals.down(), breaks.down()]);
      await cluster.stop();
    }
  },
);
