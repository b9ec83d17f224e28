/**
 * Check objects -> what the HTML report draws: a source x target matrix (one cell per pair, the worst state of its
 * checks) and, per check, the outages and probes its status retains. Pure: the time is passed in.
 */
import type { CheckStatus, LogEntry } from '../api/check.js';
import type { CheckObject } from '../runtime/kube/resources.js';
import { timeMs } from '../runtime/status/time.js';
import { parseDuration } from '../api/duration.js';
import {
  compareRows,
  countStates,
  sourceKey,
  toRow,
  type CheckRow,
  type CheckState,
  type SourceRef,
  type Vantage,
} from './matrix.js';

/** A cell takes the state of its worst check: the first of these its checks have. */
const WORST_FIRST: readonly CheckState[] = ['unreachable', 'invalid', 'unknown', 'stale', 'pending', 'reachable'];

/**
 * Past this many cells the matrix has a column per target instead of per target and node, each cell holding the
 * target's checks on every node: a node mesh's matrix grows with the square of the nodes and is mostly empty
 * (5,000 nodes would be 25 million cells); this is about 200 nodes.
 */
export const MAX_NODE_MATRIX_CELLS = 40_000;

/** Past this many checks, only the timelines with a failure, an outage or a state other than reachable are drawn. */
export const MAX_ALL_TIMELINES = 1_000;

/**
 * At most this many timelines are drawn: the most telling (not reachable first, then an open outage, then the newest
 * failure). 40,000 checks that each kept a failure would be a page of 150 MB no browser draws.
 */
export const MAX_DRAWN_TIMELINES = 2_000;

export interface MatrixColumn {
  key: string;
  target: string;
  node?: string;
}

export interface MatrixCell {
  state: CheckState;
  /** The checks of this source and target; more than one when a target has several endpoints per node (IPv4 and IPv6). */
  checks: CheckRow[];
  /** Newest latency of the slowest reachable check, for shading. */
  latencyMs?: number;
}

export interface MatrixRow {
  key: string;
  source: SourceRef;
  /** Where the source probes from (a source's checks share it). */
  vantage: Vantage;
  /** One per column; undefined where the source has no check of that target. */
  cells: (MatrixCell | undefined)[];
}

export interface Matrix {
  columns: MatrixColumn[];
  rows: MatrixRow[];
  /** Set when the columns are per target because a column per target and node would be too many: how many those are. */
  nodeColumns?: number;
}

export interface TimelineProbe {
  timeMs: number;
  message: string;
  latency?: string;
}

export interface TimelineOutage {
  startMs: number;
  /** Undefined while the outage is open. */
  endMs?: number;
  message: string;
}

export interface CheckTimeline {
  row: CheckRow;
  /** The oldest time the status retains; undefined for a check never probed. */
  historyStartMs?: number;
  outages: TimelineOutage[];
  failures: TimelineProbe[];
  successes: TimelineProbe[];
}

export interface ReportModel {
  nowMs: number;
  /** The oldest time any check retains (now when none does): the left edge of every timeline. */
  windowStartMs: number;
  matrix: Matrix;
  timelines: CheckTimeline[];
  /**
   * The timelines to draw, in row order: all of them, or past MAX_ALL_TIMELINES those with something else than
   * successes, at most MAX_DRAWN_TIMELINES of those.
   */
  shownTimelines: CheckTimeline[];
  /** Timelines not drawn for lack of room although they hold a failure, an outage or a state other than reachable. */
  overflowTimelines: number;
  counts: Record<CheckState, number>;
}

export function buildReport(checks: readonly CheckObject[], now: Date): ReportModel {
  return reportOfTimelines(checks.map(checkTimeline), now);
}

/**
 * A check as the report keeps it: its row and what its status retains, without the object. The report command turns
 * each page of checks into these as it arrives, so 40,000 statuses are never held at once.
 */
export function checkTimeline(object: CheckObject): CheckTimeline {
  return timelineOf(toRow(object), object.status);
}

/** The report of checks already turned into timelines (checkTimeline), in any order. */
export function reportOfTimelines(unordered: readonly CheckTimeline[], now: Date): ReportModel {
  const nowMs = now.getTime();
  const timelines = [...unordered].sort((a, b) => compareRows(a.row, b.row));
  const rows = timelines.map((timeline) => timeline.row);
  // A loop, not Math.min(...starts): spreading tens of thousands of arguments can overflow the stack.
  let windowStartMs = nowMs;
  for (const timeline of timelines)
    if (timeline.historyStartMs !== undefined && timeline.historyStartMs < windowStartMs)
      windowStartMs = timeline.historyStartMs;
  const counts = countStates(rows);
  const eventful = timelines.length > MAX_ALL_TIMELINES ? timelines.filter(hasMoreThanSuccesses) : timelines;
  const shownTimelines = eventful.length > MAX_DRAWN_TIMELINES ? mostTelling(eventful, MAX_DRAWN_TIMELINES) : eventful;
  return {
    nowMs,
    windowStartMs,
    matrix: matrixOf(rows),
    timelines,
    shownTimelines,
    overflowTimelines: eventful.length - shownTimelines.length,
    counts,
  };
}

/** The `limit` most telling timelines, kept in the order given. */
function mostTelling(timelines: readonly CheckTimeline[], limit: number): CheckTimeline[] {
  const ranked = timelines
    .map((timeline) => ({
      timeline,
      state: WORST_FIRST.indexOf(timeline.row.state),
      open: timeline.outages.some((outage) => outage.endMs === undefined) ? 0 : 1,
      newest: newestEventMs(timeline),
    }))
    // Newest first; two timelines without any failure (-Infinity) tie instead of comparing as NaN.
    .sort((a, b) => a.state - b.state || a.open - b.open || (a.newest === b.newest ? 0 : b.newest - a.newest));
  const kept = new Set(ranked.slice(0, limit).map((entry) => entry.timeline));
  return timelines.filter((timeline) => kept.has(timeline));
}

