/**
 * A whole test bed on one machine: fabric nodes (network namespaces, fabric.ts), the test kube-apiserver bound to
 * the host's fabric address, a topology synthesized and applied, a `p2pnc target` on every node, and the sources
 * as real processes with their ServiceAccounts' tokens: the Deployment source on one node and a DaemonSet (per-node)
 * source on others, so every node is probed from several sources (the matrix `p2pnc diagnose` reads).
 *
 * Faults are injected through `fabric` (link down, route removed, name unresolvable) and stopTarget/startTarget.
 */
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { CheckStatus } from '../../src/api/check.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { loadKubeConfig } from '../../src/runtime/kube/config.js';
import { paths } from '../../src/runtime/kube/resources.js';
import type { TopologyInput } from '../../src/topology/schema.js';
import type { Cluster } from '../cluster/harness.js';
import { inCI, mustKubectl, startOrSkip } from '../cluster/support.js';
import { eventually, startCli, type RunningProcess } from '../helpers/process.js';
import { synthToTemp } from '../helpers/synth.js';
import { CheckHistory } from './check-history.js';
import { Fabric, netnsUnavailable } from './fabric.js';

export const NAMESPACE = 'p2pnc';
/** The Deployment source. */
export const PROBER = 'prober';
/** The DaemonSet (per-node) source. */
export const MESH = 'mesh';
/** The node-port target: the p2pnc target on every node. */
export const NODE_TARGET = 'target';
/** An endpoint target addressed by name, resolved through the hosts file of the prober's node. */
export const NAMED_TARGET = 'by-name';

export interface NetnsClusterOptions {
  /** Default node-a .. node-d. */
  nodes?: string[];
  /** Node the Deployment source runs on. Default the first node. */
  proberNode?: string;
  /** Nodes running the DaemonSet source. Default the first two nodes. */
  meshNodes?: string[];
  /** Node whose target the named endpoint resolves to. Default the last node. */
  namedTargetNode?: string;
  /** --interval of the sources. Default 2000. */
  intervalMs?: number;
  /** Probe timeout (topology). Default 1000. */
  timeoutMs?: number;
  /** --confirm-retry. Default 1000. */
  confirmRetryMs?: number;
  /** --steady-write-interval. Default 10000. */
  steadyWriteIntervalMs?: number;
  targetPort?: number;
  /** More targets for the topology (the Deployment probes them; the DaemonSet probes the node target only). */
  extraTargets?: NonNullable<TopologyInput['targets']>;
  /** Runs once the fabric exists, before any process starts on it (sysctls, firewall defaults). */
  prepareFabric?: (fabric: Fabric) => void;
}

export interface NetnsCluster {
  fabric: Fabric;
  cluster: Cluster;
  /** Admin client, for reading what the sources wrote. */
  client: KubeClient;
  history: CheckHistory;
  topology: TopologyInput;
  settings: Required<Omit<NetnsClusterOptions, 'nodes' | 'meshNodes' | 'extraTargets' | 'prepareFabric'>> & {
    nodes: string[];
    meshNodes: string[];
    extraTargets: NonNullable<TopologyInput['targets']>;
  };
  /** The host name of the named endpoint target. */
  namedHost: string;
  /** Every check the topology produced. */
  checkNames: string[];
  sources: Map<string, RunningProcess>;
  /** Stops the node's target (SIGTERM) and waits for it to exit. */
  stopTarget(node: string): Promise<void>;
  /** Starts the node's target and waits until it listens. */
  startTarget(node: string): Promise<void>;
  status(name: string): CheckStatus | undefined;
  events(name: string): Promise<CheckEvent[]>;
  /** The last lines of every source's and target's output, for failure messages. */
  logs(): string;
  /** Stops every process, the cluster and the fabric; safe after a failed start. */
  stop(): Promise<void>;
}

export interface CheckEvent {
  type: string;
  reason: string;
  message: string;
  reportingComponent?: string;
}

/** Check names of the topology built here, spelled out so tests read like the dist/ files. */
export const checkName = {
  prober: (node: string) => `${PROBER}-to-${NODE_TARGET}-${node}`,
  mesh: (fromNode: string, toNode: string) => `${MESH}-${fromNode}-to-${NODE_TARGET}-${toNode}`,
  named: `${PROBER}-to-${NAMED_TARGET}`,
};

