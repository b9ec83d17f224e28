/**
 * The memory a source pod gets, by the checks one of its instances probes: a Deployment's leader probes all of its
 * checks, a DaemonSet's pod those of its node. A fixed 160Mi limit is at a 1,000-check source's peak, and a large
 * Deployment source (a prober of every kubelet on thousands of nodes) would be killed at start-up.
 */
import type { PlannedCheck } from '../topology/expand.js';

/** What the default request and limit hold: sources whose estimated peak fits the default limit keep exactly these. */
export const DEFAULT_SOURCE_MEMORY_MIB = { request: 48, limit: 160 } as const;

/**
 * `p2pnc source` measured by bench:source-memory on the real API server (Node 24, checks probed every 6 s at 1,000
 * and every 60 s at 10,000): RSS with no check, then steady (median) and peak at 1,000 and 10,000 checks. V8 grows
 * lazily, so the first thousand checks cost 72 KiB each and the next nine thousand 11-16 KiB.
 */
const MEASURED = [
  { checks: 0, steadyMiB: 89, peakMiB: 100 },
  { checks: 1000, steadyMiB: 159, peakMiB: 161 },
  { checks: 10000, steadyMiB: 261, peakMiB: 302 },
] as const;
/** Headroom of the limit over the estimated peak. */
const LIMIT_MARGIN = 1.25;

export interface SourceMemory {
  requestMiB: number;
  limitMiB: number;
}

/**
 * The request and limit for an instance probing `checks` checks: the defaults while the estimated peak with its
 * margin fits the default limit; beyond, the estimated steady use (request, in steps of 16 MiB) and the peak with its
 * margin (limit, in steps of 32 MiB). Estimates are linear between the measured points and beyond the last.
 */
export function sourceMemory(checks: number): SourceMemory {
  const limit = Math.ceil((LIMIT_MARGIN * estimate(checks, 'peakMiB')) / 32) * 32;
  if (limit <= DEFAULT_SOURCE_MEMORY_MIB.limit)
    return { requestMiB: DEFAULT_SOURCE_MEMORY_MIB.request, limitMiB: DEFAULT_SOURCE_MEMORY_MIB.limit };
  return { requestMiB: Math.ceil(estimate(checks, 'steadyMiB') / 16) * 16, limitMiB: limit };
}

function estimate(checks: number, figure: 'steadyMiB' | 'peakMiB'): number {
  const upper = MEASURED.findIndex((point) => point.checks >= checks);
  const [from, to] =
    upper > 0
      ? [MEASURED[upper - 1]!, MEASURED[upper]!]
      : upper === 0
        ? [MEASURED[0], MEASURED[1]]
        : [MEASURED[1], MEASURED[2]];
  return from[figure] + ((to[figure] - from[figure]) * (checks - from.checks)) / (to.checks - from.checks);
}

/**
 * The most checks one instance of the source probes: all of a Deployment's (its leader probes them all), and for a
 * DaemonSet the most on any one node.
 */
export function checksPerInstance(source: { name: string; kind: string }, checks: readonly PlannedCheck[]): number {
  const own = checks.filter((check) => check.spec.source?.name === source.name);
  if (source.kind !== 'DaemonSet') return own.length;
  const perNode = new Map<string, number>();
  for (const check of own) {
    const node = check.spec.source?.node ?? '';
    perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  return Math.max(0, ...perNode.values());
}
