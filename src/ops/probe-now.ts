/**
 * `p2pnc status --probe`: each check probed once, now, from where the CLI runs, with the runtime's own probe
 * (same endpoint resolution, client certificates and messages as the source), at most `concurrency` at a time.
 */
import type { KubeClient } from '../runtime/kube/client.js';
import { paths, type CheckObject, type EndpointSlice, type ObjectList } from '../runtime/kube/resources.js';
import { probeCheck, type Lookups } from '../runtime/source/check-target.js';
import { ClientCertificates } from '../runtime/source/client-certs.js';
import { podAddress, targetPodsSelector } from '../runtime/source/target-pods.js';
import type { ProbeResult } from '../runtime/types.js';

export async function probeChecks(
  checks: readonly CheckObject[],
  lookups: Lookups,
  concurrency: number,
): Promise<Map<string, ProbeResult>> {
  const results = new Map<string, ProbeResult>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < checks.length) {
      const check = checks[next++]!;
      results.set(check.metadata.name, await probeCheck(check.metadata.name, check.spec, lookups));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, checks.length)) }, worker));
  return results;
}

/** Target pod addresses from one list of the target Services' EndpointSlices; client certificates read on demand. */
export async function clusterLookups(
  client: KubeClient,
  namespace: string,
  checks: readonly CheckObject[],
): Promise<Lookups> {
  const services = [
    ...new Set(checks.flatMap((check) => (check.spec.targetPod ? [check.spec.targetPod.service] : []))),
  ].sort();
  let slices: EndpointSlice[] = [];
  let unreadable: string | undefined;
  if (services.length > 0) {
    try {
      slices = (
        await client.get<ObjectList<EndpointSlice>>(paths.endpointSlices(namespace), {
          query: { labelSelector: targetPodsSelector(services) },
          timeoutMs: 30_000,
        })
      ).items;
    } catch (error) {
      // The other checks are still worth probing; these become invalid with the reason.
      unreadable = `cannot list the EndpointSlices of ${namespace}/${services.join(',')} to find the target pod: ${(error as Error).message}`;
    }
  }
  const certificates = new ClientCertificates(client, namespace);
  return {
    targetPodAddress: (service, node) => {
      if (unreadable) throw new Error(unreadable);
      return podAddress(slices, service, node);
    },
    clientCert: (secret) => certificates.get(secret),
  };
}
