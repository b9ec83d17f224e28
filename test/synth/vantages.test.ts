// Vantage points: host-network sources and target, the control plane's vantage, sidecar sources.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ApiObject, App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { parse, stringify } from 'yaml';
import { synthesize } from '../../charts/app.js';
import { inspectOutputFolder } from '../../charts/output-folder.js';
import { LABEL_TARGET_LAYER, LABEL_VANTAGE } from '../../src/api/labels.js';
import { P2pncSidecar } from '../../src/constructs/sidecar-source.js';
import { parseTopology, readTopology } from '../../src/topology/load.js';
import { TopologySchema } from '../../src/topology/schema.js';
import { matchSnapshot } from '../helpers/snapshot.js';
import { synthToTemp, type K8sObject } from '../helpers/synth.js';
import { smallTopology } from '../helpers/topologies.js';
import { vantageTopology } from './vantage-topology.js';

const { dir, files, objects: all } = synthToTemp(vantageTopology());
// The sidecar's patch is not a resource of dist/ (kustomization.yaml does not list it): checked on its own below.
const objects = all.filter((object) => object.metadata.namespace !== 'ingress' || object.kind !== 'Deployment');
const find = (kind: string, name: string, namespace?: string) =>
  objects.find(
    (object) =>
      object.kind === kind &&
      object.metadata.name === name &&
      (namespace === undefined || object.metadata.namespace === namespace),
  );
const checks = objects.filter((object) => object.kind === 'PodNetworkConnectivityCheck');
const podSpecs = objects
  .filter((object) => object.kind === 'DaemonSet' || object.kind === 'Deployment')
  .map((workload) => ({ workload, pod: workload.spec.template.spec }));

describe('vantage snapshots', () => {
  for (const [file, text] of files) test(`${file} matches its snapshot`, () => matchSnapshot(`vantages/${file}`, text));
});

