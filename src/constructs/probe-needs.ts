/** What the checks' probe kinds ask of the workloads and policies: ping sockets for icmp, UDP egress for udp. */
import type { PlannedCheck } from '../topology/expand.js';

/**
 * True when the source has icmp checks from a pod of its own network namespace: the sysctl is set per pod, and a
 * host-network pod may not set net.* sysctls (the node's own setting applies there).
 */
export function needsPingSockets(sourceName: string, checks: readonly PlannedCheck[]): boolean {
  return checks.some(
    (check) =>
      check.spec.source?.name === sourceName &&
      check.spec.probe?.kind === 'icmp' &&
      check.spec.source.vantage !== 'host',
  );
}

/** The UDP ports udp checks probe. */
export function udpProbePorts(checks: readonly PlannedCheck[]): number[] {
  return checks
    .filter((check) => check.spec.probe?.kind === 'udp')
    .map(
      (check) =>
        check.spec.targetPod?.port ??
        Number(check.spec.targetEndpoint.slice(check.spec.targetEndpoint.lastIndexOf(':') + 1)),
    );
}
