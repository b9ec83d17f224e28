/** `p2pnc diagnose` output: readable text (`-o text`) or the diagnosis as a document (`-o json`, `-o yaml`). */
import { stringify } from 'yaml';
import { withoutLabel } from './classify.js';
import type { Diagnosis, Evidence, Finding } from './findings.js';
import { age, type Palette, type Tone } from './format.js';

export type DiagnoseFormat = 'text' | 'json' | 'yaml';

/** Evidence lines shown per finding in text; -o json and -o yaml list all. */
const EVIDENCE_SHOWN = 8;
const WRAP = 100;
/** Observer lines shown per stance in text. */
const OBSERVERS_SHOWN = 4;

export function renderDiagnosis(diagnosis: Diagnosis, format: DiagnoseFormat, palette: Palette): string {
  switch (format) {
    case 'text':
      return renderText(diagnosis, palette);
    case 'json':
      return `${JSON.stringify(diagnosis, null, 2)}\n`;
    case 'yaml':
      return stringify(diagnosis, { lineWidth: 0 });
  }
}

const SEVERITY_TONES: Record<Finding['severity'], Tone> = { critical: 'bad', warning: 'warn' };
const EVIDENCE_LABELS: Record<Evidence['state'], { text: string; tone: Tone }> = {
  failing: { text: 'FAIL', tone: 'bad' },
  answering: { text: 'OK', tone: 'good' },
  lossy: { text: 'LOSSY', tone: 'warn' },
  silent: { text: 'SILENT', tone: 'warn' },
  'never-probed': { text: 'NEVER', tone: 'warn' },
  invalid: { text: 'INVALID', tone: 'bad' },
};

function renderText(diagnosis: Diagnosis, palette: Palette): string {
  const now = Date.parse(diagnosis.time);
  const when = (time: string | undefined) => (time ? `${time} (${age(now - Date.parse(time))} ago)` : '');
  const blocks = diagnosis.findings.map((finding) => {
    const lines: string[] = [];
    const severity = palette.paint(finding.severity.toUpperCase().padEnd(8), SEVERITY_TONES[finding.severity]);
    lines.push(
      `${severity}  ${palette.paint(finding.culprit, 'bold')}${finding.confidence === 'low' ? palette.paint('   (low confidence)', 'dim') : ''}`,
    );
    for (const line of wrap(finding.summary, WRAP - 2)) lines.push(`  ${line}`);
    if (finding.since) lines.push(`  since ${when(finding.since)}`);
    if (finding.evidence.length > 0) lines.push('  evidence:');
    const width = Math.max(...finding.evidence.slice(0, EVIDENCE_SHOWN).map((entry) => entry.check.length));
    for (const entry of finding.evidence.slice(0, EVIDENCE_SHOWN)) {
      const label = EVIDENCE_LABELS[entry.state];
      const detail =
        entry.state === 'answering'
          ? `answering since ${entry.since ?? '?'}`
          : `${entry.since ? `since ${entry.since}: ` : ''}${withoutLabel(entry.message)}`;
      lines.push(`    ${palette.paint(label.text.padEnd(7), label.tone)} ${entry.check.padEnd(width)}   ${detail}`);
    }
    const hidden = finding.evidence.length - EVIDENCE_SHOWN;
    if (hidden > 0) lines.push(`    ... and ${hidden} more (-o json lists all)`);
    const observers = finding.observers ?? [];
    for (const stance of ['supports', 'contradicts'] as const) {
      const group = observers.filter((observer) => observer.stance === stance);
      if (group.length === 0) continue;
      const shown = group
        .slice(0, OBSERVERS_SHOWN)
        .map(
          (observer) =>
            `${observer.source}${observer.node && !observer.source.endsWith(` on ${observer.node}`) ? ` (on ${observer.node})` : ''}: ${observer.says}`,
        );
      if (group.length > OBSERVERS_SHOWN) shown.push(`and ${group.length - OBSERVERS_SHOWN} more`);
      lines.push(`  ${stance === 'supports' ? 'supported by' : 'contradicted by'}:`);
      for (const text of shown) lines.push(`    ${text}`);
    }
    lines.push('  next:');
    for (const command of finding.next) lines.push(`    ${command}`);
    return lines.map((line) => `${line}\n`).join('');
  });
  return `${blocks.join('\n')}${blocks.length > 0 ? '\n' : ''}${summaryLine(diagnosis)}\n`;
}

export function summaryLine(diagnosis: Diagnosis): string {
  const { checks, findings } = diagnosis;
  const counts = `${checks.total} checks: ${checks.answering} answering, ${checks.failing} failing, ${checks.silent} silent, ${checks.pending} pending, ${checks.invalid} invalid`;
  if (findings.length === 0) return `No findings in namespace ${diagnosis.namespace} (${counts}).`;
  const critical = findings.filter((finding) => finding.severity === 'critical').length;
  return `${findings.length} finding${findings.length === 1 ? '' : 's'} (${critical} critical, ${findings.length - critical} warning) in namespace ${diagnosis.namespace} (${counts}).`;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}
