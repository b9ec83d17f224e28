/**
 * Check objects -> one self-contained HTML page: the source x target matrix coloured by state and latency, and an
 * outage timeline per check. Inline CSS and SVG only, no script and no external reference, so it opens offline and
 * can be attached to a ticket. Every string from the cluster is escaped: names and messages are not trusted.
 * Pure and deterministic: the same checks and `now` give the same bytes.
 */
import type { CheckObject } from '../runtime/kube/resources.js';
import { formatTime } from '../runtime/status/time.js';
import { formatDuration } from '../api/duration.js';
import { age } from './format.js';
import type { SourceLivenessRow } from './heartbeats.js';
import { countStates, describeSource, type CheckRow, type CheckState } from './matrix.js';
import {
  buildReport,
  MAX_ALL_TIMELINES,
  type CheckTimeline,
  type MatrixCell,
  type MatrixColumn,
  type ReportModel,
} from './report-model.js';

export interface ReportOptions {
  now: Date;
  /** Where the checks came from, shown under the title: `namespace p2pnc (context prod)`, a file name. */
  subject?: string;
  /** The sources' heartbeats: quiet ones get a section of their own. @default none */
  sources?: readonly SourceLivenessRow[];
}

/** Fill colours of the cells and the legend. */
const STATE_COLOURS: Readonly<Record<CheckState, string>> = {
  reachable: '#1a9850',
  unreachable: '#d73027',
  unknown: '#fdae61',
  invalid: '#9e5fb8',
  stale: '#969696',
  pending: '#d9d9d9',
};

/** Reachable cells are shaded by their newest latency: below each bound, the colour at the same index. */
const LATENCY_BANDS: readonly { belowMs: number; colour: string; label: string }[] = [
  { belowMs: 2, colour: '#1a9850', label: '< 2 ms' },
  { belowMs: 10, colour: '#66bd63', label: '2-10 ms' },
  { belowMs: 50, colour: '#a6d96a', label: '10-50 ms' },
  { belowMs: Number.POSITIVE_INFINITY, colour: '#d9ef8b', label: '>= 50 ms' },
];

const STATE_LABELS: Readonly<Record<CheckState, string>> = {
  reachable: 'reachable',
  unreachable: 'unreachable (confirmed outage)',
  unknown: 'failing, not confirmed yet',
  invalid: 'invalid check',
  stale: 'stale (no source probes it)',
  pending: 'never probed',
};

const CELL_TEXT: Readonly<Record<Exclude<CheckState, 'reachable'>, string>> = {
  unreachable: 'down',
  unknown: 'failing',
  invalid: 'invalid',
  stale: 'stale',
  pending: '—',
};

/** Checks a cell lists on hover; a cell with more counts its checks by state and lists those not reachable. */
const MAX_LISTED_CHECKS = 3;

const TIMELINE_WIDTH = 720;
const TIMELINE_HEIGHT = 22;
const AXIS_HEIGHT = 18;

export function renderReportHtml(checks: readonly CheckObject[], options: ReportOptions): string {
  return renderReport(buildReport(checks, options.now), options);
}

