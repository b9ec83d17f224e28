/**
 * Status write load of the reducer + WriteScheduler, in virtual time: 1,000 checks probed every 60 s for 24 hours.
 * Most checks are healthy; some drop a single probe now and then; some have real outages (with a change of failure
 * mode); and the API server is down for 3 minutes in the middle of the run. Prints the write rate against the
 * budget (a healthy check writes at most once per 10 min, a transition is written within 5 s) and against
 * OpenShift's check-endpoints (a write every ~6.5 checks, ~9.2 writes per check per hour at a 60 s period).
 *
 *   npx tsx bench/writes.ts [--checks 1000] [--hours 24] [--seed 42]
 */
import { parseArgs } from 'node:util';
import type { CheckStatus } from '../src/api/check.js';
import { record } from '../src/runtime/status/reducer.js';
import { DEFAULT_WRITE_POLICY, equalJitter, WriteScheduler } from '../src/runtime/status/write-policy.js';
import type { ProbeResult } from '../src/runtime/types.js';
import { goal } from './goal.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const INTERVAL = MINUTE;
const PROBE_TIMEOUT = 10 * SECOND;
const START = Date.parse('2025-01-01T00:00:00Z');

const OPENSHIFT_WRITES_PER_HOUR = 60 / 6.5;
const HEALTHY_BUDGET_PER_HOUR = HOUR / DEFAULT_WRITE_POLICY.steadyIntervalMs;
const TRANSITION_BUDGET_MS = DEFAULT_WRITE_POLICY.transitionDelayMs;

const FLAKY_SHARE = 0.05;
const FLAKY_DROP_PROBABILITY = 0.03;
const OUTAGE_SHARE = 0.05;
const MEAN_OUTAGE_GAP = 3 * HOUR;
const API_DOWN = { from: START + 12 * HOUR, to: START + 12 * HOUR + 3 * MINUTE };

type Behaviour = 'healthy' | 'flaky' | 'outages';

interface Window {
  from: number;
  to: number;
}

interface SimCheck {
  name: string;
  behaviour: Behaviour;
  outages: Window[];
  status?: CheckStatus;
  scheduledWriteAt?: number;
  /** First failed probe of the current failure streak. */
  streakStart?: number;
  /** Outage opened and not yet written: when its first probe failed. */
  unwrittenOutageStart?: number;
}

type SimEvent =
  | { kind: 'probe'; time: number; check: SimCheck; regular: boolean }
  | { kind: 'result'; time: number; check: SimCheck; result: ProbeResult }
  | { kind: 'write'; time: number; check: SimCheck };

/** mulberry32: a small deterministic PRNG, so runs are comparable. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

class EventQueue {
  private readonly heap: Array<{ event: SimEvent; order: number }> = [];
  private pushed = 0;

  push(event: SimEvent): void {
    this.heap.push({ event, order: this.pushed++ });
    let index = this.heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(index, parent)) break;
      this.swap(index, parent);
      index = parent;
    }
  }

  pop(): SimEvent | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (!top || !last) return undefined;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown();
    }
    return top.event;
  }

  private siftDown(): void {
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < this.heap.length && this.before(left, smallest)) smallest = left;
      if (right < this.heap.length && this.before(right, smallest)) smallest = right;
      if (smallest === index) return;
      this.swap(index, smallest);
      index = smallest;
    }
  }

  private before(a: number, b: number): boolean {
    const [x, y] = [this.heap[a]!, this.heap[b]!];
    return x.event.time < y.event.time || (x.event.time === y.event.time && x.order < y.order);
  }

  private swap(a: number, b: number): void {
    [this.heap[a], this.heap[b]] = [this.heap[b]!, this.heap[a]!];
  }
}

class Metrics {
  readonly writesByBehaviour = new Map<Behaviour, number>();
  steadyHealthyWrites = 0;
  transitions = 0;
  outagesOpened = 0;
  openShiftOutages = 0;
  writesCarryingTransition = 0;
  maxTransitionLatency = 0;
  maxTransitionLatencyDuringApiOutage = 0;
  maxDetectionLatency = 0;
  failedWriteAttempts = 0;
  /** From the API server's return to the first write that got through (bounded by the maximum back-off). */
  apiRecoveryDelay?: number;
  maxPending = 0;
  probes = 0;

  recordWrite(check: SimCheck, time: number, warmUpEnd: number): void {
    this.writesByBehaviour.set(check.behaviour, (this.writesByBehaviour.get(check.behaviour) ?? 0) + 1);
    if (check.behaviour === 'healthy' && time >= warmUpEnd) this.steadyHealthyWrites += 1;
  }

  recordTransitionLatency(transitionAt: number, writtenAt: number): void {
    const latency = writtenAt - transitionAt;
    if (overlapsApiOutage(transitionAt, writtenAt))
      this.maxTransitionLatencyDuringApiOutage = Math.max(this.maxTransitionLatencyDuringApiOutage, latency);
    else this.maxTransitionLatency = Math.max(this.maxTransitionLatency, latency);
  }
}

