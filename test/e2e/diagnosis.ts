/**
 * `p2pnc diagnose -o json` as a real process with the admin kubeconfig, reading what the bed's sources wrote: what
 * an operator runs during an outage. While a fault is active its findings are asserted one by one (culprit, rule,
 * severity, confidence, the failing checks with their open outage and message) with the exit code; once everything
 * is healed it must find nothing.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Outage } from '../../src/api/check.js';
import type { Diagnosis, Finding } from '../../src/ops/findings.js';
import { eventually, startCli } from '../helpers/process.js';
import { NAMESPACE, type NetnsCluster } from './netns-cluster.js';

export interface ExpectedFinding {
  severity: Finding['severity'];
  rule: Finding['rule'];
  confidence: Finding['confidence'];
  culprit: string;
  /** The checks its failing evidence lists, exactly. */
  failing: string[];
}

export interface ExpectedDiagnosis {
  /** The CLI's documented exit code: 4 with a critical finding, 3 with warnings only. */
  exitCode: 3 | 4;
  /** Every finding, in the order diagnose ranks them (the first is the top culprit). */
  findings: ExpectedFinding[];
}

export interface ActiveFault {
  label: string;
  /** The checks the fault breaks, with the failure message each must show. */
  checks: { name: string; failure: { message: string } }[];
  /** Each broken check's open outage, as the outage cycle saw it. */
  outages: ReadonlyMap<string, Outage>;
}

interface DiagnoseRun {
  code: number | null;
  diagnosis: Diagnosis;
}

type Reporter = { diagnostic(message: string): void };

export async function runDiagnose(bed: NetnsCluster): Promise<DiagnoseRun> {
  const run = startCli(['diagnose', '-o', 'json', '-n', NAMESPACE, '--kubeconfig', bed.cluster.kubeconfig], {
    NO_COLOR: '',
    FORCE_COLOR: '',
  });
  let stdout = '';
  run.child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const [code] = (await once(run.child, 'close')) as [number | null];
  let diagnosis: Diagnosis;
  try {
    diagnosis = JSON.parse(stdout) as Diagnosis;
  } catch {
    throw new Error(`p2pnc diagnose exited ${code} without a JSON diagnosis:\n${run.output()}`);
  }
  assert.equal(run.output(), stdout, 'p2pnc diagnose writes nothing to stderr');
  return { code, diagnosis };
}

const headline = (finding: Pick<Finding, 'severity' | 'rule' | 'confidence' | 'culprit'>) =>
  `${finding.severity} ${finding.rule} ${finding.confidence}: ${finding.culprit}`;

/** Runs diagnose while the fault lasts, prints each finding's line and summary, and asserts them. */
export async function assertDiagnosedDuring(
  t: Reporter,
  bed: NetnsCluster,
  fault: ActiveFault,
  expected: ExpectedDiagnosis,
): Promise<void> {
  const { code, diagnosis } = await runDiagnose(bed);
  for (const finding of diagnosis.findings)
    t.diagnostic(
      `${fault.label}: diagnose exit ${code}: ${finding.severity.toUpperCase()} ${finding.rule} (${finding.confidence} confidence): ${finding.culprit} -- ${finding.summary}`,
    );

  const context = JSON.stringify(diagnosis.findings, null, 2);
  assert.deepEqual(diagnosis.findings.map(headline), expected.findings.map(headline), context);
  assert.equal(code, expected.exitCode, context);

  const broken = new Map(fault.checks.map(({ name, failure }) => [name, failure.message]));
  diagnosis.findings.forEach((finding, index) => {
    const failing = finding.evidence.filter((entry) => entry.state === 'failing');
    assert.deepEqual(
      failing.map((entry) => entry.check).sort(),
      [...expected.findings[index]!.failing].sort(),
      `${finding.culprit}: the failing checks in its evidence`,
    );
    for (const entry of failing) {
      assert.equal(
        entry.since,
        fault.outages.get(entry.check)!.start,
        `${entry.check}: failing since its outage began`,
      );
      assert.equal(entry.message, broken.get(entry.check), `${entry.check}: the failure the source wrote`);
    }
    for (const entry of finding.evidence.filter((candidate) => candidate.state !== 'failing')) {
      assert.ok(
        entry.state === 'answering' && !broken.has(entry.check),
        `${finding.culprit}: contrast evidence must be a check that answers: ${JSON.stringify(entry)}`,
      );
    }
    assert.equal(
      finding.since,
      failing.map((entry) => entry.since!).sort()[0],
      `${finding.culprit}: since its first failure`,
    );
    assert.ok(finding.next.length > 0, `${finding.culprit}: commands to run next`);
  });
  const total = bed.checkNames.length;
  assert.deepEqual(diagnosis.checks, {
    total,
    answering: total - broken.size,
    failing: broken.size,
    silent: 0,
    pending: 0,
    invalid: 0,
  });
}

/** Once every fault is healed: no findings, exit 0. Polls while the last checks turn green; returns the runs it took. */
export async function assertHealthyDiagnosis(bed: NetnsCluster): Promise<number> {
  let runs = 0;
  const { code, diagnosis } = await eventually(
    async () => {
      runs++;
      const run = await runDiagnose(bed);
      if (run.code === 0) return run;
      throw new Error(`exit ${run.code}: ${run.diagnosis.findings.map(headline).join('; ')}`);
    },
    30_000,
    'p2pnc diagnose to find nothing after healing',
  );
  assert.equal(code, 0);
  assert.deepEqual(diagnosis.findings, []);
  const total = bed.checkNames.length;
  assert.deepEqual(diagnosis.checks, { total, answering: total, failing: 0, silent: 0, pending: 0, invalid: 0 });
  return runs;
}
