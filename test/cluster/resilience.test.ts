// Control-plane faults around the source process, against a real kube-apiserver and loopback targets: SIGTERM in
// the middle of a probe cycle, a second writer patching the same checks every second, and two replicas of which
// the leader is killed. (The 60 s API server outage is blackout.test.ts.)
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { test } from 'node:test';
import type { CheckStatus, LogEntry } from '../../src/api/check.js';
import { KubeApiError, KubeClient } from '../../src/runtime/kube/client.js';
import { loadKubeConfig } from '../../src/runtime/kube/config.js';
import { insertNewestFirst } from '../../src/runtime/status/log-entries.js';
import { formatTime } from '../../src/runtime/status/time.js';
import { parseDuration } from '../../src/api/duration.js';
import type { RunningProcess } from '../helpers/process.js';
import { eventually } from '../helpers/process.js';
import type { Cluster } from './harness.js';
import { assertOpenShiftCompatible } from './openshift-compat.js';
import {
  assertEverySuccessRecorded,
  assertNoLostProbes,
  deployChecks,
  eventsOf,
  iso,
  logLines,
  LoopbackTarget,
  ms,
  readCheck,
  readChecks,
  reachable,
  sleep,
  startSource,
  statusWhen,
  storedSecond,
} from './source-fixtures.js';
import { startOrSkip } from './support.js';

const INTERVAL_MS = 2_000;
/** A probe period (interval ±5% jitter), plus the second stored times are truncated to, plus slack. */
const MAX_GAP_MS = INTERVAL_MS * 1.05 + 1_000 + 500;
const FAST = ['--interval', `${INTERVAL_MS}ms`, '--confirm-retry', '1s'];

const node = [{ name: 'node-a', addresses: ['127.0.0.1'] }];

test('the source under control-plane faults', { timeout: 600_000 }, async (t) => {
  const cluster = await startOrSkip(t);
  if (!cluster) return;
  try {
    await t.test('SIGTERM during a cycle: the probe in flight and every pending result are written before exit', () =>
      sigtermDuringCycle(cluster, t.diagnostic.bind(t)),
    );
    await t.test('a second writer patching the same checks every second: no entry lost', () =>
      secondWriter(cluster, t.diagnostic.bind(t)),
    );
    await t.test('two replicas: one leader; the other takes over within 30 s of a kill -9', () =>
      twoReplicas(cluster, t.diagnostic.bind(t)),
    );
    await t.test(
      "the OpenShift compatibility check names a status field OpenShift's schema does not know",
      async () => {
        const [check] = await readChecks(cluster, 'replicas');
        const conditions = check?.status?.conditions;
        assert.ok(check && conditions?.[0]);
        check.status = {
          ...check.status,
          conditions: [{ ...conditions[0], observedGeneration: 1 } as (typeof conditions)[0], ...conditions.slice(1)],
        };
        await assert.rejects(
          assertOpenShiftCompatible(cluster, [check]),
          /unknown field "observedGeneration".*status\.conditions/s,
        );
      },
    );
  } finally {
    await cluster.stop();
  }
});

type Log = (message: string) => void;

// ---------------------------------------------------------------------------------------------------------------
// SIGTERM

/** An HTTP target that answers at once, or holds the next request until released (a probe kept in flight). */
class HoldingHttpTarget {
  private holding = false;
  private held: { at: number; response: ServerResponse } | undefined;
  private heldWaiters: Array<() => void> = [];

  private constructor(readonly server: Server) {}