/** The newest failure, outage start or outage end a timeline holds. */
function newestEventMs(timeline: CheckTimeline): number {
  let newest = Number.NEGATIVE_INFINITY;
  for (const probe of timeline.failures) newest = Math.max(newest, probe.timeMs);
  for (const outage of timeline.outages) newest = Math.max(newest, outage.startMs, outage.endMs ?? outage.startMs);
  return newest;
}

function hasMoreThanSuccesses(timeline: CheckTimeline): boolean {
  return timeline.row.state !== 'reachable' || timeline.outages.length > 0 || timeline.failures.length > 0;
}

function matrixOf(rows: readonly CheckRow[]): Matrix {
  const perNode = pairsOf(rows, true);
  if (perNode.sources.size * perNode.columns.size <= MAX_NODE_MATRIX_CELLS) return layout(perNode);
  return { ...layout(pairsOf(rows, false)), nodeColumns: perNode.columns.size };
}

interface Pairs {
  columns: Map<string, MatrixColumn>;
  sources: Map<string, { source: SourceRef; vantage: Vantage }>;
  byPair: Map<string, CheckRow[]>;
}

function pairsOf(rows: readonly CheckRow[], perNode: boolean): Pairs {
  const columns = new Map<string, MatrixColumn>();
  const sources = new Map<string, { source: SourceRef; vantage: Vantage }>();
  const byPair = new Map<string, CheckRow[]>();
  for (const row of rows) {
    const column = perNode ? targetKey(row) : row.target.name;
    if (!columns.has(column))
      columns.set(column, {
        key: column,
        target: row.target.name,
        ...(perNode && row.target.node ? { node: row.target.node } : {}),
      });
    const source = sourceKey(row.source);
    if (!sources.has(source)) sources.set(source, { source: row.source, vantage: row.vantage });
    const pair = `${source}\n${column}`;
    const checks = byPair.get(pair);
    if (checks) checks.push(row);
    else byPair.set(pair, [row]);
  }
  return { columns, sources, byPair };
}

function layout({ columns, sources, byPair }: Pairs): Matrix {
  const orderedColumns = [...columns.values()].sort(
    (a, b) => a.target.localeCompare(b.target) || (a.node ?? '').localeCompare(b.node ?? ''),
  );
  const matrixRows = [...sources.entries()].map(([key, { source, vantage }]) => ({
    key,
    source,
    vantage,
    cells: orderedColumns.map((column) => cellOf(byPair.get(`${key}\n${column.key}`))),
  }));
  return { columns: orderedColumns, rows: matrixRows };
}

function cellOf(checks: CheckRow[] | undefined): MatrixCell | undefined {
  if (!checks) return undefined;
  // Every state is in WORST_FIRST and a cell has at least one check.
  const state = WORST_FIRST.find((candidate) => checks.some((check) => check.state === candidate))!;
  const cell: MatrixCell = { state, checks };
  const latencies = checks.flatMap((check) => {
    const latency =
      check.state === 'reachable' && check.lastSuccess?.latency ? parseDuration(check.lastSuccess.latency) : undefined;
    return latency === undefined ? [] : [latency];
  });
  if (latencies.length > 0) cell.latencyMs = latencies.reduce((slowest, latency) => Math.max(slowest, latency));
  return cell;
}

function timelineOf(row: CheckRow, status: CheckStatus | undefined): CheckTimeline {
  const outages: TimelineOutage[] = [];
  for (const outage of status?.outages ?? []) {
    const startMs = timeMs(outage.start);
    if (!Number.isFinite(startMs)) continue;
    const endMs = timeMs(outage.end);
    outages.push({ startMs, ...(Number.isFinite(endMs) ? { endMs } : {}), message: outage.message ?? '' });
  }
  // Outage logs keep the first failures of an outage after the failures list has moved on.
  const outageLogs = (status?.outages ?? []).flatMap((outage) => [
    ...(outage.startLogs ?? []),
    ...(outage.endLogs ?? []),
  ]);
  const failures = probesOf([...(status?.failures ?? []), ...outageLogs.filter((entry) => !entry.success)]);
  const successes = probesOf(status?.successes ?? []);
  const times = [
    ...outages.map((outage) => outage.startMs),
    ...failures.map((probe) => probe.timeMs),
    ...successes.map((probe) => probe.timeMs),
  ];
  const timeline: CheckTimeline = { row, outages: outages.sort((a, b) => a.startMs - b.startMs), failures, successes };
  if (times.length > 0) timeline.historyStartMs = Math.min(...times);
  return timeline;
}

/** Oldest first, each probe once (outage logs repeat entries of the failures list). */
function probesOf(entries: readonly LogEntry[]): TimelineProbe[] {
  const seen = new Map<string, TimelineProbe>();
  for (const entry of entries) {
    const time = timeMs(entry.time);
    if (!Number.isFinite(time)) continue;
    const probe: TimelineProbe = {
      timeMs: time,
      message: entry.message ?? '',
      ...(entry.latency ? { latency: entry.latency } : {}),
    };
    seen.set(`${time}\n${probe.message}`, probe);
  }
  return [...seen.values()].sort((a, b) => a.timeMs - b.timeMs || a.message.localeCompare(b.message));
}

function targetKey(row: CheckRow): string {
  return row.target.node ? `${row.target.name}@${row.target.node}` : row.target.name;
}
