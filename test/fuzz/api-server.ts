/**
 * Asks a real kube-apiserver whether synthesized objects would be stored: CRDs and Namespaces are applied, the
 * rest is sent as server-side dry-runs in batches of distinct objects, and a failing batch is halved until the
 * objects it rejects are found. Returns, per case, the first rejection.
 */
import type { Cluster } from '../cluster/harness.js';
import type { K8sObject } from '../helpers/synth.js';

export interface CaseObjects {
  id: number;
  objects: readonly K8sObject[];
}

const BATCH = 400;
/**
 * Checks of one case sent to the server: a case with a few hundred nodes makes thousands, all built by the same code;
 * beyond this many an even sample goes, plus every check with annotations (long node names).
 */
const CHECKS_PER_CASE = 150;

function sample(objects: readonly K8sObject[]): K8sObject[] {
  const checks = objects.filter((object) => object.kind === 'PodNetworkConnectivityCheck');
  if (checks.length <= CHECKS_PER_CASE) return [...objects];
  const step = checks.length / CHECKS_PER_CASE;
  const kept = new Set(Array.from({ length: CHECKS_PER_CASE }, (_, i) => checks[Math.floor(i * step)]!));
  return objects.filter(
    (object) =>
      object.kind !== 'PodNetworkConnectivityCheck' ||
      kept.has(object) ||
      object.metadata.annotations?.['p2pnc.io/target-node'] ||
      object.metadata.annotations?.['p2pnc.io/source-node'],
  );
}

/** Minimal prometheus-operator CRDs: the server then validates the objects' metadata (names, labels). */
const MONITORING_CRDS = [
  { kind: 'ServiceMonitor', plural: 'servicemonitors' },
  { kind: 'PrometheusRule', plural: 'prometheusrules' },
].map(({ kind, plural }) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.monitoring.coreos.com` },
  spec: {
    group: 'monitoring.coreos.com',
    scope: 'Namespaced',
    names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
}));

export async function serverRejections(cluster: Cluster, cases: readonly CaseObjects[]): Promise<Map<number, string>> {
  const owners = new Map<string, { object: K8sObject; ids: Set<number> }>();
  for (const { id, objects } of cases) {
    for (const object of sample(objects)) {
      const key = JSON.stringify(object);
      const entry = owners.get(key) ?? { object, ids: new Set<number>() };
      entry.ids.add(id);
      owners.set(key, entry);
    }
  }
  const entries = [...owners.values()];
  const rejected = new Map<number, string>();
  const blame = (failures: readonly { entry: (typeof entries)[number]; error: string }[]) => {
    for (const { entry, error } of failures)
      for (const id of entry.ids)
        if (!rejected.has(id)) rejected.set(id, `${entry.object.kind} ${entry.object.metadata?.name}: ${error}`);
  };
  const crds = entries.filter((entry) => entry.object.kind === 'CustomResourceDefinition');
  const namespaces = entries.filter((entry) => entry.object.kind === 'Namespace');
  const rest = entries.filter(
    (entry) => entry.object.kind !== 'CustomResourceDefinition' && entry.object.kind !== 'Namespace',
  );

  const monitoring = rest.some((entry) => entry.object.apiVersion?.startsWith('monitoring.coreos.com/'));
  const setup = [
    ...(monitoring ? MONITORING_CRDS.map((object) => ({ object: object as K8sObject, ids: new Set<number>() })) : []),
    ...crds,
  ];
  blame(await applyAll(cluster, setup, false));
  if (setup.length > 0) {
    const established = await cluster.kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
    if (established.code !== 0) throw new Error(`CRDs not established: ${established.stderr}`);
  }
  blame(await applyAll(cluster, namespaces, false));
  const batches: (typeof rest)[] = [];
  for (let i = 0; i < rest.length; i += BATCH) batches.push(rest.slice(i, i + BATCH));
  // Two kubectl processes at a time: the machine's two cores are shared with the rest of the suite.
  for (let i = 0; i < batches.length; i += 2) {
    const results = await Promise.all(batches.slice(i, i + 2).map((batch) => applyAll(cluster, batch, true)));
    for (const failures of results) blame(failures);
  }
  return rejected;
}

/** Applies (or dry-runs) the objects; on failure halves the set until each rejected object is known. */
async function applyAll<T extends { object: K8sObject }>(
  cluster: Cluster,
  entries: readonly T[],
  dryRun: boolean,
): Promise<{ entry: T; error: string }[]> {
  if (entries.length === 0) return [];
  const list = { apiVersion: 'v1', kind: 'List', items: entries.map((entry) => entry.object) };
  const args = [
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=p2pnc-fuzz',
    ...(dryRun ? ['--dry-run=server'] : []),
    '-f',
    '-',
  ];
  const result = await cluster.kubectl(args, { input: JSON.stringify(list), timeoutMs: 120_000 });
  if (result.code === 0) return [];
  if (entries.length === 1)
    return [{ entry: entries[0]!, error: result.stderr.trim().split('\n').slice(0, 3).join(' ').slice(0, 600) }];
  const half = Math.ceil(entries.length / 2);
  return [
    ...(await applyAll(cluster, entries.slice(0, half), dryRun)),
    ...(await applyAll(cluster, entries.slice(half), dryRun)),
  ];
}
