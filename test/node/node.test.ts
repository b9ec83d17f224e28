// The whole system on a real node (bed.ts): what a user does, `p2pnc import` from the live cluster, `p2pnc synth`,
// dist/ synced in Argo CD's order; pods from the repository's image admitted under Pod Security `restricted`; every
// check filled by the source in its pod; then faults on the node, asserted from the API. Needs root; skips outside CI
// when the node cannot be had, fails under CI.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import type { LogEntry } from '../../src/api/check.js';
import { eventsOf } from '../cluster/source-fixtures.js';
import { eventually, runCli } from '../helpers/process.js';
import { syncInWaves, waitWorkloadsHealthy } from './argo-sync.js';
import type { NodeBed } from './bed.js';
import {
  NAMESPACE,
  checks,
  condition,
  containerFacts,
  getJson,
  mib,
  podMemory,
  podReady,
  pods,
  runningPods,
  startBedOrSkip,
  type LiveCheck,
} from './support.js';

const SOURCE = 'network-check-source';
const TARGET = 'network-check-target';
/** A name in the cluster domain that no Service has: CoreDNS answers NXDOMAIN. */
const UNRESOLVABLE = 'unresolvable';
const UNRESOLVABLE_HOST = `nothing-here.${NAMESPACE}.svc.cluster.local`;
/** The bed's own address at a port where nothing listens. */
const NOTHING_LISTENS = 'nothing-listens';
const NOTHING_LISTENS_PORT = 1;
const SOURCE_USER = `system:serviceaccount:${NAMESPACE}:${SOURCE}`;

const targetOf = (check: LiveCheck): string => check.metadata.labels['p2pnc.io/target'] ?? '';
const reachable = (check: LiveCheck): string | undefined => condition(check)?.status;

/** Checks whose target cannot answer in the bed, and how OpenShift words their failure. */
const EXPECTED_FAILURES: Record<string, { reason: string; text: RegExp }> = {
  [UNRESOLVABLE]: {
    reason: 'DNSError',
    text: new RegExp(`failure looking up host ${UNRESOLVABLE_HOST}: lookup ${UNRESOLVABLE_HOST}: no such host`),
  },
  [NOTHING_LISTENS]: {
    reason: 'TCPConnectError',
    text: /failed to establish a TCP connection to 10\.244\.0\.1:1: dial tcp 10\.244\.0\.1:1: connect: connection refused/,
  },
  // import adds etcd at the control-plane nodes' 2379 when it sees no etcd pod; the bed's etcd listens on loopback only.
  etcd: { reason: 'TCPConnectError', text: /dial tcp 10\.244\.0\.1:2379: connect: connection refused/ },
};