function settingsOf(options: NetnsClusterOptions): NetnsCluster['settings'] {
  const nodes = options.nodes ?? ['node-a', 'node-b', 'node-c', 'node-d'];
  return {
    nodes,
    proberNode: options.proberNode ?? nodes[0]!,
    meshNodes: options.meshNodes ?? nodes.slice(0, 2),
    namedTargetNode: options.namedTargetNode ?? nodes.at(-1)!,
    intervalMs: options.intervalMs ?? 2000,
    timeoutMs: options.timeoutMs ?? 1000,
    confirmRetryMs: options.confirmRetryMs ?? 1000,
    steadyWriteIntervalMs: options.steadyWriteIntervalMs ?? 10_000,
    targetPort: options.targetPort ?? 8080,
    extraTargets: options.extraTargets ?? [],
  };
}

function topologyFor(fabric: Fabric, settings: NetnsCluster['settings'], namedHost: string): TopologyInput {
  return {
    cluster: 'e2e',
    namespace: NAMESPACE,
    // What a user would write; the sources run with --interval to shorten it for the test.
    interval: '30s',
    timeout: `${settings.timeoutMs}ms`,
    nodes: settings.nodes.map((name) => ({
      name,
      addresses: [fabric.node(name).address],
      roles: settings.meshNodes.includes(name) ? ['prober'] : ['worker'],
    })),
    sources: [
      { name: PROBER, kind: 'Deployment' },
      { name: MESH, kind: 'DaemonSet', roles: ['prober'], targets: [NODE_TARGET] },
    ],
    targets: [
      { name: NODE_TARGET, kind: 'node', port: settings.targetPort },
      { name: NAMED_TARGET, kind: 'endpoint', host: namedHost, port: settings.targetPort },
      ...settings.extraTargets,
    ],
  };
}

const ms = (value: number) => `${value}ms`;

/**
 * Brings the bed up with every check reachable. Returns undefined when the test was skipped (no network
 * namespaces or no cluster outside CI, or an external cluster, which processes on the fabric cannot reach).
 */
