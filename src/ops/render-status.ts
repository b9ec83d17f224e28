/** `p2pnc status` output: a table (`-o table`, `-o wide`) or a document (`-o json`, `-o yaml`) of the check matrix. */
import { stringify } from 'yaml';
import { formatDuration } from '../api/duration.js';
import { toLogEntry } from '../runtime/status/log-entries.js';
import { formatTime } from '../runtime/status/time.js';
import type { ProbeResult } from '../runtime/types.js';
import { classifyFailure, FAILURE_LABELS, withoutLabel, type FailureKind } from './classify.js';
import { age, table, type Cell, type Palette, type Tone } from './format.js';
import type { SourceLivenessRow } from './heartbeats.js';
import { CHECK_STATES, countStates, describeSource, sourceKey, type CheckRow, type CheckState } from './matrix.js';

export type StatusFormat = 'table' | 'wide' | 'json' | 'yaml';

export interface StatusReport {
  /** When the checks were read. */
  time: Date;
  rows: readonly CheckRow[];
  /** With --probe: each check's result now, by check name. */
  now?: ReadonlyMap<string, ProbeResult>;
  /** The sources' heartbeats, when read: quiet ones are listed under the table. */
  sources?: readonly SourceLivenessRow[];
}

export function renderStatus(report: StatusReport, format: StatusFormat, palette: Palette): string {
  switch (format) {
    case 'table':
    case 'wide':
      return renderTable(report, format === 'wide', palette);
    case 'json':
      return `${JSON.stringify(statusDocument(report), null, 2)}\n`;
    case 'yaml':
      return stringify(statusDocument(report), { lineWidth: 0 });
  }
}

const STATE_TONES: Record<CheckState, Tone> = {
  reachable: 'good',
  unreachable: 'bad',
  unknown: 'warn',
  invalid: 'bad',
  pending: 'dim',
  stale: 'warn',
};

function renderTable(report: StatusReport, wide: boolean, palette: Palette): string {
  const now = report.time.getTime();
  const ago = (time: Date | undefined) => (time ? age(now - time.getTime()) : '-');
  // Pod-network checks alone need no column to say so; -o wide always shows it.
  const vantages = wide || report.rows.some((row) => row.vantage !== 'pod');
  const headers = [
    'SOURCE',
    'SOURCE NODE',
    ...(vantages ? ['VANTAGE'] : []),
    'TARGET',
    'TARGET NODE',
    'STATE',
    'LATENCY',
    'PROBED',
    'CHANGED',
    'OUTAGE',
    'OUTAGES',
  ];
  if (report.now) headers.push('NOW');
  if (wide) headers.push('ENDPOINT', 'PROBE', 'LAST FAILURE', 'CHECK');
  const rows = report.rows.map((row) => {
    const cells: (Cell | string)[] = [
      row.source.name,
      row.source.node ?? '-',
      ...(vantages ? [row.vantage] : []),
      row.target.name,
      row.target.node ?? '-',
      { text: row.state, tone: STATE_TONES[row.state] },
      // An invalid check was never sent on the wire: its 0s is no latency.
      (row.state === 'invalid' ? undefined : row.lastProbe?.latency) ?? '-',
      ago(row.lastProbe?.time),
      ago(row.changedAt),
      row.openOutage ? { text: `open ${ago(row.openOutage.start)}`, tone: 'bad' } : '-',
      String(row.outages),
    ];
    if (report.now) cells.push(nowCell(report.now.get(row.check)));
    if (wide) {
      const failure = row.lastFailure
        ? `${FAILURE_LABELS[row.lastFailure.kind]} ${ago(row.lastFailure.time)} ago`
        : '-';
      cells.push(row.endpoint, row.probe, failure, row.check);
    }
    return cells;
  });
  const failingNow = freshFailures(report);
  const details = failingNow.length > 0 ? `failing now:\n${failingNow.map((line) => `  ${line}\n`).join('')}` : '';
  const quiet = (report.sources ?? []).filter((source) => source.state === 'quiet');
  const quietLines =
    quiet.length > 0
      ? `${palette.paint('quiet sources', 'warn')} (heartbeat not renewed; their results are not current):\n${quiet
          .map(
            (source) =>
              `  ${describeSource(source.source)}${source.runningOn && !source.source.node ? ` (on ${source.runningOn})` : ''}: quiet since ${source.since ? `${formatTime(source.since)} (${ago(source.since)} ago)` : 'never renewed'}${source.holder ? `, pod ${source.holder}` : ''}\n`,
          )
          .join('')}`
      : '';
  return `${table(headers, rows, palette)}\n${summaryLine(report)}\n${details}${quietLines}`;
}

