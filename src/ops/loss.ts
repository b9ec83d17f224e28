/**
 * Intermittent failure read from a check's stored logs: packet loss or a flapping path shows as failures interleaved
 * with successes, not as one run of failures. Pure, and a function of the stored status alone, so two runs of
 * diagnose over the same statuses agree.
 *
 * The window is the span both logs cover (each keeps its newest N entries): older entries of the longer log would
 * count only one kind of result. A check is intermittent when, within it, failures come in at least two separate
 * runs with successes around them, or when at least two outages began and ended within the last 30 minutes of its
 * newest result. A current run of failures longer than three intervals is an outage, not loss.
 */
import type { CheckStatus, LogEntry } from '../api/check.js';
import { timeMs } from '../runtime/status/time.js';

export interface RecentLoss {
  /** Failed probes in the window, as a whole percentage of the probes in it. */
  percent: number;
  failures: number;
  probes: number;
}

const FLAP_WINDOW_MS = 30 * 60_000;
const OUTAGE_INTERVALS = 3;

export function recentLoss(status: CheckStatus | undefined, intervalMs: number): RecentLoss | undefined {
  const successes = times(status?.successes);
  const failures = times(status?.failures);
  if (successes.length === 0 || failures.length === 0) return undefined;
  const from = Math.max(successes.at(-1)!, failures.at(-1)!);
  const results = [
    ...successes.filter((time) => time >= from).map((time) => ({ time, success: true })),
    ...failures.filter((time) => time >= from).map((time) => ({ time, success: false })),
  ].sort((a, b) => a.time - b.time || Number(a.success) - Number(b.success));
  const failed = results.filter((result) => !result.success).length;
  let runs = 0;
  results.forEach((result, index) => {
    if (!result.success && (index === 0 || results[index - 1]!.success)) runs++;
  });
  const newest = Math.max(successes[0]!, failures[0]!);
  const flaps = (status?.outages ?? []).filter(
    (outage) => outage.end && timeMs(outage.start) >= newest - FLAP_WINDOW_MS,
  ).length;
  const currentRun = failures[0]! > successes[0]! ? failures[0]! - successes[0]! : 0;
  if (currentRun > OUTAGE_INTERVALS * intervalMs) return undefined;
  if (runs < 2 && flaps < 2) return undefined;
  return { percent: Math.round((failed / results.length) * 100), failures: failed, probes: results.length };
}

/** Entry times, newest first, unparsable ones left out. */
function times(entries: readonly LogEntry[] | undefined): number[] {
  return (entries ?? [])
    .map((entry) => timeMs(entry.time))
    .filter(Number.isFinite)
    .sort((a, b) => b - a);
}
