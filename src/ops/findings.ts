/** What `p2pnc diagnose` reports: findings with their culprit, evidence and next commands, and the exit code they give. */
import type { FailureKind } from './classify.js';

/** critical: a path is down; warning: redundancy lost on one node or part of the checks cannot be trusted. */
export type Severity = 'critical' | 'warning';

/** low: the evidence fits the culprit but another explanation is not ruled out (the summary says which). */
export type Confidence = 'high' | 'low';

export type RuleId =
  | 'no-checks'
  | 'source-not-probing'
  | 'invalid-check'
  | 'source-side'
  | 'dns'
  | 'node-unreachable'
  | 'pod-network'
  | 'control-plane-path'
  | 'target-everywhere'
  | 'target-on-node'
  | 'path'
  | 'load-balancer'
  | 'service-proxying'
  | 'loss'
  | 'check-failing';

export interface Evidence {
  check: string;
  /**
   * failing / answering: the check's latest result; lossy: failures interleaved with successes; silent: no recent
   * result, or its source is quiet; never-probed; invalid: malformed check.
   */
  state: 'failing' | 'answering' | 'lossy' | 'silent' | 'never-probed' | 'invalid';
  /** RFC 3339: since when it fails (the first failure), answers (the last flip), or was last probed / created. */
  since?: string;
  kind?: FailureKind;
  message?: string;
}

/** A source whose results bear on a finding, and what they say. */
export interface Observer {
  /** `mesh on worker-1`, or a Deployment's name. */
  source: string;
  /** The node it runs on, when known. */
  node?: string;
  stance: 'supports' | 'contradicts';
  /** `3 checks failing`, `2 checks answering`, `quiet since ...`. */
  says: string;
}

export interface Finding {
  severity: Severity;
  rule: RuleId;
  culprit: string;
  confidence: Confidence;
  summary: string;
  /** The earliest `since` of the failing evidence. */
  since?: string;
  evidence: Evidence[];
  /** The sources whose results back the finding and those that argue against it. */
  observers?: Observer[];
  next: string[];
}

export interface CheckCounts {
  total: number;
  answering: number;
  failing: number;
  /** Probed once, but not within the silence window. */
  silent: number;
  /** Never probed yet. */
  pending: number;
  invalid: number;
}

export interface Diagnosis {
  time: string;
  namespace: string;
  checks: CheckCounts;
  findings: Finding[];
}

/** Exit codes of `p2pnc diagnose`: 1 and 2 stay the CLI's error and usage codes. */
export const EXIT_HEALTHY = 0;
export const EXIT_WARNING = 3;
export const EXIT_CRITICAL = 4;

export function exitCodeFor(findings: readonly Finding[]): number {
  if (findings.some((finding) => finding.severity === 'critical')) return EXIT_CRITICAL;
  if (findings.length > 0) return EXIT_WARNING;
  return EXIT_HEALTHY;
}

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1 };

/** Most severe first; within a severity, high confidence first, then the order the rules ran in. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return findings
    .map((finding, index) => ({ finding, index }))
    .sort(
      (a, b) =>
        SEVERITY_ORDER[a.finding.severity] - SEVERITY_ORDER[b.finding.severity] ||
        Number(a.finding.confidence === 'low') - Number(b.finding.confidence === 'low') ||
        a.index - b.index,
    )
    .map(({ finding }) => finding);
}