function nowCell(result: ProbeResult | undefined): Cell {
  if (!result) return { text: '-' };
  if (result.success) return { text: `ok ${formatDuration(result.latencyMs)}`, tone: 'good' };
  return { text: FAILURE_LABELS[failureOf(result)], tone: 'bad' };
}

function failureOf(result: ProbeResult): FailureKind {
  return result.failure ?? classifyFailure(result);
}

function summaryLine(report: StatusReport): string {
  const counts = countStates(report.rows);
  const states = [...CHECK_STATES]
    .sort()
    .filter((state) => counts[state] > 0)
    .map((state) => `${counts[state]} ${state}`);
  const open = report.rows.filter((row) => row.openOutage).length;
  let line = `${report.rows.length} checks${states.length > 0 ? `: ${states.join(', ')}` : ''}; ${open} open outage${open === 1 ? '' : 's'}`;
  if (report.now) {
    const fresh = [...report.now.values()];
    const ok = fresh.filter((result) => result.success).length;
    line += `; probed now from here: ${ok} reachable, ${fresh.length - ok} failing`;
  }
  return line;
}

/** The document of -o json and -o yaml: checks grouped per source and source node, times in RFC 3339. */
export function statusDocument(report: StatusReport) {
  const groups = new Map<string, CheckRow[]>();
  for (const row of report.rows) {
    const key = sourceKey(row.source);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  // One heartbeat per source instance, 10,000 at 5,000 nodes: looked up by key, never searched per source.
  const livenessByKey = new Map((report.sources ?? []).map((source) => [sourceKey(source.source), source]));
  return {
    time: formatTime(report.time),
    summary: summary(report),
    sources: [...groups.entries()].map(([key, rows]) => {
      const liveness = livenessByKey.get(key);
      return {
        name: rows[0]!.source.name,
        ...(rows[0]!.source.node ? { node: rows[0]!.source.node } : {}),
        ...(liveness
          ? {
              heartbeat: {
                state: liveness.state,
                ...(liveness.since ? { since: formatTime(liveness.since) } : {}),
                ...(liveness.runningOn ? { runningOn: liveness.runningOn } : {}),
                ...(liveness.holder ? { pod: liveness.holder } : {}),
              },
            }
          : {}),
        checks: rows.map((row) => checkDocument(row, report.now?.get(row.check))),
      };
    }),
  };
}

function summary(report: StatusReport) {
  return {
    checks: report.rows.length,
    ...countStates(report.rows),
    openOutages: report.rows.filter((row) => row.openOutage).length,
  };
}

function checkDocument(row: CheckRow, now: ProbeResult | undefined) {
  return {
    check: row.check,
    vantage: row.vantage,
    target: {
      name: row.target.name,
      kind: row.target.kind,
      ...(row.target.node ? { node: row.target.node } : {}),
      ...(row.target.layer ? { layer: row.target.layer } : {}),
      ...(row.target.nodeRoles.length > 0 ? { nodeRoles: row.target.nodeRoles } : {}),
    },
    endpoint: row.endpoint,
    probe: row.probe,
    state: row.state,
    ...(row.lastProbe?.latency ? { latency: row.lastProbe.latency } : {}),
    ...(row.lastProbe ? { lastProbe: formatTime(row.lastProbe.time) } : {}),
    ...(row.changedAt ? { changed: formatTime(row.changedAt) } : {}),
    ...(row.lastFailure
      ? {
          lastFailure: {
            time: formatTime(row.lastFailure.time),
            kind: row.lastFailure.kind,
            reason: row.lastFailure.reason,
            message: row.lastFailure.message,
          },
        }
      : {}),
    ...(row.openOutage
      ? { openOutage: { start: formatTime(row.openOutage.start), message: row.openOutage.message } }
      : {}),
    outages: row.outages,
    ...(now ? { now: freshDocument(now) } : {}),
  };
}

function freshDocument(result: ProbeResult) {
  return { ...toLogEntry(result), ...(result.success ? {} : { kind: failureOf(result) }) };
}

/** One line per failing fresh result, for the table views: what failed now and why. */
function freshFailures(report: StatusReport): string[] {
  if (!report.now) return [];
  return report.rows.flatMap((row) => {
    const result = report.now?.get(row.check);
    return result && !result.success ? [`${row.check}: ${withoutLabel(result.message)}`] : [];
  });
}
