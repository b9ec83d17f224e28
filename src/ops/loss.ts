/**
 * Intermittent failure read from a check's stored logs: packet loss shows as short runs of failures between
 * successes, an outage as one long run. Pure, and a function of the stored status alone, so two runs of diagnose
 * over the same statuses agree.
 *
 * The window is the span both logs cover (each keeps its newest N entries: older entries of the longer log would
 * count one kind of result only), after the last long run of failures (an outage, healed or not, is not loss). A run
 * is long from three failures on: the source confirms a failure with a quick second probe, so a real outage of even
 * one interval leaves three. A check is intermittent when its window holds at least two short runs.
 */
import type { CheckStatus, LogEntry } from '../api/check.js';
import { timeMs } from '../runtime/status/time.js';

export interface RecentLoss {
  /** Failed probes in the window, as a whole percentage of the probes in it. */
  percent: number;
  failures: number;
  probes: number;
}

/** Consecutive failures from which a run is an outage, not loss. */
export const OUTAGE_RUN = 3;
/** Short runs a window needs to count as loss. */
const LOSS_RUNS = 2;

export function recentLoss(status: CheckStatus | undefined): RecentLoss | undefined {
  const successes = times(status?.successes);
  const failures = times(status?.failures);
  if (successes.length === 0 || failures.length === 0) return undefined;
  const from = Math.max(successes.at(-1)!, failures.at(-1)!);
  const results = [
    ...successes.filter((time) => time >= from).map((time) => ({ time, success: true })),
    ...failures.filter((time) => time >= from).map((time) => ({ time, success: false })),
  ].sort((a, b) => a.time - b.time || Number(a.success) - Number(b.success));
  // Runs of failures, oldest first; only what follows the last long one counts.
  let start = 0;
  let run = 0;
  results.forEach((result, index) => {
    run = result.success ? 0 : run + 1;
    if (run >= OUTAGE_RUN) start = index + 1;
  });
  if (run >= OUTAGE_RUN) return undefined;
  const window = results.slice(start);
  let shortRuns = 0;
  window.forEach((result, index) => {
    if (!result.success && (index === 0 || window[index - 1]!.success)) shortRuns++;
  });
  if (shortRuns < LOSS_RUNS) return undefined;
  const failed = window.filter((result) => !result.success).length;
  return { percent: Math.round((failed / window.length) * 100), failures: failed, probes: window.length };
}

/** Entry times, newest first, unparsable ones left out. */
function times(entries: readonly LogEntry[] | undefined): number[] {
  return (entries ?? [])
    .map((entry) => timeMs(entry.time))
    .filter(Number.isFinite)
    .sort((a, b) => b - a);
}
