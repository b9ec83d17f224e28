/**
 * One fault, injected and healed, asserted from the API on every check it must break: the failure reason and
 * message, an outage visible within 10 s of the fault and starting at the first failed probe after it, the
 * Reachable condition, the restored outage and the events; `whileActive` asserts more while the fault lasts.
 * Returns the measured delays.
 */
import assert from 'node:assert/strict';
import type { CheckStatus, Outage } from '../../src/api/check.js';
import { parseDuration } from '../../src/api/duration.js';
import { reachable, storedSecond } from '../cluster/source-fixtures.js';
import type { CheckHistory } from './check-history.js';
import type { CheckEvent, NetnsCluster } from './netns-cluster.js';

/** The bound: an outage is in the API within 10 s of the fault. */
export const OUTAGE_VISIBLE_WITHIN_MS = 10_000;
/** Scheduling slack on a loaded machine (event loop, process start-up), on top of one probe interval. */
const SLACK_MS = 1000;
/** The scheduler jitters each interval by ±5%. */
const INTERVAL_JITTER = 0.05;

export interface Expected {
  reason: string;
  message: string;
}

export interface FaultCase {
  /** Checks the fault must break, each with the failure it must show and the success after healing. */
  checks: { name: string; failure: Expected; success: Expected }[];
  /** Checks the fault must leave alone. */
  unaffected?: string[];
  inject(): void | Promise<void>;
  /** Runs while the fault is active, once every outage is in the API and before healing; gets each check's open outage. */
  whileActive?(outages: ReadonlyMap<string, Outage>): Promise<void>;
  /** Resolves once the heal has taken effect. */
  heal(): void | Promise<void>;
}

export interface CheckFigures {
  check: string;
  /** Fault to outage visible in the API. */
  visibleAfterMs: number;
  /** Outage start minus fault time (start has second precision, so it can be up to 1 s early). */
  startOffsetMs: number;
  /** Heal to the closed outage visible in the API. */
  restoredAfterMs: number;
}

const outageCount = (status: CheckStatus | undefined): number => status?.outages?.length ?? 0;

export async function runFaultCycle(bed: NetnsCluster, fault: FaultCase): Promise<CheckFigures[]> {
  const { settings } = bed;
  const waitFor = (...args: Parameters<CheckHistory['waitFor']>) =>
    bed.history.waitFor(...args).catch((error: Error) => Promise.reject(new Error(`${error.message}\n${bed.logs()}`)));
  const intervalMs = settings.intervalMs * (1 + INTERVAL_JITTER);
  const before = new Map(
    fault.checks.map(({ name }) => {
      const status = bed.status(name);
      assert.equal(reachable(status)?.status, 'True', `${name} is reachable before the fault`);
      return [name, { outages: outageCount(status), lastTransitionTime: reachable(status)!.lastTransitionTime! }];
    }),
  );
  const untouched = new Map((fault.unaffected ?? []).map((name) => [name, outageCount(bed.status(name))]));

  const faultAt = Date.now();
  await fault.inject();
  let opened: Map<string, { outage: Outage; visibleAt: number }>;
  let healAt = 0;
  let healedAt = 0;
  try {
    opened = new Map(
      await Promise.all(
        fault.checks.map(async ({ name, failure }) => {
          const version = await waitFor(
            name,
            'a new open outage',
            (status) => outageCount(status) > before.get(name)!.outages && !status.outages![0]!.end,
            { since: faultAt, timeoutMs: 30_000 },
          );
          const outage = version.status.outages![0]!;
          assertOpened(name, version.status, failure, { faultAt, intervalMs });
          assert.ok(
            version.at - faultAt <= OUTAGE_VISIBLE_WITHIN_MS,
            `${name}: outage visible ${version.at - faultAt} ms after the fault (bound ${OUTAGE_VISIBLE_WITHIN_MS} ms)`,
          );
          return [name, { outage, visibleAt: version.at }] as const;
        }),
      ),
    );
    await Promise.all(
      fault.checks.map(({ name, failure }) =>
        assertEvent(
          bed,
          name,
          'Warning',
          'ConnectivityOutageDetected',
          `${opened.get(name)!.outage.message}: ${failure.message}`,
        ),
      ),
    );
    await fault.whileActive?.(new Map([...opened].map(([name, { outage }]) => [name, outage])));
  } finally {
    healAt = Date.now();
    await fault.heal();
    healedAt = Date.now();
  }

  const figures = await Promise.all(
    fault.checks.map(async ({ name, success }) => {
      const { outage, visibleAt } = opened.get(name)!;
      const version = await waitFor(
        name,
        'the outage to close',
        (status) => status.outages?.[0]?.start === outage.start && status.outages[0].end !== undefined,
        { since: healAt, timeoutMs: 30_000 },
      );
      const closed = version.status.outages![0]!;
      const endMs = Date.parse(closed.end!);
      assert.ok(
        endMs >= storedSecond(healAt) && endMs <= healedAt + intervalMs + SLACK_MS,
        `${name}: outage end ${closed.end} is the first probe after healing (healed ${new Date(healAt).toISOString()}..${new Date(healedAt).toISOString()})`,
      );
      const restored = /^Connectivity restored after (\S+)$/.exec(closed.message ?? '');
      assert.ok(restored, `${name}: outage message "${closed.message}"`);
      // The duration runs from the stored start to the success to the millisecond; end is truncated to the second.
      const durationMs = parseDuration(restored[1]!)!;
      const startMs = Date.parse(closed.start!);
      assert.ok(
        durationMs >= endMs - startMs && durationMs < endMs - startMs + 1000,
        `${name}: "${closed.message}" matches ${closed.start}..${closed.end}`,
      );
      assert.deepEqual(closed.startLogs, outage.startLogs, `${name}: startLogs kept`);
      assert.equal(closed.endLogs?.[0]?.success, true);
      assert.equal(closed.endLogs[0].message, success.message);
      const condition = reachable(version.status);
      assert.deepEqual(
        {
          status: condition?.status,
          reason: condition?.reason,
          message: condition?.message,
          lastTransitionTime: condition?.lastTransitionTime,
        },
        { status: 'True', reason: success.reason, message: success.message, lastTransitionTime: closed.end },
        `${name}: Reachable flips back at the outage end`,
      );
      assert.ok(
        Date.parse(condition!.lastTransitionTime!) > Date.parse(before.get(name)!.lastTransitionTime),
        `${name}: a new lastTransitionTime`,
      );
      await assertEvent(bed, name, 'Normal', 'ConnectivityRestored', `${closed.message}: ${success.message}`);
      return {
        check: name,
        visibleAfterMs: visibleAt - faultAt,
        startOffsetMs: startMs - faultAt,
        restoredAfterMs: version.at - healedAt,
      };
    }),
  );

  for (const [name, outages] of untouched) {
    const broken = bed.history
      .of(name)
      .filter(
        (version) =>
          version.at >= faultAt &&
          (outageCount(version.status) > outages || reachable(version.status)?.status !== 'True'),
      );
    assert.deepEqual(
      broken.map((version) => version.status),
      [],
      `${name} must not be affected by this fault`,
    );
  }
  return figures;
}

