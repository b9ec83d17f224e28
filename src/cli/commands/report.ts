/** `p2pnc report --html FILE`: the check matrix and outage timelines as one self-contained HTML page. */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { addClusterOptions, addFromFileOption, readMappedFrom, type CheckSourceOptions } from '../cluster-options.js';
import { UsageError, UserError } from '../../util/errors.js';
import { addExamples } from '../help.js';

interface ReportOptions extends CheckSourceOptions {
  html: string;
}

export function registerReportCommand(program: Command): void {
  const command = addClusterOptions(
    addFromFileOption(
      program
        .command('report')
        .description(
          'Write an HTML report: the source x target matrix by state and latency, and an outage timeline per check',
        )
        .requiredOption('--html <file>', 'write the report to this file (replaced if it exists)'),
    ),
  ).action(async (options: ReportOptions, self: Command) => {
    checkOutputPath(options.html);
    // Loaded on demand: other commands never pay for the renderer or the file parser.
    const [{ renderReport }, { checkTimeline, reportOfTimelines }, { writeFileAtomic }, heartbeatReader] =
      await Promise.all([
        import('../../ops/report-html.js'),
        import('../../ops/report-model.js'),
        import('../../util/write-file.js'),
        import('../../ops/heartbeats.js'),
      ]);
    const heartbeatsRead = heartbeatReader.readHeartbeatsAlongside(options);
    // Each check kept as its timeline (row and retained results), not as the whole object.
    const { items: timelines, now } = await readMappedFrom(options, self, checkTimeline);
    const subject =
      options.fromFile ?? `namespace ${options.namespace}${options.context ? ` (context ${options.context})` : ''}`;
    const report = reportOfTimelines(timelines, now);
    const { heartbeats, unreadable } = await heartbeatsRead;
    if (unreadable) process.stderr.write(`note: ${unreadable}; quiet sources are not shown\n`);
    const rows = report.timelines.map((timeline) => timeline.row);
    const sources = heartbeatReader.sourceLiveness(rows, heartbeats, now);
    const html = renderReport(report, { now, subject, sources });
    try {
      writeFileAtomic(options.html, html, { overwrite: true });
    } catch (error) {
      throw new UserError(`cannot write ${options.html}: ${writeFailure(error as NodeJS.ErrnoException)}`);
    }
    process.stdout.write(
      `wrote ${options.html}: ${rows.length} check${rows.length === 1 ? '' : 's'}; open it in a browser\n`,
    );
  });
  addExamples(command, [
    'p2pnc report --html report.html                           # the checks of the current context',
    'p2pnc report --html prod.html --context prod -n p2pnc',
    'p2pnc report --html saved.html --from-file pncc.json      # saved checks (kubectl get pncc -o json)',
  ]);
}

/** Refuses a path that cannot take the report before the checks are read, so the user learns it at once. */
function checkOutputPath(path: string): void {
  if (path === '' || path.endsWith('/'))
    throw new UsageError(`--html needs a file name, such as report.html; got "${path}"`);
  if (kindOf(path) === 'directory')
    throw new UsageError(`--html ${path} is a directory; give a file name such as ${path}/report.html`);
  const parent = dirname(resolve(path));
  const parentKind = kindOf(parent);
  if (parentKind !== 'directory')
    throw new UsageError(
      `--html ${path}: ${parent} ${parentKind === 'missing' ? 'does not exist; create it first' : 'is not a directory'}`,
    );
}

function writeFailure(error: NodeJS.ErrnoException): string {
  if (error.code === 'EACCES' || error.code === 'EPERM') return 'permission denied';
  if (error.code === 'ENOSPC') return 'no space left on the device';
  if (error.code === 'EROFS') return 'read-only file system';
  return error.message;
}

function kindOf(path: string): 'directory' | 'file' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'file';
  } catch {
    return 'missing';
  }
}