describe('host-network sources and target', () => {
  test('the default install has no host namespace, no admission policy and nothing on the host network', () => {
    const small = synthToTemp(smallTopology()).objects;
    assert.deepEqual(
      small.filter((object) => object.kind === 'Namespace').map((object) => object.metadata.name),
      ['p2pnc'],
    );
    assert.ok(!small.some((object) => object.kind.startsWith('ValidatingAdmissionPolicy')));
    for (const object of small.filter((object) => object.spec?.template))
      assert.ok(!object.spec.template.spec.hostNetwork, object.metadata.name);
    for (const check of small.filter((object) => object.kind === 'PodNetworkConnectivityCheck')) {
      assert.equal(check.metadata.labels![LABEL_VANTAGE], 'pod');
      assert.equal(check.spec.source.vantage, 'pod');
    }
  });

  test('the host namespace enforces privileged (the least level admitting hostNetwork), the main one restricted', () => {
    const host = find('Namespace', 'p2pnc-host')!.metadata.labels!;
    assert.equal(host['pod-security.kubernetes.io/enforce'], 'privileged');
    assert.equal(host['pod-security.kubernetes.io/audit'], 'baseline');
    const main = find('Namespace', 'p2pnc')!.metadata.labels!;
    for (const mode of ['enforce', 'audit', 'warn'])
      assert.equal(main[`pod-security.kubernetes.io/${mode}`], 'restricted');
  });

  test('an admission policy bound to the host namespace alone takes back everything but the host network', () => {
    const policy = find('ValidatingAdmissionPolicy', 'p2pnc-host-host-network-only')!;
    const binding = find('ValidatingAdmissionPolicyBinding', 'p2pnc-host-host-network-only')!;
    assert.equal(policy.spec.failurePolicy, 'Fail');
    assert.deepEqual(binding.spec.validationActions, ['Deny']);
    assert.deepEqual(binding.spec.matchResources.namespaceSelector.matchLabels, {
      'kubernetes.io/metadata.name': 'p2pnc-host',
    });
    const expressions = policy.spec.validations.map((validation: { expression: string }) => validation.expression);
    for (const field of [
      'privileged',
      'allowPrivilegeEscalation',
      'capabilities.add',
      'hostPID',
      'hostIPC',
      'hostPath',
    ])
      assert.ok(
        expressions.some((expression: string) => expression.includes(field)),
        `${field} is checked`,
      );
  });

  test('host-network pods run only in the host namespace, otherwise as locked down as every other pod', () => {
    const host = podSpecs.filter(({ pod }) => pod.hostNetwork);
    assert.deepEqual(host.map(({ workload }) => workload.metadata.name).sort(), [
      'control-plane',
      'host-mesh',
      'network-check-target-host',
    ]);
    for (const { workload, pod } of host) {
      const where = workload.metadata.name;
      assert.equal(workload.metadata.namespace, 'p2pnc-host', where);
      assert.equal(pod.dnsPolicy, 'ClusterFirstWithHostNet', where);
      assert.equal(pod.securityContext.runAsNonRoot, true, where);
      assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault', where);
      for (const forbidden of ['hostPID', 'hostIPC']) assert.ok(!pod[forbidden], `${where} ${forbidden}`);
      assert.ok(!(pod.volumes ?? []).some((volume: { hostPath?: unknown }) => volume.hostPath), where);
      for (const container of pod.containers) {
        assert.deepEqual(container.securityContext.capabilities, { drop: ['ALL'] }, where);
        assert.equal(container.securityContext.privileged, false, where);
        assert.equal(container.securityContext.allowPrivilegeEscalation, false, where);
        assert.equal(container.securityContext.readOnlyRootFilesystem, true, where);
      }
    }
    for (const { workload } of podSpecs.filter(({ pod }) => !pod.hostNetwork))
      assert.equal(workload.metadata.namespace, 'p2pnc', workload.metadata.name);
  });

  test('host sources read their checks in the main namespace, with Roles there bound to accounts in the host namespace', () => {
    const hostMesh = find('DaemonSet', 'host-mesh')!;
    const env = hostMesh.spec.template.spec.containers[0].env;
    assert.deepEqual(
      env.find((variable: { name: string }) => variable.name === 'P2PNC_NAMESPACE'),
      { name: 'P2PNC_NAMESPACE', value: 'p2pnc' },
    );
    assert.ok(find('ServiceAccount', 'host-mesh', 'p2pnc-host'));
    assert.ok(!find('ServiceAccount', 'host-mesh', 'p2pnc'));
    const binding = find('RoleBinding', 'host-mesh', 'p2pnc')!;
    assert.deepEqual(binding.subjects, [
      { apiGroup: '', kind: 'ServiceAccount', name: 'host-mesh', namespace: 'p2pnc-host' },
    ]);
    assert.ok(!objects.some((object) => object.kind === 'ClusterRole' || object.kind === 'ClusterRoleBinding'));
  });

  test('host-network sources on one node get distinct metrics ports; the host target its own', () => {
    const port = (name: string) => find('DaemonSet', name)!.spec.template.spec.containers[0].ports[0].containerPort;
    assert.equal(port('host-mesh'), 17698);
    assert.equal(port('control-plane'), 17700);
    assert.equal(port('network-check-target-host'), 17699);
    const topology = vantageTopology();
    delete (topology.sources[2] as { metricsPort?: number }).metricsPort;
    assert.throws(
      () => parseTopology(stringify(topology)),
      /sources\[2\]\.hostNetwork: host-network sources share the node's ports, and sources\[1\] \(host-mesh\) uses port 17698 already on a node this source runs on; set metricsPort/,
    );
  });

  test('host-network sources on different nodes may share a metrics port', () => {
    const topology = vantageTopology();
    topology.sources[1] = { ...topology.sources[1]!, roles: ['worker'] } as (typeof topology.sources)[number];
    delete (topology.sources[2] as { metricsPort?: number }).metricsPort;
    assert.doesNotThrow(() => parseTopology(stringify(topology)));
  });

  test('every node pair is probed host-to-host and pod-to-pod, each check saying its vantage and target layer', () => {
    const pairs = (vantage: string, layer: string) =>
      checks
        .filter((check) => check.metadata.labels![LABEL_VANTAGE] === vantage && check.metadata.namespace === 'p2pnc')
        .filter((check) => check.metadata.labels![LABEL_TARGET_LAYER] === layer)
        .map((check) => `${check.spec.source.node}>${check.spec.target.node}`)
        .sort();
    const nodes = ['master-0', 'worker-0', 'worker-1'];
    const all = nodes.flatMap((from) => nodes.map((to) => `${from}>${to}`)).sort();
    assert.deepEqual(pairs('pod', 'pod'), all);
    assert.deepEqual(pairs('host', 'host'), all);
    const hostCheck = find('PodNetworkConnectivityCheck', 'host-mesh-worker-0-to-node-host-worker-1')!;
    assert.equal(hostCheck.spec.targetEndpoint, '10.0.1.11:17699');
    assert.deepEqual(hostCheck.spec.source, { name: 'host-mesh', node: 'worker-0', vantage: 'host' });
    assert.equal(hostCheck.spec.target.layer, 'host');
    const podCheck = find('PodNetworkConnectivityCheck', 'pod-mesh-worker-0-to-node-pod-worker-1')!;
    assert.deepEqual(podCheck.spec.targetPod, { service: 'network-check-target', node: 'worker-1', port: 8080 });
    assert.equal(podCheck.spec.target.layer, 'pod');
  });
  test('monitoring expects metrics only from the sources its ServiceMonitor scrapes (pod-network ones)', () => {
    const rule = synthToTemp({
      ...vantageTopology(),
      monitoring: { serviceMonitor: true, prometheusRule: true },
    }).objects.find((object) => object.kind === 'PrometheusRule')!;
    const text = JSON.stringify(rule.spec);
    assert.match(text, /absent\(p2pnc_checks\{[^}]*source=\\"pod-mesh\\"\}\)/);
    for (const source of ['host-mesh', 'control-plane', 'ingress-vantage'])
      assert.doesNotMatch(text, new RegExp(`source=\\\\"${source}\\\\"`), source);
  });
});

