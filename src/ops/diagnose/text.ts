/** Wording and small collection helpers the diagnose rules share. Pure. */
import { FAILURE_LABELS, httpStatusOf, type FailureKind } from '../classify.js';
import { describeSource, sourceKey, type CheckRow, type SourceRef } from '../matrix.js';
import * as steps from '../next-steps.js';

/** The target probing what a front forwards to: the topology's `backends`, or a p2pnc target's own per-node checks. */
export function backendsOf(row: CheckRow): string | undefined {
  if (row.target.backends) return row.target.backends;
  return row.target.kind === 'p2pnc-target' && !row.target.node ? row.target.name : undefined;
}

export function layerCulprit(kind: FailureKind, row: CheckRow): string {
  switch (kind) {
    case 'refused':
      return `nothing listens on ${row.endpoint}, or a firewall rejects`;
    case 'timeout':
      return row.probe === 'icmp'
        ? `no echo reply from ${row.address ?? row.dnsName ?? row.endpoint}: ICMP filtered, or the host is down`
        : `packets to ${row.endpoint} are dropped (firewall, routing) or the host is down`;
    case 'mtu':
      return `large packets from ${row.endpoint} never arrive: a path-MTU black hole (an MTU larger than the path's, and ICMP "fragmentation needed" dropped)`;
    case 'no-route':
      return `no route to ${row.address ?? row.dnsName ?? row.endpoint}`;
    case 'tls':
      return `TLS handshake with ${row.endpoint} fails`;
    case 'http-status': {
      const status = httpStatusOf(row.lastFailure?.message);
      return `${row.endpoint} answers HTTP ${status ?? 'with an unexpected status'}`;
    }
    case 'http':
      return `the HTTP exchange with ${row.endpoint} fails`;
    case 'dns':
      return `${row.dnsName ?? row.endpoint} does not resolve`;
    default:
      return `${row.endpoint} fails`;
  }
}

export function serviceTitle(row: CheckRow): string {
  const service = steps.serviceOfName(row.dnsName ?? '');
  return service ? `Service ${service.namespace}/${service.name}` : row.target.name;
}

export function nodeTitle(node: string, rows: readonly CheckRow[]): string {
  const roles = new Set(rows.flatMap((row) => row.target.nodeRoles));
  return roles.has('master') || roles.has('control-plane') ? `master ${node}` : `node ${node}`;
}

export function kindsText(rows: readonly CheckRow[]): string {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const label = FAILURE_LABELS[row.lastFailure?.kind ?? 'other'];
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([label, count]) => (counts.size === 1 ? label : `${count} ${label}`)).join(', ');
}

export function describeSources(sources: readonly SourceRef[]): string {
  return listed(sources.map(describeSource), 'source');
}

/** `a, b, c`, or `a, b, c and 4 more [nouns]`. */
export function listed(items: readonly string[], noun?: string): string {
  const more = items.length - 3;
  if (more <= 0) return items.join(', ');
  return `${items.slice(0, 3).join(', ')} and ${more} more${noun ? ` ${noun}${more === 1 ? '' : 's'}` : ''}`;
}

export function describeNodes(sources: readonly SourceRef[]): string {
  return listed(distinct(sources.map((source) => source.node ?? `the node of ${source.name}`)), 'node');
}

export function uniqueSources(rows: readonly CheckRow[]): SourceRef[] {
  const seen = new Map<string, SourceRef>();
  for (const row of rows) if (!seen.has(sourceKey(row.source))) seen.set(sourceKey(row.source), row.source);
  return [...seen.values()];
}

export function preferSameTargets(rows: readonly CheckRow[], targets: ReadonlySet<string>): CheckRow[] {
  return [
    ...rows.filter((row) => targets.has(row.target.name)),
    ...rows.filter((row) => !targets.has(row.target.name)),
  ];
}

export function isClusterName(name: string | undefined): boolean {
  return name !== undefined && /\.svc(\.|$)/.test(name);
}

/** The error text at the end of a message: `no such host`, `i/o timeout`. */
export function lastWords(message: string | undefined): string {
  const text = message ?? '';
  const at = text.lastIndexOf(': ');
  return at >= 0 ? text.slice(at + 2) : text;
}

export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

export function distinct<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

export function earliest(times: readonly (string | undefined)[]): string | undefined {
  return times.filter((time): time is string => time !== undefined).sort()[0];
}

export function latest(times: readonly (Date | undefined)[]): Date | undefined {
  return times.filter((time): time is Date => time !== undefined).sort((a, b) => b.getTime() - a.getTime())[0];
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