/** Whether the API server was down at some point between a change and its write. */
function overlapsApiOutage(changedAt: number, writtenAt: number): boolean {
  return changedAt < API_DOWN.to && writtenAt >= API_DOWN.from;
}

function outageWindows(random: () => number, end: number): Window[] {
  const windows: Window[] = [];
  for (
    let from = START - Math.log(1 - random()) * MEAN_OUTAGE_GAP;
    from < end;
    from += -Math.log(1 - random()) * MEAN_OUTAGE_GAP
  ) {
    const to = from + (2 + random() * 8) * MINUTE;
    windows.push({ from, to });
    from = to;
  }
  return windows;
}

function makeChecks(count: number, random: () => number, end: number): SimCheck[] {
  const checks = Array.from({ length: count }, (_, index): SimCheck => {
    const draw = random();
    const behaviour: Behaviour =
      draw < OUTAGE_SHARE ? 'outages' : draw < OUTAGE_SHARE + FLAKY_SHARE ? 'flaky' : 'healthy';
    return { name: `check-${index}`, behaviour, outages: behaviour === 'outages' ? outageWindows(random, end) : [] };
  });
  const unlucky = checks.find((check) => check.behaviour === 'outages');
  if (unlucky)
    unlucky.outages = withWindow(unlucky.outages, {
      from: API_DOWN.from + 30 * SECOND,
      to: API_DOWN.from + 5 * MINUTE,
    });
  return checks;
}

/** Adds `added` (an outage while the API server is down, so the bench sees a delayed transition) over the others. */
function withWindow(windows: Window[], added: Window): Window[] {
  const apart = windows.filter((window) => window.to < added.from - INTERVAL || window.from > added.to + INTERVAL);
  return [...apart, added].sort((a, b) => a.from - b.from);
}

function probe(check: SimCheck, time: number, regular: boolean, random: () => number): ProbeResult {
  const outage = check.outages.find((window) => time >= window.from && time < window.to);
  const label = `${check.name}: `;
  if (outage) {
    // The first half of an outage refuses connections, the second half drops them: a change of failure mode.
    const refusing = time < (outage.from + outage.to) / 2;
    return refusing
      ? {
          time: new Date(time),
          success: false,
          latencyMs: 1.5,
          reason: 'TCPConnectError',
          message: `${label}connect: connection refused`,
          failure: 'refused',
        }
      : {
          time: new Date(time),
          success: false,
          latencyMs: PROBE_TIMEOUT,
          reason: 'TCPConnectError',
          message: `${label}i/o timeout`,
          failure: 'timeout',
        };
  }
  if (check.behaviour === 'flaky' && regular && random() < FLAKY_DROP_PROBABILITY) {
    return {
      time: new Date(time),
      success: false,
      latencyMs: PROBE_TIMEOUT,
      reason: 'TCPConnectError',
      message: `${label}i/o timeout`,
      failure: 'timeout',
    };
  }
  return {
    time: new Date(time),
    success: true,
    latencyMs: 1 + random() * 2,
    reason: 'TCPConnect',
    message: `${label}tcp connection succeeded`,
  };
}

interface Options {
  checks: number;
  hours: number;
  seed: number;
}

