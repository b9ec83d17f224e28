/** Newest-first lists of probe log entries, shared by the reducer and the write merge. */
import type { LogEntry } from '../../api/check.js';
import { formatDuration } from '../../api/duration.js';
import type { ProbeResult } from '../types.js';
import { formatTime, timeMs } from './time.js';

/**
 * When this process recorded an entry, to the millisecond. Stored times are whole seconds, so a success and a failure
 * of the same second could not be put in order from the status alone (an outage then started at its confirming
 * failure, seconds late). Memory only: the status keeps OpenShift's fields.
 */
const recordedAtMs = new WeakMap<LogEntry, number>();

export function toLogEntry(result: ProbeResult): LogEntry {
  const entry: LogEntry = {
    time: formatTime(result.time),
    success: result.success,
    reason: result.reason,
    message: result.message,
    latency: formatDuration(result.latencyMs),
  };
  recordedAtMs.set(entry, result.time.getTime());
  return entry;
}

/** The entry's probe time: to the millisecond when this process recorded it, else its stored whole second. */
export function entryTimeMs(entry: LogEntry | undefined): number {
  if (!entry) return Number.NEGATIVE_INFINITY;
  return recordedAtMs.get(entry) ?? timeMs(entry.time);
}

/**
 * Inserts `entry` keeping the list sorted newest first, then caps it. Among entries of the same second the
 * new one goes first: in-order results are the common case, and stored times cannot tell them apart.
 */
export function insertNewestFirst(entries: readonly LogEntry[], entry: LogEntry, max: number): LogEntry[] {
  const entryTime = timeMs(entry.time);
  const index = entries.findIndex((existing) => timeMs(existing.time) <= entryTime);
  const position = index === -1 ? entries.length : index;
  const inserted = entries.slice(0, Math.min(position, max));
  if (inserted.length < max) inserted.push(entry);
  for (let next = position; next < entries.length && inserted.length < max; next += 1) inserted.push(entries[next]!);
  return inserted;
}

/** Time of the newest entry; relies on the lists being newest first, as everything here keeps them. */
export function newestTimeMs(entries: readonly LogEntry[] | undefined): number {
  return timeMs(entries?.[0]?.time);
}

/** Identity of an entry across writers; latency is left out because it is a measurement of the same probe. */
export function entryKey(entry: LogEntry): string {
  return JSON.stringify([timeMs(entry.time), entry.success, entry.reason ?? '', entry.message ?? '']);
}

/** Union of two lists without duplicates (the first list wins a tie), newest first, capped. */
export function unionNewestFirst(first: readonly LogEntry[], second: readonly LogEntry[], max: number): LogEntry[] {
  const seen = new Set<string>();
  const union: LogEntry[] = [];
  for (const entry of [...first, ...second]) {
    const key = entryKey(entry);
    if (seen.has(key)) continue;
    seen.add(key);
    union.push(entry);
  }
  // Array.prototype.sort is stable, so equal times keep `first` before `second`.
  return union.sort((a, b) => timeMs(b.time) - timeMs(a.time)).slice(0, max);
}
