/**
 * One operator command of bench:ops in a process of its own, so its peak RSS is its own: reads the list's JSON text
 * (untimed), then times what the command does from that text, calling the same functions as src/cli/commands/*.ts.
 * Prints one JSON line (a WorkerReport).
 *
 *   node --import tsx bench/ops-worker.ts <floor|status|diagnose|report> <list.json> <now (RFC 3339)>
 */
import { readFileSync } from 'node:fs';
import type { KubeClient } from '../src/runtime/kube/client.js';
import type { CheckObject } from '../src/runtime/kube/resources.js';

export const COMMANDS = ['floor', 'status', 'diagnose', 'report'] as const;
export type Command = (typeof COMMANDS)[number];

export interface WorkerReport {
  command: Command;
  ms: number;
  peakRssMiB: number;
  /** Bytes the command prints or writes; for the floor, the checks read. */
  outputBytes: number;
  checks: number;
}

const NAMESPACE = 'p2pnc';

/**
 * What the commands do with the API server's answer: KubeClient.get parses the body (JSON.parse), listChecks sorts
 * the items. A client whose get parses the text runs exactly that code, without a socket.
 */
async function listFromText(text: string): Promise<CheckObject[]> {
  const { listChecks } = await import('../src/ops/cluster-checks.js');
  const client = { get: async () => JSON.parse(text) as unknown } as unknown as KubeClient;
  return listChecks(client, NAMESPACE);
}

/** Each command loads its modules before the clock starts, as the CLI's dynamic imports do before the request. */
async function prepare(
  command: Command,
  now: Date,
): Promise<(text: string) => Promise<{ output: string; checks: number }>> {
  switch (command) {
    case 'floor':
      return async (text) => {
        const list = JSON.parse(text) as { items: unknown[] };
        return { output: '', checks: list.items.length };
      };
    case 'status': {
      const [{ applyFilter, parseFilter }, { toRows }, { renderStatus }, { PLAIN }] = await Promise.all([
        import('../src/ops/filters.js'),
        import('../src/ops/matrix.js'),
        import('../src/ops/render-status.js'),
        import('../src/ops/format.js'),
      ]);
      await import('../src/ops/cluster-checks.js');
      return async (text) => {
        const checks = await listFromText(text);
        const rows = applyFilter(toRows(checks), parseFilter({}));
        return { output: renderStatus({ time: now, rows }, 'table', PLAIN), checks: checks.length };
      };
    }
    case 'diagnose': {
      const [{ diagnose }, { renderDiagnosis }, { PLAIN }] = await Promise.all([
        import('../src/ops/diagnose.js'),
        import('../src/ops/render-findings.js'),
        import('../src/ops/format.js'),
      ]);
      await import('../src/ops/cluster-checks.js');
      return async (text) => {
        const checks = await listFromText(text);
        const diagnosis = diagnose(checks, { now, namespace: NAMESPACE });
        return { output: renderDiagnosis(diagnosis, 'text', PLAIN), checks: checks.length };
      };
    }
    case 'report': {
      const { renderReportHtml } = await import('../src/ops/report-html.js');
      await import('../src/ops/cluster-checks.js');
      return async (text) => {
        const checks = await listFromText(text);
        return { output: renderReportHtml(checks, { now, subject: `namespace ${NAMESPACE}` }), checks: checks.length };
      };
    }
  }
}

async function main(): Promise<void> {
  const [command, file, nowText] = process.argv.slice(2);
  const known = COMMANDS.find((name) => name === command);
  if (!known || !file || !nowText) throw new Error(`usage: ops-worker.ts <${COMMANDS.join('|')}> <list.json> <now>`);
  const run = await prepare(known, new Date(nowText));
  const text = readFileSync(file, 'utf8');
  const start = performance.now();
  const { output, checks } = await run(text);
  const ms = performance.now() - start;
  const report: WorkerReport = {
    command: known,
    ms,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    outputBytes: known === 'floor' ? 0 : Buffer.byteLength(output),
    checks,
  };
  console.log(JSON.stringify(report));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