function simulate({ checks: checkCount, hours, seed }: Options) {
  const random = randomSource(seed);
  const end = START + hours * HOUR;
  const warmUpEnd = START + HOUR;
  const checks = makeChecks(checkCount, random, end);
  const scheduler = new WriteScheduler(DEFAULT_WRITE_POLICY, equalJitter(random));
  const queue = new EventQueue();
  const metrics = new Metrics();

  for (const check of checks) {
    scheduler.adopt(check.name, {});
    queue.push({ kind: 'probe', time: START + Math.floor(random() * INTERVAL), check, regular: true });
  }

  const scheduleWrite = (check: SimCheck) => {
    const due = scheduler.dueAt(check.name);
    if (due === undefined || (check.scheduledWriteAt !== undefined && check.scheduledWriteAt <= due)) return;
    check.scheduledWriteAt = due;
    queue.push({ kind: 'write', time: due, check });
  };

  const handleResult = (check: SimCheck, result: ProbeResult, now: number) => {
    if (!result.success) check.streakStart ??= result.time.getTime();
    if (!result.success && check.streakStart === result.time.getTime()) metrics.openShiftOutages += 1;
    const outcome = record(check.status, result);
    check.status = outcome.status;
    if (outcome.transition === 'outage-opened') {
      metrics.outagesOpened += 1;
      check.unwrittenOutageStart = check.streakStart;
    }
    if (result.success) delete check.streakStart;
    if (outcome.confirmRetryInMs !== undefined)
      queue.push({ kind: 'probe', time: now + outcome.confirmRetryInMs, check, regular: false });
    const change = scheduler.update(check.name, outcome.status, now);
    if (change === 'transition') metrics.transitions += 1;
    if (change !== 'none') scheduleWrite(check);
  };

  const handleWrite = (check: SimCheck, now: number) => {
    delete check.scheduledWriteAt;
    const due = scheduler.dueAt(check.name);
    if (due === undefined) return;
    if (due > now) return scheduleWrite(check);
    const job = scheduler.beginWrite(check.name, now);
    if (!job) return;
    if (now >= API_DOWN.from && now < API_DOWN.to) {
      metrics.failedWriteAttempts += 1;
      scheduler.writeFailed(check.name, now, 'server');
      return scheduleWrite(check);
    }
    scheduler.writeSucceeded(check.name, now);
    metrics.recordWrite(check, now, warmUpEnd);
    if (now >= API_DOWN.to) metrics.apiRecoveryDelay ??= now - API_DOWN.to;
    if (job.transitionSince !== undefined) {
      metrics.writesCarryingTransition += 1;
      metrics.recordTransitionLatency(job.transitionSince, now);
    }
    if (check.unwrittenOutageStart !== undefined) {
      if (!overlapsApiOutage(check.unwrittenOutageStart, now))
        metrics.maxDetectionLatency = Math.max(metrics.maxDetectionLatency, now - check.unwrittenOutageStart);
      delete check.unwrittenOutageStart;
    }
  };

  for (let event = queue.pop(); event && event.time < end; event = queue.pop()) {
    if (event.kind === 'probe') {
      metrics.probes += 1;
      const result = probe(event.check, event.time, event.regular, random);
      queue.push({ kind: 'result', time: event.time + result.latencyMs, check: event.check, result });
      if (event.regular) queue.push({ kind: 'probe', time: event.time + INTERVAL, check: event.check, regular: true });
    } else if (event.kind === 'result') {
      handleResult(event.check, event.result, event.time);
    } else if (event.time === event.check.scheduledWriteAt) {
      handleWrite(event.check, event.time);
    }
    if (event.time >= API_DOWN.from && event.time < API_DOWN.to + 5 * MINUTE)
      metrics.maxPending = Math.max(metrics.maxPending, scheduler.pendingCount());
  }
  return { checks, metrics, hours };
}

