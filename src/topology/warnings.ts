/** A valid topology that probably does not do what was meant: said on stderr, synth goes on. */
import { formatPath, type TopologyProblem } from './issues.js';
import type { Topology } from './schema.js';

/** Roles come from `node-role.kubernetes.io/<role>` labels; kubeadm sets only control-plane's. */
const UNLABELLED_ROLES: Readonly<Record<string, string>> = {
  worker: 'kubeadm does not put node-role.kubernetes.io/worker on its workers (OpenShift does)',
};

export function topologyWarnings(topology: Topology): TopologyProblem[] {
  const warnings: TopologyProblem[] = [];
  topology.sources.forEach((source, i) => {
    if (source.kind !== 'DaemonSet') return;
    source.roles?.forEach((role, j) => {
      const why = UNLABELLED_ROLES[role];
      if (!why) return;
      warnings.push({
        path: formatPath(['sources', i, 'roles', j]),
        segments: ['sources', i, 'roles', j],
        message: `role "${role}" places the DaemonSet's pods on nodes labelled node-role.kubernetes.io/${role}, and ${why}: its pods run nowhere unless you label the nodes (kubectl label node NAME node-role.kubernetes.io/${role}=) or select them by nodeLabels`,
      });
    });
    for (const key of Object.keys(source.nodeLabels ?? {})) {
      const role = key.startsWith(ROLE_PREFIX) ? key.slice(ROLE_PREFIX.length) : undefined;
      const why = role === undefined ? undefined : UNLABELLED_ROLES[role];
      if (!why) continue;
      warnings.push({
        path: formatPath(['sources', i, 'nodeLabels', key]),
        segments: ['sources', i, 'nodeLabels', key],
        message: `the DaemonSet's pods go to nodes labelled ${key}, and ${why}: label the nodes or select them by another label`,
      });
    }
  });
  topology.sources.forEach((source, i) => {
    if (source.kind !== 'Sidecar') return;
    source.targets?.forEach((name, j) => {
      const target = topology.targets.find((candidate) => candidate.name === name);
      if (target?.kind !== 'p2pnc-target' || target.layer !== 'pod' || target.viaService) return;
      warnings.push({
        path: formatPath(['sources', i, 'targets', j]),
        segments: ['sources', i, 'targets', j],
        message: `target "${name}" gives this sidecar no check: a sidecar reaches p2pnc's target pods through their Service (viaService) or the host layer (layer: host), not each pod (it may not read p2pnc's EndpointSlices)`,
      });
    });
  });
  return warnings;
}

const ROLE_PREFIX = 'node-role.kubernetes.io/';
