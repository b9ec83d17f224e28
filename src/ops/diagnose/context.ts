/**
 * What every diagnose rule reads: the rows sorted into live and quiet, the sources' liveness from their heartbeats,
 * the row index, which rows and sources earlier rules explained, and the evidence and observer records findings
 * carry. Rules never change it; the pipeline (../diagnose.ts) records what each rule explains.
 */
import { livenessOf, type SourceHeartbeat } from '../../api/heartbeat.js';
import { DEFAULT_LOSS_POLICY } from '../../runtime/status/loss.js';
import { formatTime } from '../../runtime/status/time.js';
import type { Evidence, Finding, Observer } from '../findings.js';
import { describeSource, sourceKey, type CheckRow, type SourceRef } from '../matrix.js';
import { RowIndex } from '../row-index.js';
import { backendsOf, earliest, plural } from './text.js';

export interface DiagnoseOptions {
  now: Date;
  /** Namespace of the checks, used in the next commands. @default p2pnc */
  namespace?: string;
  /**
   * A check whose newest result is older than this is silent. @default the larger of 20 minutes, 3 intervals, and its
   * refresh interval (spec.refreshInterval, 10m by default) plus 2 intervals: a healthy check's status is written only
   * once per refresh interval, so younger results are current.
   */
  silentAfterMs?: number;
  /**
   * The sources' heartbeat Leases. A source whose heartbeat is stale is quiet at once, whatever its results' age, and
   * none of its results count as evidence. A source without one is judged by its results' age alone.
   * @default none
   */
  heartbeats?: readonly SourceHeartbeat[];
}

/** What a rule found: the finding, the failing rows it explains, and the quiet sources it explains (by key). */
export interface RuleFinding {
  finding: Finding;
  explains: readonly CheckRow[];
  explainsSources?: readonly string[];
  /** Sources whose failures this finding puts on their own side: later rules do not count them as observers. */
  ownSide?: readonly string[];
}

/** A front whose backends' finding also explains it: added to that finding, with a sentence, by the pipeline. */
export interface FollowerJoin {
  finding: Finding;
  rows: readonly CheckRow[];
  sentence: string;
}

export type QuietState = 'silent' | 'never-probed' | 'source-quiet';

export interface SourceState {
  source: SourceRef;
  liveness?: { state: 'alive' | 'quiet'; since: Date | undefined; holder?: string };
  /** The node its pod runs on: the source's own node, or for a Deployment what its heartbeat records. */
  runsOn?: string;
}

const SILENCE_FLOOR_MS = 20 * 60_000;
/**
 * Failures in a row that loss hardly makes by chance (30 % loss: 0.3^8, under 1 in 10,000): the most a source asks
 * of a Degraded check before it opens an outage.
 */
const LOSS_STREAK_LIMIT = DEFAULT_LOSS_POLICY.maxConfirmFailures;
export const CONTRAST_EVIDENCE = 3;

export class DiagnoseContext {
  readonly namespace: string;
  readonly now: Date;
  readonly live: CheckRow[] = [];
  readonly quiet = new Map<CheckRow, QuietState>();
  readonly index: RowIndex;
  readonly sources = new Map<string, SourceState>();
  /** Which finding explains each failing row, and each quiet source (by key). */
  readonly explainedBy = new Map<CheckRow, Finding>();
  readonly explainedSources = new Map<string, Finding>();
  /** Sources whose failures are their own side's fault (source-side findings, isolated sources of a down node). */
  readonly ownSideSources = new Set<string>();
  pending = 0;
  private answeringRows?: CheckRow[];
  private readonly answeringOfTarget = new Map<
    string,
    { rows: CheckRow[]; perNode: Map<string | undefined, number> }
  >();
  private readonly reachesOutMemo = new Map<string, boolean>();
  private sourcesByNode?: Map<string, string[]>;
  private lossyNodeSet?: Set<string>;