  static async start(): Promise<HoldingHttpTarget> {
    const server = createServer((request, response) => target.answer(request, response));
    const target = new HoldingHttpTarget(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return target;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** Resolves with the time the next request arrived, which stays unanswered until release(). */
  holdNext(): Promise<number> {
    this.holding = true;
    return new Promise((resolve) => this.heldWaiters.push(() => resolve(this.held!.at)));
  }

  release(): void {
    this.held?.response.writeHead(200).end('ok');
    this.held = undefined;
  }

  close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private answer(_request: IncomingMessage, response: ServerResponse): void {
    if (!this.holding) {
      response.writeHead(200).end('ok');
      return;
    }
    this.holding = false;
    this.held = { at: Date.now(), response };
    for (const waiter of this.heldWaiters.splice(0)) waiter();
  }
}

async function sigtermDuringCycle(cluster: Cluster, log: Log): Promise<void> {
  const namespace = 'sigterm';
  const steady = await LoopbackTarget.start();
  const breaks = await LoopbackTarget.start();
  const slow = await HoldingHttpTarget.start();
  await deployChecks(cluster, {
    cluster: 'sigterm',
    namespace,
    nodes: node,
    sources: [{ name: 'prober', kind: 'Deployment' }],
    targets: [
      { name: 'steady', kind: 'endpoint', host: '127.0.0.1', port: steady.port },
      { name: 'breaks', kind: 'endpoint', host: '127.0.0.1', port: breaks.port },
      { name: 'slow', kind: 'endpoint', host: '127.0.0.1', port: slow.port, probe: { kind: 'http', path: '/' } },
    ],
  });
  // The default --steady-write-interval (10m): after the first write of a check, its later successes stay pending.
  const source = await startSource(cluster, namespace, 'prober', FAST);
  try {
    for (const name of ['prober-to-steady', 'prober-to-breaks', 'prober-to-slow']) {
      await statusWhen(cluster, namespace, name, (s) => reachable(s)?.status === 'True', 30_000, 'Reachable=True');
    }
    const stored = (await readCheck(cluster, namespace, 'prober-to-steady')).status!;
    const heldAt = await slow.holdNext();
    const downAt = Date.now();
    await breaks.down();
    // SIGTERM right after the confirming probe: its transition's write waits to coalesce for a second.
    await until(() => outageLogged(source, 'prober-to-breaks'), 15_000, 'the source to detect the outage');
    const exit = source.stop('SIGTERM');
    await sleep(300);
    slow.release();
    assert.equal(await exit, 0, source.output());
    assert.match(source.output(), /"msg":"stopped probing; pending status written".*"unwritten":0/);
    log(
      `SIGTERM sent ${Date.now() - heldAt} ms into a held probe; prober-to-steady had ${stored.successes!.length} successes stored before`,
    );

    const broken = (await readCheck(cluster, namespace, 'prober-to-breaks')).status!;
    const outage = broken.outages?.[0];
    assert.ok(outage, 'the outage detected just before SIGTERM is stored');
    assert.equal(outage.end, undefined);
    assert.ok(
      ms(outage.start) >= storedSecond(downAt),
      `the outage starts after the target went down (${outage.start})`,
    );
    assert.equal(outage.startLogs?.at(-1)?.time, outage.start, 'at its first failure');
    assert.equal(reachable(broken)?.status, 'False');
    assert.equal(reachable(broken)?.lastTransitionTime, outage.start);

    const slowStatus = (await readCheck(cluster, namespace, 'prober-to-slow')).status!;
    const inFlight = slowStatus.successes![0]!;
    assert.ok(
      [storedSecond(heldAt), storedSecond(heldAt) - 1000].includes(ms(inFlight.time)),
      `the probe in flight at SIGTERM (started ${iso(heldAt)}) is the newest success, got ${inFlight.time}`,
    );
    assert.ok((parseDuration(inFlight.latency!) ?? 0) >= 300, `it took as long as it was held (${inFlight.latency})`);

    const steadyStatus = (await readCheck(cluster, namespace, 'prober-to-steady')).status!;
    const recorded = assertEverySuccessRecorded('prober-to-steady', steadyStatus.successes!, steady.accepts);
    assert.ok(
      steadyStatus.successes!.length > stored.successes!.length,
      'successes that were pending at SIGTERM were written',
    );
    assert.ok(
      ms(steadyStatus.successes![0]!.time) >= storedSecond(Math.max(...steady.accepts)) - 1000,
      'up to the last probe',
    );
    log(
      `prober-to-steady: ${stored.successes!.length} successes stored before SIGTERM, ${recorded} after (every probe the target answered)`,
    );

    await assertOpenShiftCompatible(cluster, await readChecks(cluster, namespace));
  } finally {
    await source.stop('SIGKILL');
    await Promise.all([steady.down(), breaks.down(), slow.close()]);
  }
}

/** Polls a local condition every 10 ms (eventually polls every 250 ms, too slow to land inside a write's coalescing). */
async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

function outageLogged(source: RunningProcess, check: string): boolean {
  return logLines(source).some((line) => line.msg === 'outage detected' && line.check === check);
}

// ---------------------------------------------------------------------------------------------------------------
// A second writer

const WRITER_CONDITION = 'SecondWriter';
const WRITER_MESSAGE = 'second-writer: tick';
const byWriter = (entry: LogEntry) => entry.message?.startsWith(WRITER_MESSAGE) === true;

/**
 * Another writer of the same checks, as a second p2pnc replica or any controller would be: every second it reads
 * each check and merge-patches its status guarded by the resourceVersion read, flipping a condition of its own and,
 * on `entriesOn`, adding a log entry of its own. It retries what a conflict refused on its next tick.
 */
class SecondWriter {
  readonly stats = { writes: 0, conflicts: 0 };
  /** Its log entries the API server accepted. */
  readonly written: LogEntry[] = [];
  /** Its condition as last accepted, per check. */
  readonly lastCondition = new Map<string, NonNullable<CheckStatus['conditions']>[number]>();
  private pending: LogEntry[] = [];
  private tick = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly checks: string[],
    private readonly entriesOn: string,
  ) {}

  start(): void {
    this.loop = this.run().catch((error: unknown) => {
      this.failure = error;
    });
  }

  /** Stops after the current tick; throws what made it fail, if anything did. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    if (this.failure) throw this.failure;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.tick += 1;
      const now = new Date();
      this.pending.push({
        time: formatTime(now),
        success: true,
        reason: 'TCPConnect',
        message: `${WRITER_MESSAGE} ${this.tick}`,
        latency: '1ms',
      });
      for (const name of this.checks) await this.write(name, now);
      await sleep(1_000);
    }
  }

  private async write(name: string, now: Date): Promise<void> {
    const path = `/apis/p2pnc.io/v1alpha1/namespaces/${this.namespace}/podnetworkconnectivitychecks/${name}`;
    const check = await this.client.get<{ metadata: { resourceVersion: string }; status?: CheckStatus }>(path);
    const status = check.status ?? {};
    const condition = {
      type: WRITER_CONDITION,
      status: this.tick % 2 ? 'True' : 'False',
      reason: 'Tick',
      message: `tick ${this.tick}`,
      lastTransitionTime: formatTime(now),
    };
    const patch: CheckStatus = {
      conditions: [...(status.conditions ?? []).filter((c) => c.type !== WRITER_CONDITION), condition],
    };
    const entries = name === this.entriesOn ? this.pending : [];
    if (entries.length > 0)
      patch.successes = entries.reduce((list, entry) => insertNewestFirst(list, entry, 20), status.successes ?? []);
    try {
      await this.client.mergePatch(`${path}/status`, {
        metadata: { resourceVersion: check.metadata.resourceVersion },
        status: patch,
      });
      this.stats.writes += 1;
      this.lastCondition.set(name, condition);
      if (entries.length > 0) {
        this.written.push(...entries);
        this.pending = [];
      }
    } catch (error) {
      if (!(error instanceof KubeApiError && error.isConflict)) throw error;
      this.stats.conflicts += 1;
    }
  }
}

async function secondWriter(cluster: Cluster, log: Log): Promise<void> {
  const namespace = 'contention';
  const steady = await LoopbackTarget.start();
  const flaps = await LoopbackTarget.start();
  await deployChecks(cluster, {
    cluster: 'contention',
    namespace,
    nodes: node,
    sources: [{ name: 'prober', kind: 'Deployment' }],
    targets: [
      { name: 'steady', kind: 'endpoint', host: '127.0.0.1', port: steady.port },
      { name: 'flaps', kind: 'endpoint', host: '127.0.0.1', port: flaps.port },
    ],
  });
  // Steady writes every 2 s as well, so the source writes as often as it probes: the most contention.
  const source = await startSource(cluster, namespace, 'prober', [...FAST, '--steady-write-interval', '2s']);
  const checks = ['prober-to-steady', 'prober-to-flaps'];
  const writer = new SecondWriter(
    new KubeClient(loadKubeConfig({ kubeconfig: cluster.kubeconfig })),
    namespace,
    checks,
    'prober-to-steady',
  );
  try {
    for (const name of checks)
      await statusWhen(cluster, namespace, name, (s) => reachable(s)?.status === 'True', 30_000, 'Reachable=True');
    writer.start();
    await sleep(6_000);
    const downAt = Date.now();
    await flaps.down();
    await sleep(8_000);
    const upAt = Date.now();
    await flaps.up();
    await sleep(8_000);
    await writer.stop();
    const writerStoppedAt = Date.now();

    // The source writes every 2 s: once it wrote after the writer stopped, the stored status is complete.
    const steadyStatus = await statusWhen(
      cluster,
      namespace,
      'prober-to-steady',
      (s) => ms(s.successes?.find((e) => !byWriter(e))?.time) > writerStoppedAt,
      30_000,
      'a write after the second writer stopped',
    );
    const flapsStatus = await statusWhen(
      cluster,
      namespace,
      'prober-to-flaps',
      (s) => ms(s.successes?.[0]?.time) > writerStoppedAt,
      30_000,
      'a write after the second writer stopped',
    );
    const sourceConflicts = logLines(source).filter(
      (line) =>
        line.msg === 'status write failed; will retry' && String(line.error).includes('the object has been modified'),
    ).length;
    log(
      `second writer: ${writer.stats.writes} writes, ${writer.stats.conflicts} refused with 409; the source: ${sourceConflicts} writes refused with 409 and retried`,
    );

    // Every probe of the source the target answered, and every entry of the second writer, within the 20 kept.
    const sourceEntries = assertEverySuccessRecorded(
      'prober-to-steady',
      steadyStatus.successes!,
      steady.accepts,
      byWriter,
    );
    const keptFrom =
      steadyStatus.successes!.length >= 20 ? ms(steadyStatus.successes!.at(-1)!.time) + 1000 : Number.NEGATIVE_INFINITY;
    const missing = writer.written.filter(
      (entry) => ms(entry.time) >= keptFrom && !steadyStatus.successes!.some((kept) => kept.message === entry.message),
    );
    assert.deepEqual(
      missing.map((entry) => entry.message),
      [],
      "the second writer's entries are kept",
    );
    const writerEntries = steadyStatus.successes!.filter(byWriter).length;
    assert.ok(writerEntries > 0 && sourceEntries > 0, "both writers' entries are in the newest 20");
    log(
      `prober-to-steady keeps ${sourceEntries} entries of the source and ${writerEntries} of the second writer, none missing`,
    );

    const outage = flapsStatus.outages?.[0];
    assert.ok(outage?.end, 'the outage while both wrote is stored, closed');
    assert.ok(
      ms(outage.start) >= storedSecond(downAt) && ms(outage.start) <= downAt + MAX_GAP_MS,
      `outage start ${outage.start} is the first failure after ${iso(downAt)}`,
    );
    assert.ok(
      ms(outage.end) >= storedSecond(upAt) && ms(outage.end) <= upAt + MAX_GAP_MS,
      `outage end ${outage.end} is the first success after ${iso(upAt)}`,
    );
    assert.equal(reachable(flapsStatus)?.lastTransitionTime, outage.end);
    assertNoLostProbes('prober-to-flaps', flapsStatus, MAX_GAP_MS);
    assertEverySuccessRecorded('prober-to-flaps', flapsStatus.successes!, flaps.accepts);

    for (const [name, status] of [
      ['prober-to-steady', steadyStatus],
      ['prober-to-flaps', flapsStatus],
    ] as const) {
      const theirs = status.conditions?.find((condition) => condition.type === WRITER_CONDITION);
      assert.deepEqual(theirs, writer.lastCondition.get(name), `${name}: the second writer's last condition is kept`);
    }

    assert.equal(await source.stop('SIGTERM'), 0, source.output());
    await assertOpenShiftCompatible(cluster, await readChecks(cluster, namespace));
  } finally {
    await writer.stop().catch(() => undefined);
    await source.stop('SIGKILL');
    await Promise.all([steady.down(), flaps.down()]);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Two replicas

interface LeaseJson {
  spec: { holderIdentity?: string; leaseTransitions?: number };
}

async function leaseHolder(cluster: Cluster, namespace: string): Promise<string | undefined> {
  const result = await cluster.kubectl(['get', 'lease', 'prober-leader', '-n', namespace, '-o', 'json']);
  return result.code === 0 ? (JSON.parse(result.stdout) as LeaseJson).spec.holderIdentity : undefined;
}

/** Probes run by a replica, from its /metrics (the port it logged when it started). */
async function probesRun(replica: RunningProcess): Promise<number> {
  const port = logLines(replica).find((line) => line.msg === 'source started')?.port;
  assert.ok(port, 'the replica logged its metrics port');
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('p2pnc_probes_total{'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

async function twoReplicas(cluster: Cluster, log: Log): Promise<void> {
  const namespace = 'replicas';
  const steady = await LoopbackTarget.start();
  const heals = await LoopbackTarget.start(false);
  await deployChecks(cluster, {
    cluster: 'replicas',
    namespace,
    nodes: node,
    sources: [{ name: 'prober', kind: 'Deployment', replicas: 2 }],
    targets: [
      { name: 'steady', kind: 'endpoint', host: '127.0.0.1', port: steady.port },
      { name: 'heals', kind: 'endpoint', host: '127.0.0.1', port: heals.port },
    ],
  });
  // The default --lease-duration (15s): the takeover this measures is the one users get.
  const flags = [...FAST, '--steady-write-interval', '5s'];
  const a = await startSource(cluster, namespace, 'prober', flags, { P2PNC_POD_NAME: 'replica-a' });
  let b: RunningProcess | undefined;
  try {
    await eventually(
      async () => ((await leaseHolder(cluster, namespace)) === 'replica-a' ? true : undefined),
      30_000,
      'replica-a to hold the lease',
    );
    b = await startSource(cluster, namespace, 'prober', flags, { P2PNC_POD_NAME: 'replica-b' });
    const before = await statusWhen(
      cluster,
      namespace,
      'prober-to-heals',
      (s) => s.outages?.[0] !== undefined,
      30_000,
      'an outage',
    );
    await statusWhen(
      cluster,
      namespace,
      'prober-to-steady',
      (s) => reachable(s)?.status === 'True',
      30_000,
      'Reachable=True',
    );
    await eventually(
      async () => (logLines(b!).some((line) => line.msg === 'source started') ? true : undefined),
      30_000,
      'replica-b to start',
    );
    // Two of the standby's election rounds (every renew/2 = 2.5 s).
    await sleep(6_000);

    assert.equal(await leaseHolder(cluster, namespace), 'replica-a');
    assert.ok(logLines(a).some((line) => line.msg === 'became leader; probing'));
    assert.ok(!logLines(b).some((line) => line.msg === 'became leader; probing'), 'the standby does not lead');
    assert.ok((await probesRun(a)) > 0, 'the leader probes');
    assert.equal(await probesRun(b), 0, 'the standby probes nothing');
    const detected = (await eventsOf(cluster, namespace, 'prober-to-heals')).filter(
      (event) => event.reason === 'ConnectivityOutageDetected',
    );
    assert.deepEqual(
      detected.map((event) => event.reportingInstance),
      ['replica-a'],
      'the outage was reported by the lease holder',
    );
    const lastBefore = (await readCheck(cluster, namespace, 'prober-to-steady')).status!.successes![0]!;

    const killedAt = Date.now();
    await a.stop('SIGKILL');
    await heals.up();
    let leaseAt: number | undefined;
    const healed = await eventually(
      async () => {
        if (leaseAt === undefined && (await leaseHolder(cluster, namespace)) === 'replica-b') leaseAt = Date.now();
        const status = (await readCheck(cluster, namespace, 'prober-to-heals')).status;
        return status?.outages?.[0]?.end ? status : undefined;
      },
      30_000,
      'replica-b to take over and write the restore',
    );
    const writtenAt = Date.now();
    leaseAt ??= writtenAt;
    log(
      `kill -9 of the leader: replica-b held the lease after ${leaseAt - killedAt} ms and its first write was stored after ${writtenAt - killedAt} ms`,
    );
    assert.ok(writtenAt - killedAt <= 30_000, `takeover took ${writtenAt - killedAt} ms`);

    assert.equal(await leaseHolder(cluster, namespace), 'replica-b');
    assert.ok(logLines(b).some((line) => line.msg === 'became leader; probing'));
    const outage = healed.outages![0]!;
    assert.equal(outage.start, before.outages![0]!.start, 'the outage replica-a opened');
    assert.ok(ms(outage.end) >= storedSecond(killedAt), 'closed by replica-b after the kill');
    assert.equal(reachable(healed)?.status, 'True');
    const restored = await eventually(
      async () =>
        (await eventsOf(cluster, namespace, 'prober-to-heals')).find(
          (event) => event.reason === 'ConnectivityRestored',
        ),
      10_000,
      'the restore event',
    );
    assert.equal(restored.reportingInstance, 'replica-b', 'the restore was reported by the new holder');
    const steadyAfter = await statusWhen(
      cluster,
      namespace,
      'prober-to-steady',
      (s) => ms(s.successes?.[0]?.time) > killedAt,
      30_000,
      'replica-b to write steady successes',
    );
    assert.ok(
      steadyAfter.successes!.some((entry) => entry.time === lastBefore.time && entry.message === lastBefore.message),
      "replica-a's entries are kept",
    );

    assert.equal(await b.stop('SIGTERM'), 0, b.output());
    assert.equal(await leaseHolder(cluster, namespace), '', 'a stopping leader releases the lease');
    await assertOpenShiftCompatible(cluster, await readChecks(cluster, namespace));
  } finally {
    await a.stop('SIGKILL');
    await b?.stop('SIGKILL');
    await Promise.all([steady.down(), heals.down()]);
  }
}
