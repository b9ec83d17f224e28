import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CheckStatus } from '../../src/api/check.js';
import { classifyChange } from '../../src/runtime/status/write-policy.js';
import { DEFAULT_LOSS_POLICY, degradedConfirmFailures, isDegraded, lossWindow } from '../../src/runtime/status/loss.js';
import { findCondition, record, statusPolicy, type RecordOutcome } from '../../src/runtime/status/reducer.js';
import type { ProbeResult } from '../../src/runtime/types.js';
import { assertValidStatus, clockSeries, invalid, ok, timeout } from './helpers.js';

/** Probes 2 s apart from 20:00:00, `pattern` read as s = success, f = failure (timeout), i = invalid check. */
function series(pattern: string, start = '20:00:00'): ProbeResult[] {
  const times = clockSeries(start, pattern.length, 2);
  return [...pattern].map((kind, index) =>
    kind === 's' ? ok(times[index]!) : kind === 'i' ? invalid(times[index]!) : timeout(times[index]!),
  );
}

function run(results: ProbeResult[], initial: CheckStatus = {}, policy = statusPolicy()) {
  let status = initial;
  const outcomes: RecordOutcome[] = [];
  let writesOfTransitions = 0;
  for (const result of results) {
    const outcome = record(status, result, policy);
    if (classifyChange(status, outcome.status) === 'transition') writesOfTransitions++;
    outcomes.push(outcome);
    status = outcome.status;
  }
  assertValidStatus(status);
  const opened = outcomes.filter((outcome) => outcome.transition === 'outage-opened').length;
  return { status, outcomes, opened, writesOfTransitions };
}

/** A fixed pattern with about `ratio` failures, never two in a row below 50 %: loss without a real outage. */
function lossy(probes: number, everyNth: number): string {
  return Array.from({ length: probes }, (_, index) => (index % everyNth === everyNth - 1 ? 'f' : 's')).join('');
}