function report({ checks, metrics, hours }: ReturnType<typeof simulate>, wallMs: number): void {
  const count = (behaviour: Behaviour) => checks.filter((check) => check.behaviour === behaviour).length;
  const healthy = count('healthy');
  const totalWrites = [...metrics.writesByBehaviour.values()].reduce((sum, writes) => sum + writes, 0);
  const healthyRate = metrics.steadyHealthyWrites / healthy / (hours - 1);
  const overallRate = totalWrites / checks.length / hours;
  const writesPerTransition = metrics.writesCarryingTransition / Math.max(metrics.transitions, 1);
  const seconds = (ms: number) => `${(ms / SECOND).toFixed(2)} s`;
  const line = (label: string, value: string) => console.log(`  ${label.padEnd(50)} ${value}`);

  console.log(
    `status writes: ${checks.length} checks (${healthy} healthy, ${count('flaky')} dropping single probes, ${count('outages')} with outages), ` +
      `${INTERVAL / SECOND} s interval, ${hours} h virtual, API server down ${(API_DOWN.to - API_DOWN.from) / MINUTE} min at hour 12`,
  );
  line('probes', `${metrics.probes} (${(wallMs / SECOND).toFixed(1)} s wall)`);
  line('writes, all checks', `${totalWrites} = ${overallRate.toFixed(2)} per check per hour`);
  line('writes per healthy check per hour (after 1 h)', healthyRate.toFixed(3));
  const perCheckHour = (behaviour: Behaviour) =>
    ((metrics.writesByBehaviour.get(behaviour) ?? 0) / Math.max(count(behaviour), 1) / hours).toFixed(2);
  line(
    'writes per check per hour (whole run)',
    `healthy ${perCheckHour('healthy')}, dropping ${perCheckHour('flaky')}, outages ${perCheckHour('outages')}`,
  );
  line('transitions (flips, outage open/close, new mode)', String(metrics.transitions));
  line(
    'writes carrying a transition',
    `${metrics.writesCarryingTransition} = ${writesPerTransition.toFixed(3)} per transition`,
  );
  line('max transition -> write', seconds(metrics.maxTransitionLatency));
  line('max transition -> write, API server down', seconds(metrics.maxTransitionLatencyDuringApiOutage));
  line('max first failed probe -> outage written', seconds(metrics.maxDetectionLatency));
  line('outages opened (p2pnc, confirmed)', String(metrics.outagesOpened));
  line('outages OpenShift would open (one per streak)', String(metrics.openShiftOutages));
  line('write attempts while the API server was down', String(metrics.failedWriteAttempts));
  line(
    'first write after the API server came back',
    metrics.apiRecoveryDelay === undefined ? 'n/a' : `+${seconds(metrics.apiRecoveryDelay)}`,
  );
  line('max checks with a status pending (API outage)', `${metrics.maxPending} (one status each)`);
  const vsOpenShift = (rate: number) => `${(rate / OPENSHIFT_WRITES_PER_HOUR).toFixed(2)}x`;
  line(
    'vs OpenShift (~9.2 writes per check per hour)',
    `${vsOpenShift(healthyRate)} healthy, ${vsOpenShift(overallRate)} all`,
  );

  goal(
    healthyRate <= HEALTHY_BUDGET_PER_HOUR + 1e-9,
    `healthy checks write ${healthyRate.toFixed(2)}/h <= ${HEALTHY_BUDGET_PER_HOUR}/h (one per 10 min)`,
  );
  goal(
    metrics.maxTransitionLatency <= TRANSITION_BUDGET_MS,
    `transitions written within ${seconds(TRANSITION_BUDGET_MS)} (max ${seconds(metrics.maxTransitionLatency)})`,
  );
  goal(writesPerTransition <= 1, `at most one write per transition (${writesPerTransition.toFixed(3)})`);
  const floor = `OpenShift's floor of ${OPENSHIFT_WRITES_PER_HOUR.toFixed(1)} writes per check per hour`;
  goal(overallRate < OPENSHIFT_WRITES_PER_HOUR, `below ${floor} (${vsOpenShift(overallRate)})`);
}

const { values } = parseArgs({
  options: {
    checks: { type: 'string', default: '1000' },
    hours: { type: 'string', default: '24' },
    seed: { type: 'string', default: '42' },
  },
});
const started = performance.now();
const outcome = simulate({ checks: Number(values.checks), hours: Number(values.hours), seed: Number(values.seed) });
report(outcome, performance.now() - started);