  constructor(
    readonly rows: readonly CheckRow[],
    options: DiagnoseOptions,
  ) {
    this.namespace = options.namespace ?? 'p2pnc';
    this.now = options.now;
    const beats = new Map<string, SourceHeartbeat>();
    for (const beat of options.heartbeats ?? []) beats.set(sourceKey({ name: beat.source, node: beat.node }), beat);
    for (const row of rows) {
      const key = sourceKey(row.source);
      if (this.sources.has(key)) continue;
      const beat = beats.get(key);
      const state: SourceState = { source: row.source };
      if (beat) {
        const liveness = livenessOf(beat, options.now);
        state.liveness = { ...liveness, ...(beat.holder ? { holder: beat.holder } : {}) };
      }
      const runsOn = row.source.node ?? beat?.runningOn;
      if (runsOn) state.runsOn = runsOn;
      this.sources.set(key, state);
    }
    for (const row of rows) {
      // A healthy check is written once per refresh interval: its newest stored result may be that old, plus a probe.
      const silence =
        options.silentAfterMs ?? Math.max(SILENCE_FLOOR_MS, 3 * row.intervalMs, row.refreshMs + 2 * row.intervalMs);
      const age = (time: Date | undefined) => (time ? this.now.getTime() - time.getTime() : Number.POSITIVE_INFINITY);
      if (this.sourceOf(row).liveness?.state === 'quiet') this.quiet.set(row, 'source-quiet');
      else if (!row.lastProbe) {
        if (age(row.createdAt) > silence) this.quiet.set(row, 'never-probed');
        else this.pending++;
      } else if (row.state === 'stale' || age(row.lastProbe.time) > silence) this.quiet.set(row, 'silent');
      else this.live.push(row);
    }
    this.index = new RowIndex(this.live);
  }

  sourceOf(row: CheckRow): SourceState {
    return this.sources.get(sourceKey(row.source))!;
  }

  /** The node a row's source runs on, when known. */
  runsOn(row: CheckRow): string | undefined {
    return this.sourceOf(row).runsOn;
  }

  /** A probe from a node to a target on the same node tests that node's own stack, and answers with its link down. */
  isSelf(row: CheckRow): boolean {
    const node = this.runsOn(row);
    return node !== undefined && node === row.target.node;
  }

  /**
   * Intermittent rows are loss, not outage: neither failing nor proof of a clean path. The source says so with its
   * Degraded condition; a status without one (an older source) is read from its logs (loss.ts). A check of a target on
   * a node whose link is lossy, in a short streak of failures, is loss too: a single-observer target there (a ping from
   * one source) would otherwise read as down one run and as loss the next. A streak loss alone hardly makes
   * (LOSS_STREAK_LIMIT) is an outage, whatever the loss around it.
   */
  isLossy(row: CheckRow): boolean {
    return this.ownLoss(row) || (this.inShortStreak(row) && this.touchesLossyNode(row));
  }

  /** The nodes whose link shows loss: seen by two or more sources, or by one and the node's own source. */
  lossyNodes(): ReadonlySet<string> {
    if (this.lossyNodeSet) return this.lossyNodeSet;
    const lossy = this.live.filter((row) => this.ownLoss(row) && !this.isSelf(row));
    const nodes = new Set<string>();
    const inbound = new Map<string, Set<string>>();
    for (const row of lossy) {
      if (!row.target.node) continue;
      const observers = inbound.get(row.target.node) ?? new Set<string>();
      observers.add(sourceKey(row.source));
      inbound.set(row.target.node, observers);
    }
    const lossySources = new Set(lossy.map((row) => sourceKey(row.source)));
    for (const [node, observers] of inbound)
      if (observers.size >= 2 || this.sourcesOn(node).some((key) => lossySources.has(key))) nodes.add(node);
    this.lossyNodeSet = nodes;
    return nodes;
  }

  /** Only checks of a target on the lossy node: its own sources' checks of Services and endpoints elsewhere fail for reasons of their own. */
  private touchesLossyNode(row: CheckRow): boolean {
    return row.target.node !== undefined && !this.isSelf(row) && this.lossyNodes().has(row.target.node);
  }

  /** Failing, but fewer times in a row than loss alone could explain. */
  private inShortStreak(row: CheckRow): boolean {
    return row.state !== 'invalid' && row.failureStreak > 0 && row.failureStreak < LOSS_STREAK_LIMIT;
  }

  /** Loss the row's own status shows. */
  private ownLoss(row: CheckRow): boolean {
    if (row.state === 'invalid' || row.failureStreak >= LOSS_STREAK_LIMIT) return false;
    // The source's own judgement (Degraded) counts while an outage is open. The logs alone never turn an outage the
    // source confirmed into loss: short failure runs before it cannot tell a lossy path from a new fault after older
    // blips (the real node's Service check, broken after earlier phases of its test had made it flap, read as loss).
    // Loss on a node's link, seen by several observers, is the other way (touchesLossyNode).
    if (row.degraded !== undefined) return true;
    return row.loss !== undefined && row.state !== 'unreachable';
  }

  isFailing(row: CheckRow): boolean {
    return (row.state === 'unreachable' || row.state === 'unknown') && !this.isLossy(row);
  }

  isAnswering(row: CheckRow): boolean {
    return row.state === 'reachable' && row.lastProbe?.success === true && !this.isLossy(row);
  }

  /** Packets get through: answering, or intermittently. */
  getsThrough(row: CheckRow): boolean {
    return this.isAnswering(row) || (this.isLossy(row) && row.state !== 'invalid');
  }