test('the whole system on a real node', { timeout: 20 * 60_000 }, async (t) => {
  const bedStart = Date.now();
  const bed = await startBedOrSkip(t);
  if (!bed) return;
  const work = mkdtempSync(join(tmpdir(), 'p2pnc-node-test-'));
  t.after(() => {
    bed.stop();
    rmSync(work, { recursive: true, force: true });
  });
  t.diagnostic(
    `node ${bed.nodeName} Ready ${(bed.readyMs / 1000).toFixed(1)} s after the kubelet started (bed up in ${((Date.now() - bedStart) / 1000).toFixed(1)} s)`,
  );
  const cli = (args: string[]) => runCli([...args, '--kubeconfig', bed.cluster.kubeconfig]);
  const failure = async (what: string) =>
    `${what}\n--- source pod log:\n${await sourceLog(bed)}\n--- kubelet log:\n${bed.logTail('kubelet', 15)}`;

  let dist = '';
  await t.test('p2pnc import reads the live node and p2pnc synth turns it into dist/', async () => {
    const file = join(work, 'topology.yaml');
    const imported = await cli(['import', '-o', file]);
    assert.equal(imported.code, 0, imported.output);
    const doc = parseDocument(readFileSync(file, 'utf8'));
    const topology = doc.toJS() as {
      nodes: { name: string; addresses: string[]; roles: string[] }[];
      targets: { name: string }[];
    };
    assert.deepEqual(topology.nodes, [{ name: bed.nodeName, addresses: [bed.nodeIp], roles: ['control-plane'] }]);
    // What a user adds by hand: a faster interval for a test, and two targets that cannot answer in the bed.
    doc.set('interval', '5s');
    doc.set('timeout', '2s');
    doc.addIn(['targets'], { name: UNRESOLVABLE, kind: 'endpoint', host: UNRESOLVABLE_HOST, port: 80 });
    doc.addIn(['targets'], { name: NOTHING_LISTENS, kind: 'endpoint', host: bed.nodeIp, port: NOTHING_LISTENS_PORT });
    writeFileSync(file, doc.toString());
    dist = join(work, 'dist');
    const synth = await runCli(['synth', '-f', file, '-o', dist]);
    assert.equal(synth.code, 0, synth.output);
  });

  let applied = 0;
  await t.test(
    'dist/ synced in Argo CD order: every pod admitted under restricted, non-root, read-only root, Ready',
    async (t) => {
      applied = Date.now();
      const synced = await syncInWaves(bed.cluster, dist);
      t.diagnostic(
        `waves: ${synced.map((w) => `${w.wave} (${w.objects.length} objects${w.healthyAfterMs ? `, Healthy after ${(w.healthyAfterMs / 1000).toFixed(1)} s` : ''})`).join(', ')}`,
      );
      // Workloads and checks share the last wave: the sync does not wait for the pods; the Application turns Healthy.
      assert.deepEqual(
        synced.map((w) => w.wave),
        [0, 1, 2],
      );
      t.diagnostic(
        `workloads Healthy ${((await waitWorkloadsHealthy(bed.cluster, dist)) / 1000).toFixed(1)} s after the last wave`,
      );

      const ns = await getJson<{ metadata: { labels: Record<string, string> } }>(bed, ['get', 'namespace', NAMESPACE]);
      assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
      // Admission is live: a pod that breaks `restricted` is refused in the same namespace.
      const privileged = await bed.cluster.kubectl([
        'run',
        'privileged',
        '-n',
        NAMESPACE,
        '--image=localhost/p2pnc-pause:1',
        '--privileged',
        '--restart=Never',
      ]);
      assert.notEqual(privileged.code, 0);
      assert.match(privileged.stderr, /violates PodSecurity "restricted:latest"/);

      const running = await pods(bed);
      assert.deepEqual(running.map((p) => p.metadata.labels?.['app.kubernetes.io/component']).sort(), [
        'source',
        'target',
      ]);
      for (const pod of running) {
        assert.ok(podReady(pod), `${pod.metadata.name} is Ready`);
        // The ServiceAccount admission plugin mounted the token the source uses; the target gets none.
        const token = pod.spec.volumes?.some((v) => v.name.startsWith('kube-api-access-') && v.projected) ?? false;
        assert.equal(
          token,
          pod.metadata.labels?.['app.kubernetes.io/component'] === 'source',
          `${pod.metadata.name}: projected token`,
        );
      }
      const facts = containerFacts(bed);
      assert.equal(facts.length, running.length, 'one running container per pod');
      for (const f of facts) {
        assert.equal(f.specUid, 65532, `${f.pod}/${f.container} runs as 65532`);
        assert.deepEqual(f.liveUids, [65532, 65532, 65532, 65532], `${f.pod}/${f.container}: the process's uids`);
        assert.ok(
          f.specReadonlyRoot && f.liveRootOptions.includes('ro'),
          `${f.pod}/${f.container}: read-only root (${f.liveRootOptions.join(',')})`,
        );
      }
    },
  );

  await t.test(
    'every check is filled from inside the source pod: reachable targets True, the others with OpenShift reasons',
    async (t) => {
      const settled = await eventually(
        async () => {
          const all = await checks(bed);
          const done = all.every((c) =>
            EXPECTED_FAILURES[targetOf(c)] ? reachable(c) === 'False' : reachable(c) === 'True',
          );
          return done ? all : undefined;
        },
        150_000,
        'every check settled',
      ).catch(async (error: Error) => {
        const all = await checks(bed);
        assert.fail(
          await failure(
            `${error.message}\n${all.map((c) => `${c.metadata.name}: ${reachable(c)} ${condition(c)?.message ?? ''}`).join('\n')}`,
          ),
        );
      });
      t.diagnostic(
        `apply -> every check settled (reachable ones True): ${((Date.now() - applied) / 1000).toFixed(1)} s for ${settled.length} checks`,
      );
      assert.ok(settled.length >= 6, `checks: ${settled.map((c) => c.metadata.name).join(', ')}`);
      for (const check of settled) {
        const expected = EXPECTED_FAILURES[targetOf(check)];
        if (!expected) continue;
        const latest = check.status?.failures?.[0];
        assert.equal(latest?.reason, expected.reason, check.metadata.name);
        assert.match(latest?.message ?? '', expected.text, check.metadata.name);
      }
      // Written by the source's ServiceAccount, from its pod: the audit log names the user of every status write.
      const writes = bed
        .auditEvents()
        .filter(
          (e) => e.objectRef?.resource === 'podnetworkconnectivitychecks' && e.objectRef.subresource === 'status',
        );
      assert.ok(writes.length >= settled.length, `status writes audited: ${writes.length}`);
      assert.deepEqual([...new Set(writes.map((e) => e.user.username))], [SOURCE_USER]);
      for (const check of settled) {
        const managers = (check.metadata.managedFields ?? [])
          .filter((f) => f.subresource === 'status')
          .map((f) => f.manager);
        assert.deepEqual(managers, ['p2pnc'], `${check.metadata.name}: status field manager`);
      }
      const memory = await podMemory(bed);
      t.diagnostic(
        `pod memory (kubelet working set): ${memory.map((m) => `${m.pod} ${mib(m.workingSetBytes)}`).join(', ')}`,
      );
    },
  );

  await t.test('p2pnc status and diagnose tell what is true on the node', async () => {
    const status = await cli(['status', '-o', 'wide']);
    assert.equal(status.code, 0, status.output);
    const all = await checks(bed);
    const failing = all.filter((c) => EXPECTED_FAILURES[targetOf(c)]).length;
    assert.match(
      status.output,
      new RegExp(`${all.length} checks: ${all.length - failing} reachable, ${failing} unreachable`),
    );
    const diagnose = await cli(['diagnose']);
    assert.equal(diagnose.code, 4, diagnose.output);
    assert.match(diagnose.output, new RegExp(UNRESOLVABLE_HOST.replaceAll('.', '\\.')));
    assert.match(diagnose.output, /refused|nothing listens/i);
  });

  await t.test(
    "the target pod deleted: an outage opens, and closes when the DaemonSet's new pod answers",
    async (t) => {
      const [old] = await pods(bed, 'app.kubernetes.io/component=target');
      assert.ok(old);
      const name = (await checks(bed)).find(
        (c) => targetOf(c) === TARGET && c.metadata.labels['p2pnc.io/target-node'] === bed.nodeName,
      )?.metadata.name;
      assert.ok(name, 'a check of the target on the node');
      const check = async () => (await checks(bed)).find((c) => c.metadata.name === name)!;
      // The DaemonSet's replacement answers within about 2 s, before a second failure could confirm an outage: the
      // controllers are held (kube-controller-manager paused) until the outage is recorded, as a busy control plane would.
      bed.pause('kube-controller-manager');
      const deleted = Date.now();
      let down: LiveCheck;
      try {
        const del = await bed.cluster.kubectl(['delete', 'pod', '-n', NAMESPACE, old.metadata.name, '--wait=false']);
        assert.equal(del.code, 0, del.stderr);
        await eventually(
          async () => (runningPods(bed).includes(old.metadata.name) ? undefined : true),
          60_000,
          'the old target container gone',
        );
        down = await eventually(
          async () => {
            const c = await check();
            const outage = c.status?.outages?.[0];
            return reachable(c) === 'False' &&
              outage &&
              !outage.end &&
              Date.parse(outage.start ?? '') >= deleted - 1_000
              ? c
              : undefined;
          },
          45_000,
          'an outage of the target on the node',
        ).catch(async (error: Error) => assert.fail(await failure(error.message)));
      } finally {
        bed.resume('kube-controller-manager');
      }
      t.diagnostic(`outage opened: ${condition(down)?.message}`);
      const fresh = await eventually(
        async () =>
          (await pods(bed, 'app.kubernetes.io/component=target')).find(
            (p) => p.metadata.uid !== old.metadata.uid && podReady(p),
          ),
        90_000,
        'the new target pod Ready',
      );
      const up = await eventually(
        async () => {
          const c = await check();
          return reachable(c) === 'True' && c.status?.outages?.[0]?.end ? c : undefined;
        },
        60_000,
        'the outage closed',
      ).catch(async (error: Error) => assert.fail(await failure(error.message)));
      const outage = up.status!.outages![0]!;
      assert.equal(outage.start, down.status!.outages![0]!.start);
      // The Events a user sees with `kubectl describe`, reported by the source's pod.
      const [source] = await pods(bed, 'app.kubernetes.io/component=source');
      const events = await eventually(
        async () => {
          const all = await eventsOf(bed.cluster, NAMESPACE, name);
          const reasons = all.filter((e) => Date.parse(e.firstTimestamp) >= deleted - 1_000).map((e) => e.reason);
          return reasons.includes('ConnectivityOutageDetected') && reasons.includes('ConnectivityRestored')
            ? all
            : undefined;
        },
        30_000,
        'the outage and restore events',
      );
      assert.ok(
        events.every((e) => e.reportingInstance === source?.metadata.name),
        `events reported by ${source?.metadata.name}`,
      );
      t.diagnostic(
        `new pod ${fresh.metadata.name} (${fresh.status.podIP}); outage ${outage.start} .. ${outage.end}: ${outage.message}`,
      );
    },
  );

  let beforeFailover = new Map<string, LogEntry[]>();
  await t.test('the source pod deleted mid-cycle: the new pod takes the Lease and no entry is lost', async (t) => {
    const [old] = await pods(bed, 'app.kubernetes.io/component=source');
    assert.ok(old);
    const holderNow = async () => (await lease(bed)).holderIdentity;
    assert.equal(await holderNow(), old.metadata.name);
    const before = new Map((await checks(bed)).map((c) => [c.metadata.name, entries(c)]));
    const del = await bed.cluster.kubectl(['delete', 'pod', '-n', NAMESPACE, old.metadata.name, '--wait=false']);
    assert.equal(del.code, 0, del.stderr);
    const deleted = Date.now();
    const holder = await eventually(
      async () => {
        const name = await holderNow();
        return name && name !== old.metadata.name ? name : undefined;
      },
      120_000,
      'a new Lease holder',
    ).catch(async (error: Error) => assert.fail(await failure(error.message)));
    t.diagnostic(`Lease taken by ${holder} ${((Date.now() - deleted) / 1000).toFixed(1)} s after the delete`);
    await eventually(
      async () =>
        (await pods(bed, 'app.kubernetes.io/component=source')).some((p) => p.metadata.uid === old.metadata.uid)
          ? undefined
          : true,
      60_000,
      'the old source pod gone',
    );
    // Whatever the old pod wrote, up to its last write on SIGTERM, is still there; the CoreDNS test below checks
    // that the new leader's writes keep it too.
    const now = await checks(bed);
    assertKept(before, now);
    beforeFailover = new Map(now.map((c) => [c.metadata.name, entries(c)]));
  });

  await t.test(
    "two source replicas, the leader's container killed: leadership goes on, in the restarted container or the standby",
    async (t) => {
      const scale = await bed.cluster.kubectl(['scale', 'deployment', SOURCE, '-n', NAMESPACE, '--replicas=2']);
      assert.equal(scale.code, 0, scale.stderr);
      const replicas = await eventually(
        async () => {
          const running = await pods(bed, 'app.kubernetes.io/component=source');
          return running.length === 2 && running.every((p) => p.status.phase === 'Running') ? running : undefined;
        },
        90_000,
        'two running source replicas',
      );
      const holder = (await lease(bed)).holderIdentity;
      assert.ok(
        replicas.some((p) => p.metadata.name === holder),
        `the Lease is held by one of the replicas (${holder})`,
      );
      const leader = containerFacts(bed).find((f) => f.pod === holder && f.container === 'source');
      assert.ok(leader, "the leader's container runs");
      const before = new Map((await checks(bed)).map((c) => [c.metadata.name, entries(c)]));
      process.kill(leader.pid, 'SIGKILL');
      const killed = Date.now();
      // The kubelet restarts the container within seconds; the Lease names the pod, so the restarted process may take it
      // back before the standby may (15 s lease): either way one holder renews it again.
      await eventually(
        async () =>
          (await pods(bed, 'app.kubernetes.io/component=source')).find(
            (p) =>
              p.metadata.name === holder && (p.status.containerStatuses?.[0]?.restartCount ?? 0) > 0 && podReady(p),
          ),
        60_000,
        'the killed container restarted by the kubelet',
      );
      const after = await eventually(
        async () => {
          const now = await lease(bed);
          return replicas.some((p) => p.metadata.name === now.holderIdentity) &&
            Date.parse(now.renewTime ?? '') > killed
            ? now
            : undefined;
        },
        60_000,
        'the Lease renewed by a replica after the kill',
      ).catch(async (error: Error) => assert.fail(await failure(error.message)));
      const logs = await bed.cluster.kubectl(['logs', '-n', NAMESPACE, after.holderIdentity!, '-c', 'source']);
      assert.match(logs.stdout, /became leader; probing/, `${after.holderIdentity} leads`);
      t.diagnostic(
        `Lease ${holder} -> ${after.holderIdentity} (${after.holderIdentity === holder ? 'the restarted container took it back' : 'the standby'}), renewed ${((Date.parse(after.renewTime!) - killed) / 1000).toFixed(1)} s after SIGKILL`,
      );
      assertKept(before, await checks(bed));
      beforeFailover = new Map((await checks(bed)).map((c) => [c.metadata.name, entries(c)]));
    },
  );

  await t.test('CoreDNS stopped: checks by name fail with DNS errors, named as such, and recover', async (t) => {
    bed.stopCoreDns();
    const stopped = Date.now();
    try {
      // Checks that look a name up (not the per-node target checks, whose pod comes from EndpointSlices).
      const byName = (c: LiveCheck) =>
        /[a-z]/.test(c.spec.targetEndpoint.split(':')[0] ?? '') &&
        !c.metadata.labels['p2pnc.io/target-node'] &&
        targetOf(c) !== UNRESOLVABLE;
      const failed = await eventually(
        async () => {
          const named = (await checks(bed)).filter(byName);
          return named.length > 0 &&
            named.every((c) =>
              c.status?.failures?.some((f) => Date.parse(f.time ?? '') > stopped && f.reason === 'DNSError'),
            )
            ? named
            : undefined;
        },
        60_000,
        'DNS failures on every check by name',
      ).catch(async (error: Error) => assert.fail(await failure(error.message)));
      for (const check of failed) {
        const latest = check.status!.failures!.find((f) => Date.parse(f.time ?? '') > stopped)!;
        assert.match(
          latest.message ?? '',
          /failure looking up host .*: lookup .*: (temporary failure in name resolution|server misbehaving|i\/o timeout)/,
          check.metadata.name,
        );
      }
      t.diagnostic(`${failed.length} checks by name failed with DNSError: ${failed[0]!.status!.failures![0]!.message}`);
      const diagnose = await cli(['diagnose']);
      assert.match(diagnose.output, /DNS|name resolution/i, diagnose.output);
      // Written by the leader that took over: nothing the old one wrote was lost.
      assertKept(beforeFailover, await checks(bed));
    } finally {
      await bed.startCoreDns();
    }
    await eventually(
      async () =>
        (await checks(bed)).every((c) => (EXPECTED_FAILURES[targetOf(c)] ? true : reachable(c) === 'True'))
          ? true
          : undefined,
      90_000,
      'every reachable check True again',
    );
  });

  await t.test(
    "the pod bridge's forwarding broken: the target's Service fails while its pod answers, and diagnose says service proxying",
    async (t) => {
      const serviceCheck = (all: LiveCheck[]) =>
        all.find((c) => targetOf(c) === TARGET && !c.metadata.labels['p2pnc.io/target-node'])!;
      const podCheck = (all: LiveCheck[]) =>
        all.find((c) => targetOf(c) === TARGET && c.metadata.labels['p2pnc.io/target-node'] === bed.nodeName)!;
      bed.setBridgeForwarding(false);
      const broken = Date.now();
      try {
        const all = await eventually(
          async () => {
            const now = await checks(bed);
            return reachable(serviceCheck(now)) === 'False' ? now : undefined;
          },
          60_000,
          "the target's Service check failing",
        ).catch(async (error: Error) => assert.fail(await failure(error.message)));
        const latest = serviceCheck(all).status!.failures![0]!;
        assert.ok(Date.parse(latest.time ?? '') >= broken - 1_000);
        assert.equal(latest.reason, 'TCPConnectError');
        assert.match(latest.message ?? '', /i\/o timeout/);
        assert.equal(reachable(podCheck(all)), 'True', 'the pod itself answers on the bridge');
        const diagnose = await cli(['diagnose']);
        assert.match(diagnose.output, /service proxying/i, diagnose.output);
        t.diagnostic(`${latest.message}`);
      } finally {
        bed.setBridgeForwarding(true);
      }
      await eventually(
        async () => (reachable(serviceCheck(await checks(bed))) === 'True' ? true : undefined),
        60_000,
        'the Service check True again',
      );
    },
  );

  await t.test('p2pnc report writes the HTML report from the node', async () => {
    const html = join(work, 'report.html');
    const report = await cli(['report', '--html', html]);
    assert.equal(report.code, 0, report.output);
    const text = readFileSync(html, 'utf8');
    for (const check of await checks(bed)) assert.ok(text.includes(targetOf(check)), `report names ${targetOf(check)}`);
  });

  await t.test('no pod packet tried to leave the machine', () => {
    assert.equal(bed.rejectedPackets(), 0);
  });

  await t.test('brought down, the node leaves the machine as it found it', () => {
    bed.stop();
    assert.deepEqual(bed.residue(), []);
  });
});