describe('loss as a state', () => {
  test('30 % of probes failing, two in a row now and then: Degraded with the figure, not an outage per pair', () => {
    // 3 failures in 10, as pairs: today each pair would open an outage.
    const pattern = 'ssffssssfs'.repeat(12);
    const today = run(series(pattern), {}, statusPolicy({ loss: { ...DEFAULT_LOSS_POLICY, degradedRatio: 2 } }));
    assert.equal(today.opened, 12, 'without the state every pair of failures is an outage');

    const { status, opened } = run(series(pattern));
    const degraded = findCondition(status, 'Degraded');
    assert.equal(degraded?.status, 'True');
    assert.equal(degraded?.reason, 'PacketLoss');
    assert.match(degraded?.message ?? '', /^(\d+(\.\d+)?)% of the last (\d+) probes failed \((\d+)\/\3\)$/);
    const percent = Number(/^(\d+(?:\.\d+)?)%/.exec(degraded!.message!)![1]);
    assert.ok(percent >= 15 && percent <= 45, `the figure ${percent}% is about 30 %`);
    assert.ok(opened <= 2, `a few outages before the check is judged Degraded, then none: ${opened}`);
    assert.equal(findCondition(status, 'Reachable')?.status, 'True');
  });

  test('Degraded flips once (a transition); its figure follows the loss as steady changes, never a write of its own', () => {
    const { outcomes } = run(series(`${lossy(40, 4)}${lossy(40, 2)}`));
    const messages = [...new Set(outcomes.map((o) => findCondition(o.status, 'Degraded')?.message).filter(Boolean))];
    assert.ok(messages.includes('25% of the last 20 probes failed (5/20)'), messages.join(' | '));
    assert.equal(messages.at(-1), '50% of the last 20 probes failed (10/20)');
    for (const [i, outcome] of outcomes.entries()) {
      if (i === 0) continue;
      const before = findCondition(outcomes[i - 1]!.status, 'Degraded');
      const after = findCondition(outcome.status, 'Degraded');
      if (before && after && before.status === after.status && before.message !== after.message)
        assert.equal(
          classifyChange(outcomes[i - 1]!.status, outcome.status),
          'steady',
          'a new figure is no transition',
        );
    }
    const flips = outcomes.filter(
      (o, i) =>
        i > 0 &&
        findCondition(o.status, 'Degraded')?.status !== findCondition(outcomes[i - 1]!.status, 'Degraded')?.status,
    );
    assert.equal(flips.length, 1);
    // The gauge's figure does move with every probe.
    const live = new Set(outcomes.slice(20).map((o) => o.loss!.failed));
    assert.ok(live.size >= 1 && outcomes.at(-1)!.loss!.probes === 20);
  });

  test('a real outage on a Degraded check still opens, after a streak the loss alone would not explain', () => {
    const { status: degraded } = run(series(`${lossy(39, 4)}s`));
    assert.equal(findCondition(degraded, 'Degraded')?.status, 'True');
    // 25 % loss: 0.25^5 = 0.1 % -> 5 failures in a row.
    const outage = run(series('ffffffff', '20:02:00'), degraded);
    const openedAt = outage.outcomes.findIndex((o) => o.transition === 'outage-opened');
    assert.equal(openedAt + 1, 5, 'confirmed on the fifth failure in a row');
    assert.equal(outage.outcomes[0]!.confirmRetryInMs, 5000, 'each unconfirmed failure asks for a quick re-probe');
    assert.equal(findCondition(outage.status, 'Reachable')?.status, 'False');
    assert.equal(outage.status.outages?.[0]?.start, '2021-01-13T20:02:00Z', 'the outage starts at the first failure');
  });

  test('a healthy check opens an outage after confirmFailures, as before', () => {
    const { outcomes, status } = run(series('ssssssssssssff'));
    assert.equal(outcomes.at(-1)!.transition, 'outage-opened');
    assert.equal(findCondition(status, 'Degraded'), undefined, 'a healthy check keeps OpenShift shape');
  });

  test('an outage is not loss: closing one leaves the check healthy, not Degraded', () => {
    const { status } = run(series(`${'s'.repeat(12)}${'f'.repeat(10)}sss`));
    assert.equal(status.outages?.length, 1);
    assert.equal(status.outages?.[0]?.end !== undefined, true);
    assert.equal(findCondition(status, 'Degraded'), undefined);
  });

  test('recovers to False (NoPacketLoss) once the window holds no failure', () => {
    const { status: degraded } = run(series(lossy(40, 4)));
    const healed = run(series('s'.repeat(25), '20:02:00'), degraded);
    const condition = findCondition(healed.status, 'Degraded');
    assert.equal(condition?.status, 'False');
    assert.equal(condition?.reason, 'NoPacketLoss');
    assert.equal(condition?.message, '0% of the last 20 probes failed (0/20)');
    assert.equal(
      condition?.lastTransitionTime,
      '2021-01-13T20:02:38Z',
      'flipped when the last failure left the window',
    );
    assert.equal(healed.writesOfTransitions, 1, 'the flip is a transition: written at once');
  });

  test('invalid-check results are no loss; a few failures on a new check are not enough to judge', () => {
    assert.equal(findCondition(run(series('iiiiiiiiiiiiii')).status, 'Degraded'), undefined);
    assert.equal(findCondition(run(series('sfsfs')).status, 'Degraded'), undefined, 'fewer than 10 probes');
  });
});

describe('loss figures', () => {
  test('the window walks both lists newest first and skips outage probes', () => {
    const { status } = run(series(`${'s'.repeat(30)}ffff${'sf'.repeat(3)}`));
    const window = lossWindow(status, 20, ['InvalidCheck']);
    assert.deepEqual(window, { probes: 20, failed: 3 }, 'the 4-failure outage is left out');
  });

  test('hysteresis and the confirming streak', () => {
    const policy = DEFAULT_LOSS_POLICY;
    assert.equal(isDegraded({ probes: 20, failed: 2 }, false, policy), true);
    assert.equal(isDegraded({ probes: 20, failed: 1 }, false, policy), false);
    assert.equal(isDegraded({ probes: 10, failed: 1 }, false, policy), false, 'one failure is no loss pattern');
    assert.equal(isDegraded({ probes: 20, failed: 1 }, true, policy), true);
    assert.equal(isDegraded({ probes: 20, failed: 0 }, true, policy), false);
    assert.equal(isDegraded({ probes: 5, failed: 5 }, false, policy), false, 'too few probes');
    assert.equal(degradedConfirmFailures({ probes: 20, failed: 2 }, 2, policy), 3);
    assert.equal(degradedConfirmFailures({ probes: 20, failed: 6 }, 2, policy), 6);
    assert.equal(degradedConfirmFailures({ probes: 20, failed: 10 }, 2, policy), 8);
    assert.equal(degradedConfirmFailures({ probes: 20, failed: 0 }, 2, policy), 2);
  });
});
