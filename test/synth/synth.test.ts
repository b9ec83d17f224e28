import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { DNS1123_SUBDOMAIN } from '../../src/api/labels.js';
import { OPENSHIFT_CRD, referenceFile } from '../helpers/reference.js';
import { matchSnapshot } from '../helpers/snapshot.js';
import { readDist, synthToTemp, type K8sObject } from '../helpers/synth.js';
import { smallTopology } from '../helpers/topologies.js';

const { files, objects } = synthToTemp(smallTopology());
const workloads = objects.filter((object) => object.kind === 'Deployment' || object.kind === 'DaemonSet');
const checks = objects.filter((object) => object.kind === 'PodNetworkConnectivityCheck');
const crd = objects.find((object) => object.kind === 'CustomResourceDefinition')!;

describe('synth snapshots', () => {
  for (const [file, text] of files) test(`${file} matches its snapshot`, () => matchSnapshot(`small/${file}`, text));
});

describe('invariants over every object', () => {
  test('every object is named explicitly with a valid, unique name', () => {
    const keys = new Set<string>();
    for (const object of objects) {
      assert.ok(
        DNS1123_SUBDOMAIN.test(object.metadata.name) && object.metadata.name.length <= 253,
        `${object.kind} ${object.metadata.name}`,
      );
      const key = `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
      assert.ok(!keys.has(key), `duplicate ${key}`);
      keys.add(key);
    }
  });

  test('every namespaced object is in the p2pnc namespace and labelled as part of p2pnc', () => {
    for (const object of objects) {
      if (object.kind !== 'Namespace' && object.kind !== 'CustomResourceDefinition')
        assert.equal(object.metadata.namespace, 'p2pnc', `${object.kind} ${object.metadata.name}`);
      if (object.kind !== 'CustomResourceDefinition')
        assert.equal(
          object.metadata.labels?.['app.kubernetes.io/part-of'],
          'p2pnc',
          `${object.kind} ${object.metadata.name}`,
        );
    }
  });

  test('the namespace enforces, audits and warns Pod Security "restricted"', () => {
    const namespace = objects.find((object) => object.kind === 'Namespace')!;
    for (const mode of ['enforce', 'audit', 'warn'])
      assert.equal(namespace.metadata.labels![`pod-security.kubernetes.io/${mode}`], 'restricted');
  });

  test('every pod passes Pod Security "restricted" and has a read-only root and small explicit requests', () => {
    assert.ok(workloads.length >= 3);
    for (const workload of workloads) {
      const pod = workload.spec.template.spec;
      const where = `${workload.kind} ${workload.metadata.name}`;
      assert.equal(pod.securityContext.runAsNonRoot, true, where);
      assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault', where);
      for (const forbidden of ['hostNetwork', 'hostPID', 'hostIPC'])
        assert.ok(!pod[forbidden], `${where} ${forbidden}`);
      assert.ok(!(pod.volumes ?? []).some((volume: { hostPath?: unknown }) => volume.hostPath), `${where} hostPath`);
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
        const security = container.securityContext;
        assert.equal(security.allowPrivilegeEscalation, false, where);
        assert.equal(security.privileged, false, where);
        assert.equal(security.readOnlyRootFilesystem, true, where);
        assert.deepEqual(security.capabilities, { drop: ['ALL'] }, where);
        assert.ok(!container.ports?.some((port: { hostPort?: number }) => port.hostPort), `${where} hostPort`);
        assert.match(container.resources.requests.cpu, /^\d+m$/, where);
        assert.ok(parseInt(container.resources.requests.cpu, 10) <= 100, `${where} cpu request`);
        assert.ok(parseInt(container.resources.requests.memory, 10) <= 64, `${where} memory request`);
        assert.equal(
          container.resources.limits?.cpu,
          undefined,
          `${where}: no CPU limit, throttling causes false timeouts`,
        );
      }
    }
  });

  test('the target runs on every Linux node, tolerates every taint and gets no API token', () => {
    const target = workloads.find((workload) => workload.metadata.name === 'network-check-target')!;
    const pod = target.spec.template.spec;
    assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }]);
    assert.equal(pod.automountServiceAccountToken, false);
    assert.deepEqual(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms, [
      { matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] },
    ]);
  });

  test('sources run only where the topology puts them', () => {
    const mesh = workloads.find((workload) => workload.metadata.name === 'mesh')!;
    const terms =
      mesh.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    assert.deepEqual(terms, [
      {
        matchExpressions: [
          { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
          { key: 'node-role.kubernetes.io/worker', operator: 'Exists' },
        ],
      },
    ]);
    const pinned = workloads.find((workload) => workload.metadata.name === 'network-check-source')!;
    const pinnedTerms =
      pinned.spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
    assert.deepEqual(pinnedTerms[0].matchFields, [{ key: 'metadata.name', operator: 'In', values: ['worker-0'] }]);
    assert.deepEqual(mesh.spec.template.spec.containers[0].args, ['source', '--source', 'mesh', '--per-node']);
  });

  test('RBAC is least privilege: own checks, their status, events, own Lease, only named Secrets', () => {
    const role = objects.find((object) => object.kind === 'Role' && object.metadata.name === 'network-check-source')!;
    const rules = role.rules
      .map(
        (rule: any) =>
          `${rule.apiGroups.join(',')}|${rule.resources.join(',')}|${(rule.resourceNames ?? []).join(',')}|${rule.verbs.join(',')}`,
      )
      .sort();
    assert.deepEqual(
      rules,
      [
        '|events||create',
        '|secrets|etcd-client|get',
        'coordination.k8s.io|leases||create',
        'coordination.k8s.io|leases|network-check-source-heartbeat|patch',
        'coordination.k8s.io|leases|network-check-source-leader|get,update',
        'discovery.k8s.io|endpointslices||list,watch',
        'p2pnc.io|podnetworkconnectivitychecks/status||patch',
        'p2pnc.io|podnetworkconnectivitychecks||get,list,watch',
      ].sort(),
    );
    assert.ok(
      !objects.some((object) => object.kind === 'ClusterRole' || object.kind === 'ClusterRoleBinding'),
      'nothing cluster-wide',
    );
    const meshRole = objects.find((object) => object.kind === 'Role' && object.metadata.name === 'mesh')!;
    assert.ok(
      !meshRole.rules.some((rule: any) => rule.resources.includes('secrets')),
      'per-node sources need no Secret',
    );
    const meshLeases = meshRole.rules
      .filter((rule: any) => rule.resources.includes('leases'))
      .map((rule: any) => `${rule.verbs.join(',')} ${(rule.resourceNames ?? []).join(',')}`)
      .sort();
    assert.deepEqual(
      meshLeases,
      [
        'create ',
        `patch ${[
          ...new Set(
            objects
              .filter((object) => object.kind === 'PodNetworkConnectivityCheck' && object.spec.source?.name === 'mesh')
              .map((object) => `mesh-heartbeat-${object.spec.source.node}`),
          ),
        ]
          .sort()
          .join(',')}`,
      ].sort(),
      "per-node sources create and patch only their nodes' heartbeat Leases, and elect no leader",
    );
    const targetRoleBindings = objects.filter(
      (object) =>
        object.kind === 'RoleBinding' &&
        object.subjects.some((subject: any) => subject.name === 'network-check-target'),
    );
    assert.deepEqual(targetRoleBindings, [], 'the target has no API access');
  });

  test('NetworkPolicies deny by default and open only the probe, metrics, probed and API ports', () => {
    const policies = new Map(
      objects.filter((object) => object.kind === 'NetworkPolicy').map((policy) => [policy.metadata.name, policy.spec]),
    );
    assert.deepEqual(policies.get('default-deny'), { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    assert.deepEqual(policies.get('network-check-target-ingress').ingress, [
      { ports: [{ protocol: 'TCP', port: 8080 }] },
    ]);
    const egressPorts = policies.get('source-traffic').egress[1].ports.map((port: { port: number }) => port.port);
    assert.deepEqual(egressPorts, [80, 443, 2379, 6443, 8080]);
  });

  test('sync waves order namespace and CRD, then RBAC, then workloads and checks together (no wave waits on either)', () => {
    const wave = (object: K8sObject) => Number(object.metadata.annotations?.['argocd.argoproj.io/sync-wave']);
    const waveOf = (kind: string) => new Set(objects.filter((object) => object.kind === kind).map(wave));
    assert.deepEqual(waveOf('Namespace'), new Set([0]));
    assert.deepEqual(waveOf('CustomResourceDefinition'), new Set([0]));
    assert.deepEqual(waveOf('Role'), new Set([1]));
    assert.deepEqual(waveOf('ServiceAccount'), new Set([1]));
    assert.deepEqual(waveOf('Deployment'), new Set([2]));
    assert.deepEqual(waveOf('DaemonSet'), new Set([2]));
    assert.deepEqual(waveOf('PodNetworkConnectivityCheck'), new Set([2]));
    assert.equal(Math.max(...objects.map(wave)), 2, 'nothing waits on the workloads or the checks');
  });

  test('the kustomization lists every file once', () => {
    const kustomization = parse(files.get('kustomization.yaml')!);
    assert.deepEqual(
      [...kustomization.resources].sort(),
      [...files.keys()].filter((file) => file !== 'kustomization.yaml').sort(),
    );
  });

  test('checks match their specs and are one per pair', () => {
    assert.equal(checks.length, new Set(checks.map((check) => check.metadata.name)).size);
    for (const check of checks) {
      assert.match(check.spec.targetEndpoint, /^\S+:\d*$/);
      assert.ok(check.metadata.name.startsWith(`${check.spec.sourcePod}-to-`), check.metadata.name);
    }
  });
});

describe('CRD', () => {
  const version = crd.spec.versions[0];
  const schema = version.schema.openAPIV3Schema;

  test('is structural: every node typed, no $ref, no additionalProperties:false', () => {
    const visit = (node: any, path: string): void => {
      assert.ok(typeof node.type === 'string', `${path} has no type`);
      for (const banned of ['$ref', 'additionalProperties', 'anyOf', 'oneOf', 'allOf', '$schema'])
        assert.ok(!(banned in node), `${path} has ${banned}`);
      for (const [name, child] of Object.entries(node.properties ?? {})) visit(child, `${path}.${name}`);
      if (node.items) visit(node.items, `${path}[]`);
    };
    visit(schema, 'openAPIV3Schema');
  });

  test('names, status subresource and printer columns', () => {
    assert.equal(crd.metadata.name, 'podnetworkconnectivitychecks.p2pnc.io');
    assert.deepEqual(crd.spec.names.shortNames, ['pncc']);
    assert.deepEqual(version.subresources, { status: {} });
    const columns = version.additionalPrinterColumns.map((column: { name: string }) => column.name);
    for (const name of ['Target Endpoint', 'Reachable', 'Since', 'Latency']) assert.ok(columns.includes(name), name);
  });

  test("its status schema accepts exactly what OpenShift's does", () => {
    const openshift = parse(readFileSync(referenceFile(OPENSHIFT_CRD), 'utf8'));
    const theirs = openshift.spec.versions[0].schema.openAPIV3Schema;
    assert.deepEqual(normalize(schema.properties.status), normalize(theirs.properties.status));
    for (const field of ['sourcePod', 'targetEndpoint', 'tlsClientCert'])
      assert.deepEqual(
        normalize(schema.properties.spec.properties[field]),
        normalize(theirs.properties.spec.properties[field]),
        field,
      );
    assert.deepEqual(schema.properties.spec.required.sort(), theirs.properties.spec.required.sort());
  });
});

describe('reproducible output', () => {
  test('the same topology gives byte-identical output', () => {
    const again = synthToTemp(smallTopology());
    assert.deepEqual(again.files, files);
  });

  test('p2pnc synth and cdk8s synth write identical dist/', () => {
    const work = mkdtempSync(join(tmpdir(), 'p2pnc-cli-'));
    const topologyFile = join(work, 'topology.yaml');
    writeFileSync(topologyFile, stringify(smallTopology()));
    execFileSync(process.execPath, ['bin/p2pnc.js', 'synth', '-f', topologyFile, '-o', join(work, 'by-p2pnc')]);
    execFileSync('node_modules/.bin/cdk8s', ['synth', '--check-upgrade', 'false', '--output', join(work, 'by-cdk8s')], {
      env: { ...process.env, P2PNC_TOPOLOGY: topologyFile },
      stdio: 'pipe',
    });
    assert.deepEqual(readDist(join(work, 'by-cdk8s')).files, readDist(join(work, 'by-p2pnc')).files);
  });

  test('deleted targets leave no stale objects, and a failed synth leaves dist/ as it was', () => {
    const work = mkdtempSync(join(tmpdir(), 'p2pnc-stale-'));
    const topology = smallTopology();
    writeFileSync(join(work, 'topology.yaml'), stringify(topology));
    const run = () =>
      spawnSync(process.execPath, [join(process.cwd(), 'bin/p2pnc.js'), 'synth', '-f', 'topology.yaml', '-o', 'dist'], {
        cwd: work,
        encoding: 'utf8',
      });
    assert.equal(run().status, 0);
    topology.targets = topology.targets.filter((target) => target.name !== 'etcd');
    writeFileSync(join(work, 'topology.yaml'), stringify(topology));
    assert.equal(run().status, 0);
    const after = readDist(join(work, 'dist'));
    assert.ok(!after.objects.some((object) => object.metadata.name.includes('-to-etcd-')), 'etcd checks are gone');
    writeFileSync(join(work, 'topology.yaml'), 'cluster: [broken\n');
    const failed = run();
    assert.equal(failed.status, 1);
    assert.match(failed.stderr, /^error: invalid topology topology\.yaml/);
    assert.doesNotMatch(failed.stderr, /\n\s+at /);
    assert.deepEqual(readDist(join(work, 'dist')).files, after.files);
    assert.ok(!existsSync(join(work, 'dist', 'etcd')));
  });
});

function normalize(node: any): any {
  if (Array.isArray(node)) return node.map(normalize);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(node).sort()) {
    if (key === 'description') continue;
    out[key] = key === 'required' ? [...node[key]].sort() : normalize(node[key]);
  }
  return out;
}