/** The page for a report already built (report-model.ts), e.g. from checks read a page at a time. */
export function renderReport(report: ReportModel, options: ReportOptions): string {
  const title = `p2pnc connectivity report${options.subject ? ` — ${options.subject}` : ''}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // Nothing may load from anywhere, even if a future change slipped in a reference.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<h1>p2pnc connectivity report</h1>',
    `<p class="summary">${summary(report, options)}</p>`,
    quietSourcesSection(options.sources ?? [], report.nowMs),
    matrixSection(report),
    timelineSection(report),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Sources whose heartbeat stopped: their rows below are not current. Nothing when every source is alive. */
function quietSourcesSection(sources: readonly SourceLivenessRow[], nowMs: number): string {
  const quiet = sources.filter((source) => source.state === 'quiet');
  if (quiet.length === 0) return '';
  const items = quiet.map((source) => {
    const where = source.runningOn && !source.source.node ? ` (on ${source.runningOn})` : '';
    const since = source.since
      ? `quiet since ${displayTime(source.since.getTime())} (${age(nowMs - source.since.getTime())} ago)`
      : 'heartbeat never renewed';
    return `<li>${escapeHtml(`${describeSource(source.source)}${where}: ${since}`)}</li>`;
  });
  return `<section><h2>Quiet sources</h2><p>Their heartbeat Lease is not renewed: their results below are not current and prove nothing.</p><ul>${items.join('')}</ul></section>`;
}

function summary(report: ReportModel, options: ReportOptions): string {
  const total = report.timelines.length;
  const counts = (Object.entries(report.counts) as [CheckState, number][])
    .filter(([, count]) => count > 0)
    .map(([state, count]) => `${count} ${state}`);
  const parts = [
    ...(options.subject ? [escapeHtml(options.subject)] : []),
    // For a saved file this is when it was saved (its newest entry), not when the page was made.
    `as of ${escapeHtml(displayTime(report.nowMs))}`,
    `${total} check${total === 1 ? '' : 's'}${counts.length > 0 ? `: ${escapeHtml(counts.join(', '))}` : ''}`,
  ];
  return parts.join(' · ');
}

function matrixSection(report: ReportModel): string {
  const { columns, rows } = report.matrix;
  if (rows.length === 0)
    return '<section id="matrix"><h2>Source × target</h2><p class="empty">No checks.</p></section>';
  const anyNode = columns.some((column) => column.node !== undefined);
  const groups = groupByTarget(columns);
  const firstHeader = groups
    .map(({ target, columns: group }) => {
      const wholeHeight = anyNode && group.length === 1 && group[0]!.node === undefined;
      return `<th class="target" colspan="${group.length}"${wholeHeight ? ' rowspan="2"' : ''}>${escapeHtml(target)}</th>`;
    })
    .join('');
  const nodeHeader = anyNode
    ? `<tr>${groups
        .filter(({ columns: group }) => !(group.length === 1 && group[0]!.node === undefined))
        .flatMap(({ columns: group }) =>
          group.map(
            (column) =>
              `<th class="target-node">${column.node === undefined ? 'any node' : escapeHtml(column.node)}</th>`,
          ),
        )
        .join('')}</tr>`
    : '';
  const body = rows
    .map((row) => {
      const heading = `<th class="source" scope="row">${escapeHtml(row.source.name)}${row.source.node ? `<span class="node">${escapeHtml(row.source.node)}</span>` : ''}<span class="node">${row.vantage === 'sidecar' ? 'sidecar' : `${row.vantage} network`}</span></th>`;
      const cells = row.cells.map((cell, index) => matrixCell(row.key, columns[index]!, cell)).join('');
      return `<tr>${heading}${cells}</tr>`;
    })
    .join('\n');
  return [
    '<section id="matrix">',
    '<h2>Source × target</h2>',
    ...(report.matrix.nodeColumns === undefined
      ? []
      : [
          `<p class="note">${rows.length} sources × ${report.matrix.nodeColumns} targets and nodes is too large to draw: a column per target instead, ` +
            'each cell in the state of the worst of its checks on every node (×N checks); hover for those not reachable.</p>',
        ]),
    '<div class="scroll"><table class="matrix">',
    `<thead><tr><th class="corner"${anyNode ? ' rowspan="2"' : ''}>source \\ target</th>${firstHeader}</tr>${nodeHeader}</thead>`,
    `<tbody>\n${body}\n</tbody>`,
    '</table></div>',
    legend(),
    '</section>',
  ].join('\n');
}

function groupByTarget(columns: readonly MatrixColumn[]): { target: string; columns: MatrixColumn[] }[] {
  const groups: { target: string; columns: MatrixColumn[] }[] = [];
  for (const column of columns) {
    const last = groups[groups.length - 1];
    if (last && last.target === column.target) last.columns.push(column);
    else groups.push({ target: column.target, columns: [column] });
  }
  return groups;
}

function matrixCell(sourceKey: string, column: MatrixColumn, cell: MatrixCell | undefined): string {
  const where = `data-source="${escapeHtml(sourceKey)}" data-target="${escapeHtml(column.key)}"`;
  if (!cell) return `<td class="cell none" ${where} data-state="none"></td>`;
  const colour = cellColour(cell);
  const text =
    cell.state === 'reachable'
      ? cell.latencyMs === undefined
        ? 'up'
        : formatLatency(cell.latencyMs)
      : CELL_TEXT[cell.state];
  const count = cell.checks.length > 1 ? `<span class="count">×${cell.checks.length}</span>` : '';
  const dark = isDark(colour) ? ' dark' : '';
  return `<td class="cell${dark}" ${where} data-state="${cell.state}" style="background:${colour}" title="${escapeMultiline(cellTitle(cell))}">${escapeHtml(text)}${count}</td>`;
}

function cellColour(cell: MatrixCell): string {
  if (cell.state !== 'reachable' || cell.latencyMs === undefined) return STATE_COLOURS[cell.state];
  return LATENCY_BANDS.find((band) => cell.latencyMs! < band.belowMs)!.colour;
}

function cellTitle(cell: MatrixCell): string {
  if (cell.checks.length <= MAX_LISTED_CHECKS) return cell.checks.map(checkTitle).join('\n\n');
  const counts = countStates(cell.checks);
  const states = (Object.keys(STATE_LABELS) as CheckState[])
    .filter((state) => counts[state] > 0)
    .map((state) => `${counts[state]} ${state}`);
  const failing = cell.checks.filter((check) => check.state !== 'reachable');
  const more = failing.length - MAX_LISTED_CHECKS;
  return [
    `${cell.checks.length} checks: ${states.join(', ')}`,
    ...failing.slice(0, MAX_LISTED_CHECKS).map(checkTitle),
    ...(more > 0 ? [`and ${more} more not reachable`] : []),
  ].join('\n\n');
}

function checkTitle(row: CheckRow): string {
  const lines = [
    `${row.check}: ${STATE_LABELS[row.state]}`,
    `${describeSource(row.source)} -> ${row.endpoint} (${row.probe})`,
  ];
  if (row.lastProbe) {
    lines.push(
      `last probe ${displayTime(row.lastProbe.time.getTime())}${row.lastProbe.latency ? ` in ${row.lastProbe.latency}` : ''}`,
    );
    lines.push(row.lastProbe.message);
  }
  if (row.openOutage) lines.push(`outage open since ${displayTime(row.openOutage.start.getTime())}`);
  else if (row.failingSince) lines.push(`failing since ${displayTime(row.failingSince.getTime())}`);
  if (row.staleSince && Number.isFinite(row.staleSince.getTime()))
    lines.push(`stale since ${displayTime(row.staleSince.getTime())}`);
  return lines.join('\n');
}

function legend(): string {
  const swatch = (key: string, colour: string, label: string) =>
    `<li><span class="swatch" data-legend="${key}" style="background:${colour}"></span>${escapeHtml(label)}</li>`;
  const latency = LATENCY_BANDS.map((band, index) =>
    swatch(`reachable-${index}`, band.colour, `reachable, ${band.label}`),
  );
  const states = (Object.keys(STATE_LABELS) as CheckState[])
    .filter((state) => state !== 'reachable')
    .map((state) => swatch(state, STATE_COLOURS[state], STATE_LABELS[state]));
  return `<ul class="legend">${[...latency, ...states, '<li><span class="swatch none" data-legend="none"></span>no check</li>'].join('')}</ul>`;
}

function timelineSection(report: ReportModel): string {
  const header = '<section id="timeline">\n<h2>Outages over the retained history</h2>';
  if (report.windowStartMs >= report.nowMs) return `${header}\n<p class="empty">No probe results yet.</p>\n</section>`;
  const rows = report.shownTimelines.map((timeline) => timelineRow(report, timeline)).join('\n');
  const hidden = report.timelines.length - report.shownTimelines.length - report.overflowTimelines;
  return [
    header,
    `<p class="note">${escapeHtml(displayTime(report.windowStartMs))} to ${escapeHtml(displayTime(report.nowMs))}. ` +
      'Red spans are outages, dark red ticks failed probes, green ticks successful ones; grey is before the oldest result a check keeps (20 of each).</p>',
    ...(hidden > 0
      ? [
          `<p class="note">More than ${MAX_ALL_TIMELINES} checks: ${hidden} of them, reachable with every result they keep a success, are not drawn; ` +
            `the ${report.shownTimelines.length + report.overflowTimelines} with a failure, an outage or another state are.</p>`,
        ]
      : []),
    ...(report.overflowTimelines > 0
      ? [
          `<p class="note">Of those, the ${report.shownTimelines.length} most telling are drawn (not reachable first, then an open outage, then the newest failure); ` +
            `${report.overflowTimelines} more are not. <code>p2pnc status --state failing</code> lists every check that fails now.</p>`,
        ]
      : []),
    '<div class="scroll"><table class="timeline">',
    `<thead><tr><th></th><td>${axis(report)}</td></tr></thead>`,
    `<tbody>\n${rows}\n</tbody>`,
    '</table></div>',
    '</section>',
  ].join('\n');
}

function axis(report: ReportModel): string {
  const span = report.nowMs - report.windowStartMs;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((fraction) => {
    const x = round(fraction * TIMELINE_WIDTH);
    const anchor = fraction === 0 ? 'start' : fraction === 1 ? 'end' : 'middle';
    const label = axisLabel(report.windowStartMs + fraction * span, span);
    return `<line x1="${x}" y1="${AXIS_HEIGHT - 4}" x2="${x}" y2="${AXIS_HEIGHT}" class="axis-tick"/><text x="${x}" y="${AXIS_HEIGHT - 6}" text-anchor="${anchor}">${escapeHtml(label)}</text>`;
  });
  return `<svg class="axis" width="${TIMELINE_WIDTH}" height="${AXIS_HEIGHT}" viewBox="0 0 ${TIMELINE_WIDTH} ${AXIS_HEIGHT}">${ticks.join('')}</svg>`;
}

function timelineRow(report: ReportModel, timeline: CheckTimeline): string {
  const { row } = timeline;
  const x = (ms: number) =>
    round(((ms - report.windowStartMs) / (report.nowMs - report.windowStartMs)) * TIMELINE_WIDTH);
  const shapes: string[] = [];
  const historyStart = timeline.historyStartMs === undefined ? TIMELINE_WIDTH : Math.max(0, x(timeline.historyStartMs));
  if (historyStart > 0)
    shapes.push(
      `<rect class="no-history" x="0" y="0" width="${historyStart}" height="${TIMELINE_HEIGHT}"><title>no results retained</title></rect>`,
    );
  for (const outage of timeline.outages) {
    const start = Math.max(0, x(outage.startMs));
    const end = Math.min(TIMELINE_WIDTH, x(outage.endMs ?? report.nowMs));
    const period = `${displayTime(outage.startMs)} to ${outage.endMs === undefined ? 'now (open)' : displayTime(outage.endMs)}`;
    shapes.push(
      `<rect class="outage${outage.endMs === undefined ? ' open' : ''}" x="${start}" y="0" width="${round(Math.max(2, end - start))}" height="${TIMELINE_HEIGHT}"><title>${escapeHtml(`outage ${period}\n${outage.message}`)}</title></rect>`,
    );
  }
  for (const probe of timeline.successes) shapes.push(tick('success', x(probe.timeMs), probe));
  for (const probe of timeline.failures) shapes.push(tick('failure', x(probe.timeMs), probe));
  const outages = timeline.outages.length;
  const open = timeline.outages.some((outage) => outage.endMs === undefined);
  const detail = [
    row.check,
    ...(outages > 0 ? [`${outages} outage${outages === 1 ? '' : 's'}${open ? ', one open' : ''}`] : []),
    ...(timeline.historyStartMs === undefined ? ['never probed'] : []),
  ];
  const label = `${describeSource(row.source)} → ${row.target.name}${row.target.node ? ` on ${row.target.node}` : ''}`;
  return (
    `<tr data-check="${escapeHtml(row.check)}" data-state="${row.state}"><th scope="row">${escapeHtml(label)}<span class="detail">${escapeHtml(detail.join(' · '))}</span></th>` +
    `<td><svg class="track" width="${TIMELINE_WIDTH}" height="${TIMELINE_HEIGHT}" viewBox="0 0 ${TIMELINE_WIDTH} ${TIMELINE_HEIGHT}">${shapes.join('')}</svg></td></tr>`
  );
}

function tick(
  kind: 'success' | 'failure',
  x: number,
  probe: { timeMs: number; message: string; latency?: string },
): string {
  const x1 = Math.min(TIMELINE_WIDTH - 1, Math.max(1, x));
  const top = kind === 'failure' ? 0 : TIMELINE_HEIGHT / 2;
  const title = `${displayTime(probe.timeMs)}${probe.latency ? ` (${probe.latency})` : ''}\n${probe.message}`;
  return `<line class="${kind}" x1="${x1}" y1="${top}" x2="${x1}" y2="${TIMELINE_HEIGHT}"><title>${escapeHtml(title)}</title></line>`;
}

function axisLabel(ms: number, spanMs: number): string {
  const iso = new Date(ms).toISOString();
  return spanMs > 24 * 3600_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 19);
}

function displayTime(ms: number): string {
  return formatTime(new Date(ms)).replace('T', ' ').replace('Z', ' UTC');
}

function formatLatency(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return formatDuration(Math.round(ms));
}

/** Whether white text reads better than black on this fill (relative luminance below one half). */
function isDark(hex: string): boolean {
  const [r, g, b] = [1, 3, 5].map((at) => Number.parseInt(hex.slice(at, at + 2), 16) / 255) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!);
}

/** For title attributes: newlines kept as character references so browsers show them as line breaks. */
function escapeMultiline(text: string): string {
  return escapeHtml(text).replace(/\r?\n/g, '&#10;');
}

const STYLE = `
* { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 16px; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f1f1f; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 20px 0 8px; }
.summary, .note, .empty { color: #555; margin: 0 0 8px; }
.scroll { overflow-x: auto; }
table { border-collapse: separate; border-spacing: 2px; }
th { font-weight: 600; text-align: left; vertical-align: bottom; padding: 2px 6px; white-space: nowrap; }
th.target, th.target-node { text-align: center; font-size: 12px; }
th.target-node { font-weight: 400; color: #555; }
th.corner { color: #777; font-weight: 400; font-size: 12px; }
th.source { position: sticky; left: 0; background: #fff; vertical-align: middle; }
th .node, th .detail { display: block; font-weight: 400; font-size: 11px; color: #666; }
td.cell { width: 72px; min-width: 72px; height: 30px; text-align: center; font-size: 12px; color: #1f1f1f; border-radius: 3px; white-space: nowrap; }
td.cell.dark { color: #fff; }
td.cell.none { background: #fff; border: 1px dashed #d0d0d0; }
td.cell .count { font-size: 10px; margin-left: 3px; opacity: 0.8; }
ul.legend { list-style: none; padding: 0; margin: 10px 0 0; display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 12px; }
ul.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 14px; height: 14px; border-radius: 2px; }
.swatch.none { background: #fff; border: 1px dashed #d0d0d0; }
table.timeline th { vertical-align: middle; font-weight: 500; }
table.timeline td { padding: 0; }
svg.track { display: block; background: #fff; outline: 1px solid #e0e0e0; outline-offset: -1px; }
svg.axis { display: block; font-size: 10px; fill: #555; }
.axis-tick { stroke: #999; }
.no-history { fill: #ececec; }
.outage { fill: ${STATE_COLOURS.unreachable}; }
.outage.open { fill: #b2182b; }
line.failure { stroke: #67001f; stroke-width: 2; }
line.success { stroke: #1a9850; stroke-width: 1; }
`;
