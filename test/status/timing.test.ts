/** Issue 13's timing fixes in the reducer: the confirming retry never waits past the check's interval, and an outage
 * starts at its first failure even when the success before it fell in the same whole second. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckStatus } from '../../src/api/check.js';
import { ProbeScheduler } from '../../src/runtime/source/scheduler.js';
import { policyForCheck, record, statusPolicy } from '../../src/runtime/status/reducer.js';
import type { ProbeResult } from '../../src/runtime/types.js';
import { FakeClock } from '../unit/support/fake-clock.js';
import { clock, ok, refused } from './helpers.js';

function replay(results: ProbeResult[], policy = statusPolicy()) {
  let status: CheckStatus | undefined;
  return results.map((result) => {
    const outcome = record(status, result, policy);
    status = outcome.status;
    return outcome;
  });
}

test('the confirming retry comes after the smaller of --confirm-retry and the check interval', () => {
  const base = statusPolicy();
  assert.equal(base.confirmRetryMs, 5000);
  assert.equal(policyForCheck(base, { interval: '1s' }).confirmRetryMs, 1000);
  assert.equal(policyForCheck(base, { interval: '500ms' }).confirmRetryMs, 500);
  assert.equal(policyForCheck(base, { interval: '60s' }).confirmRetryMs, 5000);
  assert.equal(policyForCheck(base, {}), base);
  // History caps still apply beside it.
  const both = policyForCheck(base, { interval: '2s', history: { entries: 5 } });
  assert.deepEqual([both.confirmRetryMs, both.maxEntries], [2000, 5]);

  const [, first] = replay([ok('20:00:00'), refused('20:00:01')], policyForCheck(base, { interval: '1s' }));
  assert.equal(first!.confirmRetryInMs, 1000);
});

test('a success and the first failure in the same second: the outage starts at that failure, not at the confirming one', () => {
  const outcomes = replay([ok('20:00:00.200'), refused('20:00:00.800'), refused('20:00:05.800')]);
  assert.equal(outcomes[2]!.transition, 'outage-opened');
  const outage = outcomes[2]!.status.outages![0]!;
  assert.equal(clock(outage.start), '20:00:00');
  assert.deepEqual(
    outage.startLogs!.map((entry) => clock(entry.time)),
    ['20:00:00'],
  );
  const reachable = outcomes[2]!.status.conditions!.find((condition) => condition.type === 'Reachable')!;
  assert.equal(clock(reachable.lastTransitionTime), '20:00:00');
});

test('a failure, then a success in the same second: that failure is over, the next one only asks for a confirmation', () => {
  const outcomes = replay([ok('20:00:00'), refused('20:00:01.100'), ok('20:00:01.900'), refused('20:00:02.500')]);
  assert.equal(outcomes[3]!.transition, undefined);
  assert.equal(outcomes[3]!.confirmRetryInMs, 5000);
  assert.equal(outcomes[3]!.status.outages, undefined);
});

test('the scheduler never puts a confirming probe later than the regular one (also under --interval overrides)', async () => {
  const fake = new FakeClock();
  const start = fake.now();
  const runs: number[] = [];
  const scheduler = new ProbeScheduler({ concurrency: 1, clock: fake, random: () => 0.5 });
  scheduler.upsert('a', { intervalMs: 1_000, run: async () => void runs.push(fake.now() - start) });
  await fake.advance(500);
  scheduler.probeIn('a', 5_000);
  await fake.advance(1_100);
  assert.deepEqual(runs, [500, 1_500]);
  await scheduler.stop();
});
