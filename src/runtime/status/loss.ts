/**
 * Loss as a state: the share of a check's recent probes that failed, read from its status (the newest probes of the
 * successes and failures lists), and what it decides: the Degraded condition and how many failures in a row
 * confirm an outage while the check is Degraded. Pure.
 *
 * Probes inside an outage (open or closed) are not loss: the outage already tells that story, and counting them
 * would leave a check Degraded for a whole window after every outage.
 */
import type { CheckStatus, LogEntry, Outage } from '../../api/check.js';
import { DEGRADED } from '../../api/constants.js';
import { entryTimeMs } from './log-entries.js';
import { timeMs } from './time.js';

export { DEGRADED };
export const PACKET_LOSS = 'PacketLoss';
export const NO_PACKET_LOSS = 'NoPacketLoss';

export interface LossPolicy {
  /** Newest probes the loss figure is taken over; capped at the history's entries (each list keeps that many). */
  windowProbes: number;
  /** Probes (outside outages) needed in the window before the check can become Degraded. */
  minProbes: number;
  /** Degraded when at least this share of the window failed, and at least minFailures probes. */
  degradedRatio: number;
  minFailures: number;
  /** Degraded again False when at most this share failed. */
  recoveredRatio: number;
  /**
   * While Degraded, an outage needs a streak of failures that the measured loss alone would produce with at most
   * this chance (loss^n <= chance): at 30 % loss 6 failures in a row, at 10 % 3.
   */
  outageChance: number;
  /** Upper bound of that streak, so a real outage on a very lossy check is still confirmed in bounded time. */
  maxConfirmFailures: number;
}

/** Chosen from the netns bed's measurements (README, "Conditions"). */
export const DEFAULT_LOSS_POLICY: LossPolicy = {
  windowProbes: 20,
  minProbes: 10,
  degradedRatio: 0.1,
  minFailures: 2,
  recoveredRatio: 0,
  outageChance: 0.001,
  maxConfirmFailures: 8,
};

export interface LossWindow {
  probes: number;
  failed: number;
}

export const lossRatio = (window: LossWindow): number => (window.probes > 0 ? window.failed / window.probes : 0);

/**
 * The newest `windowProbes` probes outside outages, with the failures among them. Failures of the check itself
 * (`invalidReasons`) are not the network's and are left out; so are the newest `skipNewestFailures` failures (the
 * streak being judged, which must not inflate its own threshold).
 */
export function lossWindow(
  status: CheckStatus,
  windowProbes: number,
  invalidReasons: readonly string[],
  skipNewestFailures = 0,
): LossWindow {
  const successes = status.successes ?? [];
  const failures = status.failures ?? [];
  const outages = status.outages ?? [];
  const window: LossWindow = { probes: 0, failed: 0 };
  let s = 0;
  let f = skipNewestFailures;
  // Both lists are newest first: walk them as one, newest first.
  while (window.probes < windowProbes && (s < successes.length || f < failures.length)) {
    const success = successes[s];
    const failure = failures[f];
    const takeSuccess =
      failure === undefined || (success !== undefined && entryTimeMs(success) >= entryTimeMs(failure));
    const entry: LogEntry = takeSuccess ? success! : failure!;
    if (takeSuccess) s++;
    else f++;
    if (!takeSuccess && invalidReasons.includes(entry.reason ?? '')) continue;
    if (inOutage(entryTimeMs(entry), outages)) continue;
    window.probes++;
    if (!takeSuccess) window.failed++;
  }
  return window;
}

function inOutage(atMs: number, outages: readonly Outage[]): boolean {
  for (const outage of outages) {
    const start = timeMs(outage.start);
    const end = outage.end ? timeMs(outage.end) : Number.POSITIVE_INFINITY;
    // Stored times are whole seconds: the outage's last second holds the success that closed it.
    if (atMs >= start && atMs < end) return true;
  }
  return false;
}

/** Whether the check is (still) Degraded after this window: hysteresis between the two ratios. */
export function isDegraded(window: LossWindow, wasDegraded: boolean, policy: LossPolicy): boolean {
  if (window.probes < Math.min(policy.minProbes, policy.windowProbes)) return wasDegraded;
  const ratio = lossRatio(window);
  return wasDegraded
    ? ratio > policy.recoveredRatio
    : ratio >= policy.degradedRatio && window.failed >= policy.minFailures;
}

/** Failures in a row that confirm an outage on a Degraded check with this loss; never fewer than `base`. */
export function degradedConfirmFailures(window: LossWindow, base: number, policy: LossPolicy): number {
  const ratio = lossRatio(window);
  if (ratio <= 0) return base;
  if (ratio >= 1) return Math.max(base, policy.maxConfirmFailures);
  const needed = Math.ceil(Math.log(policy.outageChance) / Math.log(ratio));
  return Math.max(base, Math.min(needed, policy.maxConfirmFailures));
}

export const percentOf = (window: LossWindow): number => Math.round((1000 * window.failed) / window.probes) / 10;

/** `30% of the last 20 probes failed (6/20)`: the figure the condition carries, True or False. */
export const packetLossMessage = (window: LossWindow): string =>
  `${percentOf(window)}% of the last ${window.probes} probes failed (${window.failed}/${window.probes})`;