export async function startNetnsCluster(
  t: TestContext,
  options: NetnsClusterOptions = {},
): Promise<NetnsCluster | undefined> {
  const unavailable = netnsUnavailable();
  if (unavailable) {
    if (inCI) throw new Error(`CI requires the network-namespace suites to run, but ${unavailable}`);
    t.skip(`e2e fault suite skipped: ${unavailable}`);
    return undefined;
  }
  if (process.env['P2PNC_TEST_KUBECONFIG']) {
    t.skip('e2e fault suite skipped: it needs the local test control plane (unset P2PNC_TEST_KUBECONFIG)');
    return undefined;
  }
  const settings = settingsOf(options);
  const fabric = Fabric.create({ nodes: settings.nodes });
  try {
    options.prepareFabric?.(fabric);
  } catch (error) {
    fabric.destroy();
    throw error;
  }
  const processes: RunningProcess[] = [];
  const targets = new Map<string, RunningProcess>();
  const sources = new Map<string, RunningProcess>();
  let cluster: Cluster | undefined;
  let client: KubeClient | undefined;
  let history: CheckHistory | undefined;

  const startTarget = async (node: string): Promise<void> => {
    const running = startCli(
      ['target', '--port', String(settings.targetPort), '--host', '0.0.0.0', '--shutdown-grace', '1s'],
      { P2PNC_NODE_NAME: node, P2PNC_POD_NAME: `network-check-target-${node}` },
      { netns: fabric.node(node).netns },
    );
    processes.push(running);
    targets.set(node, running);
    await eventually(
      async () =>
        running.output().includes('"msg":"target listening"')
          ? true
          : running.child.exitCode !== null
            ? Promise.reject(new Error(running.output()))
            : undefined,
      30_000,
      `the target on ${node} to listen`,
    );
  };
  const stopTarget = async (node: string): Promise<void> => {
    await targets.get(node)?.stop('SIGTERM');
    targets.delete(node);
  };
  const logs = (): string =>
    [...sources, ...[...targets].map(([node, running]) => [`target on ${node}`, running] as const)]
      .map(([name, running]) => `--- ${name}:\n${running.output().trimEnd().split('\n').slice(-15).join('\n')}`)
      .join('\n');
  const stop = async (): Promise<void> => {
    await history?.stop();
    client?.close();
    await Promise.all(processes.map((running) => running.stop('SIGKILL')));
    await cluster?.stop();
    fabric.destroy();
  };

  // The targets need no cluster: they start while the control plane comes up.
  const targetsListening = Promise.all(settings.nodes.map(startTarget));
  targetsListening.catch(() => {}); // awaited below; a failure before that must not go unhandled
  try {
    cluster = await startOrSkip(t, { bindAddress: fabric.hostAddress });
    if (!cluster) {
      await stop();
      return undefined;
    }
    const namedHost = `${settings.namedTargetNode}.fabric.p2pnc.invalid`;
    const topology = topologyFor(fabric, settings, namedHost);
    const { dir, objects } = synthToTemp(topology);
    for (const file of ['foundation.yaml', 'rbac.yaml', 'workloads.yaml'])
      await mustKubectl(cluster, ['apply', '--server-side', '-f', join(dir, file)]);
    await mustKubectl(cluster, [
      'wait',
      '--for=condition=Established',
      'crd/podnetworkconnectivitychecks.p2pnc.io',
      '--timeout=60s',
    ]);
    await mustKubectl(cluster, ['apply', '--server-side', '-f', join(dir, 'checks.yaml')]);
    const checkNames = objects
      .filter((object) => object.kind === 'PodNetworkConnectivityCheck')
      .map((object) => object.metadata.name)
      .sort();

    client = new KubeClient(loadKubeConfig({ kubeconfig: cluster.kubeconfig }));
    history = await CheckHistory.start(client, NAMESPACE);

    await targetsListening;

    fabric.addHost(settings.proberNode, namedHost, fabric.node(settings.namedTargetNode).address);
    const common = [
      '--namespace',
      NAMESPACE,
      '--metrics-port',
      '0',
      '--interval',
      ms(settings.intervalMs),
      '--confirm-retry',
      ms(settings.confirmRetryMs),
      '--steady-write-interval',
      ms(settings.steadyWriteIntervalMs),
      '--lease-duration',
      '6s',
    ];
    const startSource = async (name: string, source: string, node: string, extra: string[]): Promise<void> => {
      const kubeconfig = await cluster!.kubeconfigFor(await cluster!.tokenFor(NAMESPACE, source));
      const running = startCli(
        ['source', '--source', source, '--kubeconfig', kubeconfig, ...common, ...extra],
        // The downward API gives every source pod its node's name; a Deployment records it in its heartbeat.
        { P2PNC_POD_NAME: name, P2PNC_NODE_NAME: node },
        { netns: fabric.node(node).netns },
      );
      processes.push(running);
      sources.set(name, running);
    };
    await startSource(`${PROBER}-${settings.proberNode}`, PROBER, settings.proberNode, []);
    for (const node of settings.meshNodes)
      await startSource(`${MESH}-${node}`, MESH, node, ['--per-node', '--node', node]);

    const bed: NetnsCluster = {
      fabric,
      cluster,
      client,
      history,
      topology,
      settings,
      namedHost,
      checkNames,
      sources,
      stopTarget,
      startTarget,
      status: (name) => history!.latest(name)?.status,
      events: async (name) => {
        const list = await client!.get<{ items: CheckEvent[] }>(paths.events(NAMESPACE), {
          query: { fieldSelector: `involvedObject.name=${name}` },
        });
        return list.items;
      },
      logs,
      stop,
    };
    await Promise.all(
      checkNames.map((name) =>
        history!
          .waitFor(
            name,
            'Reachable=True',
            (status) => status.conditions?.some((c) => c.type === 'Reachable' && c.status === 'True') === true,
            { timeoutMs: 60_000 },
          )
          .catch((error: Error) => {
            throw new Error(`${error.message}\n${logs()}`);
          }),
      ),
    );
    return bed;
  } catch (error) {
    await stop();
    throw error;
  }
}
