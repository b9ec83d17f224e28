/** `p2pnc status` filters: by source, node (either end), target and state; each flag takes a comma-separated list. */
import { LABEL_SOURCE, LABEL_SOURCE_NODE, LABEL_TARGET, LABEL_TARGET_NODE, nodeLabelValue } from '../api/labels.js';
import { UsageError } from '../util/errors.js';
import { CHECK_STATES, type CheckRow, type CheckState } from './matrix.js';

export interface StatusFilterOptions {
  source?: string;
  node?: string;
  target?: string;
  state?: string;
}

export interface StatusFilter {
  sources?: string[];
  nodes?: string[];
  targets?: string[];
  states?: CheckState[];
}

/** `failing` is shorthand for unreachable,unknown. */
const STATE_ALIASES: Readonly<Record<string, readonly CheckState[]>> = { failing: ['unreachable', 'unknown'] };

export function parseFilter(options: StatusFilterOptions): StatusFilter {
  const filter: StatusFilter = {};
  const sources = list('--source', options.source);
  const nodes = list('--node', options.node);
  const targets = list('--target', options.target);
  if (sources) filter.sources = sources;
  if (nodes) filter.nodes = nodes;
  if (targets) filter.targets = targets;
  const states = list('--state', options.state);
  if (states) {
    filter.states = states.flatMap((state) => {
      const alias = STATE_ALIASES[state];
      if (alias) return [...alias];
      if ((CHECK_STATES as readonly string[]).includes(state)) return [state as CheckState];
      throw new UsageError(
        `--state "${state}" is not a state; use one or more of ${[...CHECK_STATES, ...Object.keys(STATE_ALIASES)].join(', ')}`,
      );
    });
  }
  return filter;
}

/**
 * Keeps the rows matching every given flag. A name no check has is a usage error naming the ones that exist, so
 * a typo never looks like a healthy, empty result.
 */
export function applyFilter(rows: readonly CheckRow[], filter: StatusFilter): CheckRow[] {
  const sources = known(rows.map((row) => row.source.name));
  const nodes = known(
    rows.flatMap((row) => [row.source.node, row.target.node].filter((node): node is string => node !== undefined)),
  );
  const targets = known(rows.map((row) => row.target.name));
  // --node takes a node's name, or the label value a node name over 63 characters has on its checks.
  const wantedNodes = filter.nodes && nodeNamesFor(filter.nodes, nodes);
  requireKnown('--source', 'source', filter.sources, sources);
  requireKnown('--node', 'node', wantedNodes, nodes, filter.nodes);
  requireKnown('--target', 'target', filter.targets, targets);
  return rows.filter(
    (row) =>
      (!filter.sources || filter.sources.includes(row.source.name)) &&
      (!wantedNodes || wantedNodes.some((node) => node === row.source.node || node === row.target.node)) &&
      (!filter.targets || filter.targets.includes(row.target.name)) &&
      (!filter.states || filter.states.includes(row.state)),
  );
}

/**
 * Label selectors whose union holds every check the filter can keep, for the API server to choose them: one node's or
 * one source's checks are read without the whole namespace. Undefined when the filter names no source, node or target.
 * A node is either end of a check, so --node gives two selectors (source node, target node).
 */
export function serverSelectors(filter: StatusFilter): string[] | undefined {
  const common = [
    ...(filter.sources ? [inSet(LABEL_SOURCE, filter.sources)] : []),
    ...(filter.targets ? [inSet(LABEL_TARGET, filter.targets)] : []),
  ];
  if (!filter.nodes) return common.length > 0 ? [common.join(',')] : undefined;
  const labels = filter.nodes.map(nodeLabelValue);
  return [LABEL_SOURCE_NODE, LABEL_TARGET_NODE].map((key) => [...common, inSet(key, labels)].join(','));
}

const inSet = (key: string, values: readonly string[]): string =>
  `${key} in (${[...new Set(values)].sort().join(',')})`;

function list(flag: string, text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const items = text.split(',').map((item) => item.trim());
  if (items.some((item) => item === ''))
    throw new UsageError(`${flag} takes a comma-separated list of names, got "${text}"`);
  return items;
}

/** Each wanted node as the node name it means: itself, or the node whose label value it is. */
function nodeNamesFor(wanted: readonly string[], nodes: readonly string[]): string[] {
  const byLabel = new Map<string, string>();
  for (const node of nodes) {
    const label = nodeLabelValue(node);
    if (label !== node) byLabel.set(label, node);
  }
  return wanted.map((node) => (nodes.includes(node) ? node : (byLabel.get(node) ?? node)));
}

function known(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

function requireKnown(
  flag: string,
  what: string,
  wanted: readonly string[] | undefined,
  existing: readonly string[],
  asGiven = wanted,
): void {
  for (const [i, name] of (wanted ?? []).entries()) {
    if (existing.includes(name)) continue;
    const given = asGiven?.[i] ?? name;
    const listed =
      existing.length === 0
        ? 'there are no checks'
        : `known: ${existing.slice(0, 8).join(', ')}${existing.length > 8 ? ', ...' : ''}`;
    throw new UsageError(`${flag} "${given}": no check has this ${what} (${listed})`);
  }
}
