/**
 * Applies a dist/ folder the way Argo CD syncs it (gitops-engine): waves ascending by the
 * `argocd.argoproj.io/sync-wave` annotation; each wave applied (server-side, as the README's Application asks), then,
 * unless it is the last, waited for until every object of it is Healthy by Argo CD's built-in health checks
 * (Deployment: updated replicas available; DaemonSet: every scheduled pod updated and available; CRD: Established;
 * anything else Healthy once it exists). A Degraded object fails the sync.
 */
import type { Cluster } from '../cluster/harness.js';
import { readDist, type K8sObject } from '../helpers/synth.js';

const WAVE = 'argocd.argoproj.io/sync-wave';

export interface SyncedWave {
  wave: number;
  objects: string[];
  /** Milliseconds from the wave's apply to its health (0 for the last wave, which is not waited for). */
  healthyAfterMs: number;
}

export function waves(objects: K8sObject[]): Map<number, K8sObject[]> {
  const byWave = new Map<number, K8sObject[]>();
  for (const object of objects) {
    const wave = Number(object.metadata.annotations?.[WAVE] ?? '0');
    byWave.set(wave, [...(byWave.get(wave) ?? []), object]);
  }
  return new Map([...byWave].sort(([a], [b]) => a - b));
}

export type Health = { status: 'Healthy' | 'Progressing' | 'Degraded'; message?: string };

/** gitops-engine's health of the kinds dist/ holds. */
export function health(live: K8sObject | undefined): Health {
  if (!live) return { status: 'Progressing', message: 'not found' };
  const status = (live['status'] ?? {}) as Record<string, any>;
  const generation = live.metadata['generation' as keyof typeof live.metadata] as unknown as number | undefined;
  const observed = (status['observedGeneration'] as number | undefined) ?? 0;
  switch (live.kind) {
    case 'Deployment': {
      const replicas = (live['spec']?.replicas as number | undefined) ?? 1;
      const progressing = (status['conditions'] as { type: string; reason?: string }[] | undefined)?.find(
        (c) => c.type === 'Progressing',
      );
      if (progressing?.reason === 'ProgressDeadlineExceeded')
        return { status: 'Degraded', message: `deployment ${live.metadata.name} exceeded its progress deadline` };
      if (generation !== undefined && observed < generation)
        return { status: 'Progressing', message: 'waiting for the rollout to be observed' };
      if ((status['updatedReplicas'] ?? 0) < replicas)
        return { status: 'Progressing', message: `${status['updatedReplicas'] ?? 0} of ${replicas} updated` };
      if ((status['replicas'] ?? 0) > (status['updatedReplicas'] ?? 0))
        return { status: 'Progressing', message: 'old replicas pending termination' };
      if ((status['availableReplicas'] ?? 0) < (status['updatedReplicas'] ?? 0))
        return {
          status: 'Progressing',
          message: `${status['availableReplicas'] ?? 0} of ${status['updatedReplicas']} available`,
        };
      return { status: 'Healthy' };
    }
    case 'DaemonSet': {
      if (generation !== undefined && observed < generation)
        return { status: 'Progressing', message: 'waiting for the rollout to be observed' };
      const desired = status['desiredNumberScheduled'] ?? 0;
      if ((status['updatedNumberScheduled'] ?? 0) < desired)
        return { status: 'Progressing', message: `${status['updatedNumberScheduled'] ?? 0} of ${desired} updated` };
      if ((status['numberAvailable'] ?? 0) < desired)
        return { status: 'Progressing', message: `${status['numberAvailable'] ?? 0} of ${desired} available` };
      return { status: 'Healthy' };
    }
    case 'CustomResourceDefinition': {
      const established = (status['conditions'] as { type: string; status: string }[] | undefined)?.find(
        (c) => c.type === 'Established',
      );
      return established?.status === 'True'
        ? { status: 'Healthy' }
        : { status: 'Progressing', message: 'not Established yet' };
    }
    default:
      return { status: 'Healthy' };
  }
}

function ref(object: K8sObject): string {
  return `${object.kind}/${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
}

async function live(cluster: Cluster, object: K8sObject): Promise<K8sObject | undefined> {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
  const args = ['get', group ? `${object.kind}.${group}` : object.kind, object.metadata.name, '-o', 'json'];
  if (object.metadata.namespace) args.push('-n', object.metadata.namespace);
  const res = await cluster.kubectl(args);
  return res.code === 0 ? (JSON.parse(res.stdout) as K8sObject) : undefined;
}

/** Syncs dir wave by wave; resolves with each wave's timing, rejects on Degraded or after timeoutMs in one wave. */
export async function syncInWaves(cluster: Cluster, dir: string, timeoutMs = 180_000): Promise<SyncedWave[]> {
  const byWave = waves(readDist(dir).objects);
  const last = Math.max(...byWave.keys());
  const synced: SyncedWave[] = [];
  for (const [wave, objects] of byWave) {
    const applied = Date.now();
    const input = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });
    const res = await cluster.kubectl(['apply', '--server-side', '--field-manager=argocd-controller', '-f', '-'], {
      input,
    });
    if (res.code !== 0) throw new Error(`wave ${wave}: apply failed: ${res.stderr}`);
    if (wave !== last) await waitHealthy(cluster, `wave ${wave}`, objects, applied + timeoutMs);
    synced.push({ wave, objects: objects.map(ref), healthyAfterMs: wave === last ? 0 : Date.now() - applied });
  }
  return synced;
}

/**
 * After a sync, waits for the workloads (Deployments, DaemonSets) to be Healthy, as the Application's health turns
 * Healthy in Argo CD once its pods run: the last wave is not waited for by the sync itself. Returns the time it took.
 */
export async function waitWorkloadsHealthy(cluster: Cluster, dir: string, timeoutMs = 180_000): Promise<number> {
  const started = Date.now();
  const workloads = readDist(dir).objects.filter(
    (object) => object.kind === 'Deployment' || object.kind === 'DaemonSet',
  );
  await waitHealthy(cluster, 'the workloads', workloads, started + timeoutMs);
  return Date.now() - started;
}

async function waitHealthy(cluster: Cluster, what: string, objects: K8sObject[], deadline: number): Promise<void> {
  let pending = objects;
  while (pending.length > 0) {
    const states = await Promise.all(
      pending.map(async (object) => ({ object, health: health(await live(cluster, object)) })),
    );
    const degraded = states.find((s) => s.health.status === 'Degraded');
    if (degraded) throw new Error(`${what}: ${ref(degraded.object)} is Degraded: ${degraded.health.message}`);
    pending = states.filter((s) => s.health.status !== 'Healthy').map((s) => s.object);
    const last = states
      .filter((s) => s.health.status !== 'Healthy')
      .map((s) => `${ref(s.object)}: ${s.health.message}`)
      .join('; ');
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new Error(`${what} not Healthy in time: ${last}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
