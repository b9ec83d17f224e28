/**
 * What a cluster's size changes. What a check's status keeps and how often a healthy one is written: the spec says it (only where it
 * differs from the runtime's defaults), the source's reducer and write scheduler obey it, and diagnose reads it so a
 * check written hourly is not called silent after 20 minutes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CheckSpecSchema } from '../../src/api/check.js';
import { diagnose } from '../../src/ops/diagnose.js';
import { policyForCheck, record, statusPolicy } from '../../src/runtime/status/reducer.js';
import { probeCheck } from '../../src/runtime/source/check-target.js';
import { WriteScheduler } from '../../src/runtime/status/write-policy.js';
import type { ProbeResult } from '../../src/runtime/types.js';
import { checkStatusSettings, sourceStartJitter } from '../../src/topology/cluster-size.js';
import { synthToTemp } from '../helpers/synth.js';
import { expand } from '../../src/topology/expand.js';
import { TopologySchema, type TopologyInput } from '../../src/topology/schema.js';
import { checksOf, NOW, withStatuses } from '../ops/support.js';

function cluster(nodes: number, extra: Partial<TopologyInput> = {}): TopologyInput {
  return {
    cluster: 'sized',
    nodes: Array.from({ length: nodes }, (_, i) => ({
      name: `node-${i}`,
      addresses: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
      roles: ['worker'],
    })),
    sources: [{ name: 'probe', kind: 'Deployment' }],
    targets: [{ name: 'api', kind: 'endpoint', host: 'api.example.com', port: 6443 }],
    ...extra,
  };
}

describe('checkStatusSettings', () => {
  test('keeps less and writes healthy checks more rarely as the cluster grows', () => {
    const at = (nodes: number) => checkStatusSettings(TopologySchema.parse(cluster(nodes)));
    assert.deepEqual(at(1), { entries: 20, outages: 20, refreshInterval: '10m', messages: 'full' });
    assert.deepEqual(at(250), { entries: 20, outages: 20, refreshInterval: '10m', messages: 'full' });
    assert.deepEqual(at(251), { entries: 10, outages: 10, refreshInterval: '1h', messages: 'full' });
    assert.deepEqual(at(1000), { entries: 10, outages: 10, refreshInterval: '1h', messages: 'full' });
    assert.deepEqual(at(1001), { entries: 5, outages: 3, refreshInterval: '6h', messages: 'compact' });
  });

  test('the topology overrides any of them', () => {
    const settings = checkStatusSettings(
      TopologySchema.parse(cluster(3000, { checkStatus: { entries: 12, refreshInterval: '2h', messages: 'full' } })),
    );
    assert.deepEqual(settings, { entries: 12, outages: 3, refreshInterval: '2h', messages: 'full' });
  });

  test('bad values are refused with the path and the range', () => {
    const result = TopologySchema.safeParse(
      cluster(1, { checkStatus: { entries: 50, outages: 0, messages: 'short' } as never }),
    );
    assert.equal(result.success, false);
    const messages = result.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    assert.ok(
      messages.includes('checkStatus.entries: checkStatus.entries must be between 1 and 20'),
      messages.join('\n'),
    );
    assert.ok(
      messages.includes('checkStatus.outages: checkStatus.outages must be between 1 and 20'),
      messages.join('\n'),
    );
    assert.ok(
      messages.includes('checkStatus.messages: checkStatus.messages must be one of: full, compact'),
      messages.join('\n'),
    );
  });
});

describe('DaemonSet sources spread their first list on large clusters', () => {
  test('no jitter up to 250 nodes, 10s up to 1,000, 30s beyond; Deployments never wait', () => {
    assert.equal(sourceStartJitter(TopologySchema.parse(cluster(250))), '0s');
    assert.equal(sourceStartJitter(TopologySchema.parse(cluster(251))), '10s');
    assert.equal(sourceStartJitter(TopologySchema.parse(cluster(1001))), '30s');
    const argsOf = (nodes: number) => {
      const input = cluster(nodes, {
        sources: [
          { name: 'probe', kind: 'Deployment' },
          { name: 'mesh', kind: 'DaemonSet', mesh: { neighbours: 1 } },
        ],
      });
      const workloads = synthToTemp(input).objects.filter(
        (object) => object.kind === 'DaemonSet' || object.kind === 'Deployment',
      );
      return Object.fromEntries(
        workloads
          .filter((w) => w.metadata.name !== 'network-check-target')
          .map((w) => [w.metadata.name, w.spec.template.spec.containers[0].args.join(' ')]),
      );
    };
    assert.deepEqual(argsOf(3), { probe: 'source --source probe', mesh: 'source --source mesh --per-node' });
    // Heartbeats renewed every 5 minutes, not every interval: within the write budget at 5,000 nodes. The checks
    // are spread over one shard per 100 nodes (check-shards.test.ts).
    assert.deepEqual(argsOf(1200), {
      probe: 'source --source probe --heartbeat-period 5m --check-shards 12',
      mesh: 'source --source mesh --per-node --start-jitter 30s --heartbeat-period 5m --check-shards 12',
    });
  });
});

describe('expand', () => {
  test('small clusters keep the spec they had; large ones carry their history and refresh in every check', () => {
    const small = expand(TopologySchema.parse(cluster(3)));
    assert.ok(small.every((check) => check.spec.history === undefined && check.spec.refreshInterval === undefined));
    const large = expand(TopologySchema.parse(cluster(1200)));
    for (const check of large) {
      assert.deepEqual(check.spec.history, { entries: 5, outages: 3, messages: 'compact' });
      assert.equal(check.spec.refreshInterval, '6h');
      assert.ok(CheckSpecSchema.safeParse(check.spec).success);
    }
  });
});

describe('the runtime obeys the spec', () => {
  const ok = (minute: number): ProbeResult => ({
    time: new Date(Date.UTC(2026, 0, 1, 0, minute)),
    success: true,
    latencyMs: 1,
    reason: 'TCPConnect',
    message: 'api: tcp connection to 10.0.0.1:6443 succeeded',
  });
  const refused = (minute: number): ProbeResult => ({
    time: new Date(Date.UTC(2026, 0, 1, 0, minute, 30)),
    success: false,
    latencyMs: 1,
    reason: 'TCPConnectError',
    message:
      'api: failed to establish a TCP connection to 10.0.0.1:6443: dial tcp 10.0.0.1:6443: connect: connection refused',
    failure: 'refused',
  });

  test("the reducer keeps the check's entries and outages, however many the source's policy allows", () => {
    const policy = policyForCheck(statusPolicy(), { history: { entries: 3, outages: 2 } });
    let status = undefined;
    for (let minute = 0; minute < 12; minute++) {
      status = record(status, ok(minute * 4), policy).status;
      status = record(status, refused(minute * 4 + 1), policy).status;
      status = record(status, refused(minute * 4 + 2), policy).status;
    }
    assert.equal(status!.successes!.length, 3);
    assert.equal(status!.failures!.length, 3);
    assert.equal(status!.outages!.length, 2);
    // Few entries, few outage logs: the first failure and the recovery, not every failure of the outage again.
    for (const outage of status!.outages!) assert.equal(outage.startLogs!.length, 1);
    const closed = status!.outages!.filter((outage) => outage.end);
    assert.ok(closed.length > 0);
    for (const outage of closed)
      assert.deepEqual(
        outage.endLogs!.map((entry) => entry.success),
        [true],
      );
    const roomy = policyForCheck(statusPolicy(), { history: { entries: 20 } });
    assert.equal(roomy.maxOutageLogs, statusPolicy().maxOutageLogs, 'the default keeps its outage logs');
  });

  test('a check whose spec asks for compact messages gets them, without the label OpenShift repeats', async () => {
    const lookups = { targetPodAddress: () => undefined, clientCert: () => Promise.reject(new Error('none')) };
    const name = 'probe-to-api';
    // Port 9 on loopback: nothing listens there, refused at once.
    const spec = { sourcePod: 'probe', targetEndpoint: '127.0.0.1:9' };
    const full = await probeCheck(name, spec, lookups);
    const compact = await probeCheck(name, { ...spec, history: { messages: 'compact' as const } }, lookups);
    assert.equal(
      full.message.startsWith('api: failed to establish a TCP connection to 127.0.0.1:9'),
      true,
      full.message,
    );
    assert.equal(compact.message, full.message.slice('api: '.length));
    const invalid = await probeCheck(
      name,
      { ...spec, targetEndpoint: 'nowhere', history: { messages: 'compact' } },
      lookups,
    );
    assert.match(invalid.message, /^invalid check: /);
  });

  test('one entry still confirms outages: the streak needs at most entries + 1 failures', () => {
    const policy = policyForCheck(statusPolicy({ confirmFailures: 3 }), { history: { entries: 1 } });
    assert.equal(policy.confirmFailures, 2);
    let status = record(undefined, ok(0), policy).status;
    status = record(status, refused(1), policy).status;
    const outcome = record(status, refused(2), policy);
    assert.equal(outcome.transition, 'outage-opened');
  });

  test("a check's refresh interval spaces its steady writes; transitions still go at once", () => {
    const scheduler = new WriteScheduler();
    const t0 = Date.UTC(2026, 0, 1);
    const first = record(undefined, ok(0)).status;
    scheduler.adopt('hourly', first, t0);
    scheduler.setSteadyInterval('hourly', 3_600_000);
    scheduler.adopt('default', first, t0);
    const steady = record(first, ok(1)).status;
    scheduler.update('hourly', steady, t0 + 60_000);
    scheduler.update('default', steady, t0 + 60_000);
    assert.equal(scheduler.dueAt('default'), t0 + 600_000);
    assert.equal(scheduler.dueAt('hourly'), t0 + 3_600_000);
    const failed = record(record(steady, refused(2)).status, refused(3)).status;
    scheduler.update('hourly', failed, t0 + 180_000);
    assert.ok(scheduler.dueAt('hourly')! <= t0 + 185_000, 'a transition is not held back by the refresh interval');
  });
});

describe('diagnose', () => {
  test('a check written hourly is silent only after its refresh interval, not after 20 minutes', () => {
    const topology = cluster(1200);
    topology.nodes = topology.nodes!.slice(0, 1200);
    const checks = checksOf({ ...topology, checkStatus: { refreshInterval: '60m' } });
    const fortyMinutes = diagnose(withStatuses(checks, {}, { lastProbeMinutesAgo: 40 }), { now: NOW });
    assert.deepEqual(
      fortyMinutes.findings.map((finding) => finding.rule),
      [],
    );
    const twoHours = diagnose(withStatuses(checks, {}, { lastProbeMinutesAgo: 120 }), { now: NOW });
    assert.deepEqual(
      twoHours.findings.map((finding) => finding.rule),
      ['source-not-probing'],
    );
  });
});
