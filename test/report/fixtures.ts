/**
 * Check objects for the report tests: the checks the generator plans for the small topology, with statuses made by
 * the real status reducer from probe results (and markStale for a check no source probes any more).
 */
import { API_VERSION, KIND, type CheckStatus } from '../../src/api/check.js';
import type { CheckObject } from '../../src/runtime/kube/resources.js';
import { tcpFailed, tcpSucceeded, invalidCheck, Reason } from '../../src/runtime/probe/messages.js';
import { checkLabel } from '../../src/runtime/source/check-target.js';
import { lastProbeTime, markStale, record } from '../../src/runtime/status/reducer.js';
import type { ProbeResult } from '../../src/runtime/types.js';
import { expand, type PlannedCheck } from '../../src/topology/expand.js';
import { TopologySchema } from '../../src/topology/schema.js';
import { smallTopology } from '../helpers/topologies.js';

const MINUTE_MS = 60_000;

/** The report's "now" in tests that render in-process; the history covers the 30 minutes before it. */
export const NOW = new Date('2021-01-13T20:30:00Z');
export const HISTORY_MS = 30 * MINUTE_MS;
const STALE_AFTER_MS = 10 * MINUTE_MS;

export const NAMES = {
  reachable: 'network-check-source-worker-0-to-apiserver-master-0',
  reachableIpv6: 'network-check-source-worker-0-to-apiserver-master-0-ipv6',
  unreachable: 'network-check-source-worker-0-to-apiserver-master-1',
  recovered: 'network-check-source-worker-0-to-etcd-master-0',
  neverProbed: 'network-check-source-worker-0-to-etcd-master-1',
  unconfirmed: 'network-check-source-worker-0-to-kubernetes-default-service-cluster',
  stale: 'network-check-source-worker-0-to-load-balancer-api-external',
  invalid: 'mesh-10-0-1-11-to-network-check-target-master-0',
} as const;

/** Minutes after the history starts at which the recovered check's outage starts and ends. */
export const RECOVERED_OUTAGE = { startMinute: 10, endMinute: 14 };

type Step = { minute: number; outcome: 'ok' | 'refused' | 'timeout' | 'invalid'; latencyMs?: number };

const every = (from: number, to: number, outcome: Step['outcome'], latencyMs = 0.8): Step[] =>
  Array.from({ length: to - from + 1 }, (_, index) => ({ minute: from + index, outcome, latencyMs }));

/** What each check's source saw, minute by minute; checks not listed here were never probed. */
const HISTORY: Record<string, Step[]> = {
  [NAMES.reachable]: every(0, 29, 'ok', 0.8),
  [NAMES.reachableIpv6]: every(0, 29, 'ok', 1.1),
  [NAMES.unreachable]: [...every(0, 19, 'ok', 0.9), ...every(20, 29, 'refused')],
  [NAMES.recovered]: [
    ...every(0, RECOVERED_OUTAGE.startMinute - 1, 'ok', 15),
    ...every(RECOVERED_OUTAGE.startMinute, RECOVERED_OUTAGE.endMinute - 1, 'timeout'),
    ...every(RECOVERED_OUTAGE.endMinute, 29, 'ok', 15),
  ],
  [NAMES.unconfirmed]: [{ minute: 29, outcome: 'timeout' }],
  [NAMES.stale]: every(0, 5, 'ok', 30),
  [NAMES.invalid]: every(25, 29, 'invalid'),
  'network-check-source-worker-0-to-network-check-target-service-cluster': every(0, 29, 'ok', 3),
  'mesh-worker-0-to-network-check-target-service-cluster': every(0, 29, 'ok', 4),
  'mesh-worker-0-to-network-check-target-10-0-1-11': every(0, 29, 'ok', 0.4),
  'mesh-10-0-1-11-to-network-check-target-service-cluster': every(0, 29, 'ok', 60),
};

function plannedChecks(): PlannedCheck[] {
  return expand(TopologySchema.parse(smallTopology()));
}

/** The planned checks with their statuses as of `now`; `edit` changes a planned check before its status is made. */
export function reportChecks(
  now: Date = NOW,
  edit: (planned: PlannedCheck) => PlannedCheck = (planned) => planned,
): CheckObject[] {
  const start = new Date(now.getTime() - HISTORY_MS);
  return plannedChecks().map((original) => {
    const planned = edit(original);
    const object: CheckObject = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: {
        name: planned.name,
        namespace: 'p2pnc',
        labels: planned.labels,
        creationTimestamp: start.toISOString(),
      },
      spec: planned.spec,
    };
    const status = statusOf(planned, HISTORY[original.name] ?? [], start, now);
    if (status) object.status = status;
    return object;
  });
}

function statusOf(planned: PlannedCheck, steps: readonly Step[], start: Date, now: Date): CheckStatus | undefined {
  if (steps.length === 0) return undefined;
  let status: CheckStatus | undefined;
  for (const step of steps) status = record(status, probeResult(planned, step, start)).status;
  return markStale(status!, lastProbeTime(status), now, STALE_AFTER_MS, start);
}

function probeResult(planned: PlannedCheck, step: Step, start: Date): ProbeResult {
  const label = checkLabel(planned.name);
  const endpoint = planned.spec.targetEndpoint;
  const time = new Date(start.getTime() + step.minute * MINUTE_MS + 123);
  const latencyMs = step.latencyMs ?? 0.8;
  switch (step.outcome) {
    case 'ok':
      return { time, success: true, latencyMs, reason: Reason.tcpConnect, message: tcpSucceeded(label, endpoint) };
    case 'refused':
      return {
        time,
        success: false,
        latencyMs,
        reason: Reason.tcpConnectError,
        message: tcpFailed(label, endpoint, endpoint, 'connect: connection refused'),
        failure: 'refused',
      };
    case 'timeout':
      return {
        time,
        success: false,
        latencyMs: 10_000,
        reason: Reason.tcpConnectError,
        message: tcpFailed(label, endpoint, endpoint, 'i/o timeout'),
        failure: 'timeout',
      };
    case 'invalid':
      return {
        time,
        success: false,
        latencyMs: 0,
        reason: Reason.invalidCheck,
        message: invalidCheck(label, 'no pod of service network-check-target on node master-0'),
        failure: 'config',
      };
  }
}

/** The state of the report matrix's cell for a source and target (their keys), or undefined when there is no such cell. */
export function cellState(html: string, source: string, target: string): string | undefined {
  const cell = new RegExp(
    `<td class="cell[^"]*" data-source="${source}" data-target="${target}" data-state="([a-z]+)"`,
  ).exec(html);
  return cell?.[1];
}