  unexplainedFailing(): CheckRow[] {
    return this.live.filter((row) => this.isFailing(row) && !this.explainedBy.has(row));
  }

  /** Live checks of per-node targets from other nodes, leaving out sources whose failures are their own side's. */
  nodeRows(): CheckRow[] {
    return this.live.filter(
      (row) =>
        row.target.node &&
        row.state !== 'invalid' &&
        !this.isSelf(row) &&
        !this.ownSideSources.has(sourceKey(row.source)),
    );
  }

  /** A live source whose probes get through to something off its own node: the node it runs on is up and linked. */
  reachesOut(key: string): boolean {
    let known = this.reachesOutMemo.get(key);
    if (known === undefined) {
      known = this.index
        .ofSource(key)
        .some((row) => row.target.node !== undefined && !this.isSelf(row) && this.getsThrough(row));
      this.reachesOutMemo.set(key, known);
    }
    return known;
  }

  /** The sources that run on a node (per-node sources there, Deployments whose heartbeat names it). */
  sourcesOn(node: string): string[] {
    if (!this.sourcesByNode) {
      this.sourcesByNode = new Map();
      for (const [key, state] of this.sources) {
        if (state.runsOn === undefined) continue;
        const keys = this.sourcesByNode.get(state.runsOn);
        if (keys) keys.push(key);
        else this.sourcesByNode.set(state.runsOn, [key]);
      }
    }
    return this.sourcesByNode.get(node) ?? [];
  }

  /** The backends' checks from the front's own source (Service proxying happens on the client's node). */
  backendRows(front: CheckRow): CheckRow[] {
    const backends = backendsOf(front);
    const key = sourceKey(front.source);
    return this.index
      .ofSource(key)
      .filter(
        (row) =>
          row !== front &&
          row.target.name === backends &&
          (row.target.node || front.target.kind !== 'p2pnc-target') &&
          row.state !== 'invalid',
      );
  }

  /** Answering checks of other sources than `key`: how many, and the first few, those of `targets` first. */
  answeringOutside(key: string, targets: ReadonlySet<string>): { count: number; contrast: CheckRow[] } {
    this.answeringRows ??= this.live.filter((row) => this.isAnswering(row));
    const own = this.index.ofSource(key).filter((row) => this.isAnswering(row)).length;
    const same: CheckRow[] = [];
    const other: CheckRow[] = [];
    for (const row of this.answeringRows) {
      if (same.length === CONTRAST_EVIDENCE) break;
      if (sourceKey(row.source) === key) continue;
      if (targets.has(row.target.name)) same.push(row);
      else if (other.length < CONTRAST_EVIDENCE) other.push(row);
    }
    return { count: this.answeringRows.length - own, contrast: [...same, ...other].slice(0, CONTRAST_EVIDENCE) };
  }

  /**
   * A target's answering checks on other nodes than `node` (self-probes left out): on how many nodes, and the first
   * few in matrix order. Counted once per target, not once per node.
   */
  answeringElsewhere(target: string, node: string): { nodes: number; first: CheckRow[] } {
    let answering = this.answeringOfTarget.get(target);
    if (!answering) {
      // Node rows only: the target's Service check has no node and says nothing about any one node.
      const rows = this.index
        .ofTarget(target)
        .filter((row) => row.target.node !== undefined && !this.isSelf(row) && this.isAnswering(row));
      const perNode = new Map<string | undefined, number>();
      for (const row of rows) perNode.set(row.target.node, (perNode.get(row.target.node) ?? 0) + 1);
      answering = { rows, perNode };
      this.answeringOfTarget.set(target, answering);
    }
    const first: CheckRow[] = [];
    for (const row of answering.rows) {
      if (first.length === CONTRAST_EVIDENCE) break;
      if (row.target.node !== node) first.push(row);
    }
    return { nodes: answering.perNode.size - (answering.perNode.has(node) ? 1 : 0), first };
  }

  // ---- evidence and observers -----------------------------------------------------------------------------------

  failingEvidence(row: CheckRow): Evidence {
    const evidence: Evidence = { check: row.check, state: 'failing' };
    const since = row.failingSince ?? row.lastFailure?.time;
    if (since) evidence.since = formatTime(since);
    if (row.lastFailure) {
      evidence.kind = row.lastFailure.kind;
      evidence.message = row.lastFailure.message;
    }
    return evidence;
  }

  answeringEvidence(row: CheckRow): Evidence {
    const evidence: Evidence = { check: row.check, state: 'answering' };
    const since = row.changedAt ?? row.lastSuccess?.time;
    if (since) evidence.since = formatTime(since);
    if (row.lastSuccess) evidence.message = row.lastSuccess.message;
    return evidence;
  }