function assertOpened(
  name: string,
  status: CheckStatus,
  failure: Expected,
  timing: { faultAt: number; intervalMs: number },
): void {
  const outage = status.outages![0]!;
  const startMs = Date.parse(outage.start!);
  const latest = timing.faultAt + timing.intervalMs + SLACK_MS;
  assert.ok(
    startMs >= storedSecond(timing.faultAt) && startMs <= latest,
    `${name}: outage start ${outage.start} must be the first probe after the fault at ${new Date(timing.faultAt).toISOString()} (at most ${new Date(latest).toISOString()})`,
  );
  const detected = /^Connectivity outage detected at (\S+)$/.exec(outage.message ?? '');
  assert.ok(detected, `${name}: outage message "${outage.message}"`);
  assert.equal(storedSecond(Date.parse(detected[1]!)), startMs, `${name}: the message names the start`);
  // startLogs are newest first; the oldest is the failure the outage starts with.
  const first = outage.startLogs!.at(-1)!;
  assert.deepEqual(
    { success: first.success, reason: first.reason, message: first.message, time: first.time },
    { success: false, ...failure, time: outage.start },
    `${name}: first failure`,
  );
  // Probes of one check are an interval (> 1 s) apart, so a success in the start's second would be a later one.
  const successesSince = (status.successes ?? []).filter((entry) => Date.parse(entry.time!) >= startMs);
  assert.deepEqual(successesSince, [], `${name}: no success since the outage start`);
  assert.equal(status.failures?.[0]?.reason, failure.reason);
  assert.equal(status.failures[0].message, failure.message);
  const condition = reachable(status);
  assert.deepEqual(
    {
      status: condition?.status,
      reason: condition?.reason,
      message: condition?.message,
      lastTransitionTime: condition?.lastTransitionTime,
    },
    { status: 'False', ...failure, lastTransitionTime: outage.start },
    `${name}: Reachable=False since the outage start`,
  );
}

async function assertEvent(
  bed: NetnsCluster,
  check: string,
  type: string,
  reason: string,
  message: string,
): Promise<void> {
  let events: CheckEvent[] = [];
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    events = await bed.events(check);
    if (events.some((event) => event.reason === reason && event.message === message)) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const event = events.find((candidate) => candidate.reason === reason && candidate.message === message);
  assert.ok(
    event,
    `${check}: an event ${reason} "${message}"; events: ${JSON.stringify(events.map((e) => [e.type, e.reason, e.message]))}`,
  );
  assert.equal(event.type, type);
  assert.equal(event.reportingComponent, 'p2pnc.io/p2pnc-source');
}

/** Status writes of a check: the watch's MODIFIED events (creation is not a write). */
export function statusWrites(history: CheckHistory, name: string): number[] {
  return history
    .of(name)
    .filter((version) => version.modified)
    .map((version) => version.at);
}