async function lease(bed: NodeBed): Promise<{ holderIdentity?: string; renewTime?: string }> {
  return (
    await getJson<{ spec: { holderIdentity?: string; renewTime?: string } }>(bed, [
      'get',
      'lease',
      `${SOURCE}-leader`,
      '-n',
      NAMESPACE,
    ])
  ).spec;
}

/** Every entry of `before` is in `now`, unless newer entries pushed it out of its capped list. */
function assertKept(before: Map<string, LogEntry[]>, now: LiveCheck[]): void {
  for (const check of now) {
    const current = entries(check);
    for (const entry of (before.get(check.metadata.name) ?? []).filter((e) => !isPushedOut(e, check))) {
      assert.ok(
        current.some((n) => n.time === entry.time && n.message === entry.message),
        `${check.metadata.name}: the entry of ${entry.time} kept`,
      );
    }
  }
}

function entries(check: LiveCheck): LogEntry[] {
  return [...(check.status?.successes ?? []), ...(check.status?.failures ?? [])];
}

/** An entry older than the oldest of the 20 kept in its list may have been pushed out by newer ones. */
function isPushedOut(entry: LogEntry, check: LiveCheck): boolean {
  const list = (entry.success ? check.status?.successes : check.status?.failures) ?? [];
  if (list.length < 20) return false;
  return Date.parse(entry.time ?? '') < Date.parse(list[list.length - 1]!.time ?? '');
}

async function sourceLog(bed: NodeBed): Promise<string> {
  const res = await bed.cluster.kubectl(['logs', '-n', NAMESPACE, `deployment/${SOURCE}`, '--tail=20']);
  return res.code === 0 ? res.stdout : res.stderr;
}