  lossyEvidence(row: CheckRow): Evidence {
    const loss = row.loss;
    const evidence: Evidence = {
      check: row.check,
      state: 'lossy',
      message: loss
        ? `${loss.failures} of its last ${loss.probes} probes failed (${loss.percent}%)`
        : row.degraded
          ? `Degraded: about ${row.degraded.percent ?? '?'}% of its recent probes fail`
          : `${plural(row.failureStreak, 'failure')} in a row, on a path through a node whose link loses packets`,
    };
    const since = row.degraded?.since ?? row.lastFailure?.time;
    if (since) evidence.since = formatTime(since);
    if (row.lastFailure) evidence.kind = row.lastFailure.kind;
    return evidence;
  }

  invalidEvidence(row: CheckRow): Evidence {
    return { ...this.failingEvidence(row), state: 'invalid' };
  }

  quietEvidence(row: CheckRow): Evidence {
    const state = this.quiet.get(row)!;
    if (state === 'source-quiet') {
      const since = this.sourceOf(row).liveness?.since;
      return {
        check: row.check,
        state: 'silent',
        ...(since ? { since: formatTime(since) } : {}),
        message: `its source is quiet: heartbeat ${since ? `last renewed ${formatTime(since)}` : 'never renewed'}; its results do not count`,
      };
    }
    if (state === 'never-probed') {
      return {
        check: row.check,
        state,
        ...(row.createdAt ? { since: formatTime(row.createdAt) } : {}),
        message: 'never probed since the check was created',
      };
    }
    const last = row.lastProbe!.time;
    return {
      check: row.check,
      state,
      since: formatTime(last),
      message:
        row.state === 'stale'
          ? `marked Stale: no probe since ${formatTime(last)}`
          : `no result since ${formatTime(last)}`,
    };
  }

  /**
   * Who backs a finding and who argues against it: each source once, with what its checks in the finding say.
   * `supporting` rows are evidence for it (failures it explains, answers that rule other culprits out); `contradicting`
   * rows point elsewhere (a lower confidence says so).
   */
  observers(
    supporting: readonly CheckRow[],
    contradicting: readonly CheckRow[] = [],
    quietSources: readonly string[] = [],
  ): Observer[] {
    const notes: Observer[] = [];
    const add = (rows: readonly CheckRow[], stance: Observer['stance']) => {
      const bySource = new Map<string, CheckRow[]>();
      for (const row of rows) {
        const key = sourceKey(row.source);
        const group = bySource.get(key);
        if (group) group.push(row);
        else bySource.set(key, [row]);
      }
      for (const [key, group] of bySource) {
        const state = this.sources.get(key);
        const failing = group.filter((row) => this.isFailing(row) || row.state === 'invalid').length;
        const lossy = group.filter((row) => this.isLossy(row)).length;
        const answering = group.length - failing - lossy;
        const says = [
          failing > 0 ? `${plural(failing, 'check')} failing` : '',
          lossy > 0 ? `${plural(lossy, 'check')} with loss` : '',
          answering > 0 ? `${plural(answering, 'check')} answering` : '',
        ].filter(Boolean);
        notes.push({
          source: describeSource(group[0]!.source),
          ...(state?.runsOn ? { node: state.runsOn } : {}),
          stance,
          says: says.join(', '),
        });
      }
    };
    add(supporting, 'supports');
    for (const key of quietSources) {
      const state = this.sources.get(key);
      if (!state) continue;
      const since = state.liveness?.since;
      notes.push({
        source: describeSource(state.source),
        ...(state.runsOn ? { node: state.runsOn } : {}),
        stance: 'supports',
        says:
          state.liveness?.state === 'quiet'
            ? `quiet${since ? ` since ${formatTime(since)}` : ''}: heartbeat not renewed`
            : 'no recent results',
      });
    }
    add(contradicting, 'contradicts');
    return notes;
  }

  /** A finding with its `since`: the earliest start among its failing and invalid evidence. */
  finding(finding: Omit<Finding, 'since'>): Finding {
    const since = earliest(
      finding.evidence
        .filter((entry) => entry.state === 'failing' || entry.state === 'invalid' || entry.state === 'lossy')
        .map((entry) => entry.since),
    );
    return {
      severity: finding.severity,
      rule: finding.rule,
      culprit: finding.culprit,
      confidence: finding.confidence,
      summary: finding.summary,
      ...(since ? { since } : {}),
      evidence: finding.evidence,
      ...(finding.observers && finding.observers.length > 0 ? { observers: finding.observers } : {}),
      next: finding.next,
    };
  }
}