describe("the control plane's vantage", () => {
  test('runs on control-plane nodes only, tolerating their taints and no other', () => {
    const pod = find('DaemonSet', 'control-plane')!.spec.template.spec;
    const terms = pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    // Not by the master label: the API server warns about it (and OpenShift's masters carry control-plane too).
    assert.deepEqual(
      terms.map((term: any) => term.matchExpressions[1]),
      [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' }],
    );
    assert.deepEqual(pod.tolerations, [
      { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    assert.equal(pod.hostNetwork, true);
  });

  test('probes etcd, the kubelet of every node and the aggregated API from each control-plane node', () => {
    const names = checks
      .filter((check) => check.spec.source.name === 'control-plane')
      .map((check) => `${check.metadata.name} ${check.spec.targetEndpoint}`);
    assert.deepEqual(names, [
      'control-plane-master-0-to-etcd-master-0 10.0.0.10:2379',
      'control-plane-master-0-to-kubelet-master-0 10.0.0.10:10250',
      'control-plane-master-0-to-kubelet-worker-0 10.0.1.10:10250',
      'control-plane-master-0-to-kubelet-worker-1 10.0.1.11:10250',
      'control-plane-master-0-to-metrics-server metrics-server.kube-system.svc.cluster.local:443',
    ]);
  });

  test('needs control-plane nodes and replaces roles', () => {
    const topology = vantageTopology();
    (topology.sources[2] as { roles?: string[] }).roles = ['worker'];
    assert.throws(() => parseTopology(stringify(topology)), /sources\[2\]\.roles: controlPlane places the source/);
    const noMasters = vantageTopology();
    noMasters.nodes[0]!.roles = ['worker'];
    noMasters.targets = noMasters.targets.filter((target) => target.name !== 'etcd');
    noMasters.sources[2]!.targets = ['kubelet'];
    assert.throws(
      () => parseTopology(stringify(noMasters)),
      /sources\[2\]\.controlPlane: no node has role control-plane; add it/,
    );
  });
});

describe('sidecar sources', () => {
  const patchText = files.get('sidecar-ingress-vantage-patch.yaml')!;
  const patch = parse(patchText) as K8sObject;

  test("the checks and the Role are in the workload's namespace, bound to its ServiceAccount; no account is created", () => {
    const own = checks.filter((check) => check.spec.source.name === 'ingress-vantage');
    assert.ok(own.length > 0);
    for (const check of own) {
      assert.equal(check.metadata.namespace, 'ingress', check.metadata.name);
      assert.equal(check.metadata.labels![LABEL_VANTAGE], 'sidecar');
    }
    assert.ok(!own.some((check) => check.spec.targetPod), 'target pods are probed through the Service, not each pod');
    const role = find('Role', 'p2pnc-ingress-vantage', 'ingress')!;
    const rules = role.rules.map(
      (rule: any) => `${rule.resources.join(',')}|${(rule.resourceNames ?? []).join(',')}|${rule.verbs.join(',')}`,
    );
    assert.ok(rules.includes('leases|ingress-vantage-leader|get,update'), rules.join('\n'));
    assert.ok(!rules.some((rule: string) => rule.startsWith('secrets') || rule.startsWith('endpointslices')));
    assert.deepEqual(find('RoleBinding', 'p2pnc-ingress-vantage', 'ingress')!.subjects, [
      { apiGroup: '', kind: 'ServiceAccount', name: 'ingress-controller', namespace: 'ingress' },
    ]);
    assert.ok(!objects.some((object) => object.kind === 'ServiceAccount' && object.metadata.namespace === 'ingress'));
  });

  test('the patch adds a restricted-compatible container and nothing else; it is no resource of dist/', () => {
    assert.deepEqual(Object.keys(patch.spec.template.spec), ['containers']);
    assert.deepEqual(patch.metadata, { name: 'ingress-controller', namespace: 'ingress' });
    const [container] = patch.spec.template.spec.containers;
    assert.equal(container.name, 'p2pnc-source');
    assert.deepEqual(container.args, ['source', '--source', 'ingress-vantage']);
    assert.deepEqual(container.securityContext, {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 65532,
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.equal(container.readinessProbe, undefined, 'the source never takes the workload out of its Service');
    const kustomization = parse(files.get('kustomization.yaml')!);
    assert.ok(!kustomization.resources.includes('sidecar-ingress-vantage-patch.yaml'));
    assert.equal(kustomization.namespace, undefined, 'a kustomize namespace would move the other namespaces');
  });

  test('synth replaces a folder holding its own patch files, and only those', () => {
    assert.equal(inspectOutputFolder(dir).kind, 'generated');
    synthesize(TopologySchema.parse(vantageTopology()), dir);
    const without = vantageTopology();
    without.sources = without.sources.filter((source) => source.kind !== 'Sidecar');
    synthesize(TopologySchema.parse(without), dir);
    assert.equal(inspectOutputFolder(dir).kind, 'generated');
  });

  test('a sidecar naming only the per-pod target is warned: it would get no check of it', () => {
    const topology = vantageTopology();
    topology.sources[3]!.targets = ['node-pod', 'node-host'];
    const { warnings } = readTopology(stringify(topology));
    assert.deepEqual(
      warnings.map((warning) => `${warning.path}: ${warning.message.slice(0, 60)}`),
      ['sources[3].targets[0]: target "node-pod" gives this sidecar no check: a sidecar rea'],
    );
  });

  test('P2pncSidecar adds the same container to a cdk8s Deployment', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'p2pnc-sidecar-')) });
    const chart = new Chart(app, 'user');
    const deployment = new kplus.Deployment(chart, 'Gateway', {
      metadata: { name: 'gateway', namespace: 'ingress' },
      containers: [{ name: 'gateway', image: 'example/gateway:1', securityContext: { ensureNonRoot: false } }],
    });
    new P2pncSidecar(chart, 'Vantage', {
      workload: deployment,
      source: 'ingress-vantage',
      image: 'localhost/p2pnc:test',
    });
    const plain = new ApiObject(chart, 'Plain', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'plain' },
      spec: { template: { spec: { containers: [{ name: 'app', image: 'example/app:1' }] } } },
    });
    new P2pncSidecar(chart, 'PlainVantage', {
      workload: plain,
      source: 'ingress-vantage',
      image: 'localhost/p2pnc:test',
    });
    for (const manifest of chart.toJson()) {
      const containers = manifest.spec.template.spec.containers;
      assert.equal(containers.length, 2);
      assert.deepEqual(containers[1], patch.spec.template.spec.containers[0], manifest.metadata.name);
    }
  });
});
