/** `p2pnc target --port 8080`: the responder the target DaemonSet runs on every node, until SIGTERM or SIGINT. */
import { type Command, InvalidArgumentError } from 'commander';
import { envOption } from '../env-options.js';
import { type LogWriter, logLine, nextStopSignal, startTarget } from '../../runtime/target/index.js';
import { parseDuration } from '../../api/duration.js';
import { UserError } from '../../util/errors.js';
import { addExamples } from '../help.js';

interface TargetCommandOptions {
  port: number;
  host: string;
  maxConnections: number;
  shutdownGrace: number;
}

export function registerTargetCommand(program: Command, write?: LogWriter): void {
  const command = program
    .command('target')
    .description('Answer probes: any TCP connect succeeds; GET / and /healthz return the node and pod names')
    .addOption(
      envOption('--port <port>', 'port to listen on (0 picks a free one, printed in the start log line)')
        .argParser(parsePort)
        .default(8080),
    )
    .addOption(
      envOption(
        '--host <address>',
        'address to listen on; "::" is dual-stack, falling back to 0.0.0.0 without IPv6',
        '::',
      ),
    )
    .addOption(
      envOption('--max-connections <count>', 'connections beyond this are closed at once')
        .argParser(parseCount)
        .default(256),
    )
    .addOption(
      envOption('--shutdown-grace <duration>', 'how long requests in flight may finish after SIGTERM, as a Go duration')
        .argParser(parseGrace)
        .default(5000, '5s'),
    )
    .action(async (options: TargetCommandOptions) => {
      const started = Date.now();
      const target = await startTarget({
        port: options.port,
        host: options.host,
        maxConnections: options.maxConnections,
      }).catch((error: unknown) => {
        const code = (error as NodeJS.ErrnoException).code;
        throw new UserError(`cannot listen on ${options.host} port ${options.port}${code ? ` (${code})` : ''}`);
      });
      const { host, port, dualStack, identity } = target;
      logLine(
        'info',
        'target listening',
        { host, port, dualStack, node: identity.node, pod: identity.pod, pid: process.pid },
        write,
      );
      const signal = await nextStopSignal();
      const { forced } = await target.close(options.shutdownGrace);
      const fields = { signal, requests: target.requests, uptimeMs: Date.now() - started, forcedConnections: forced };
      logLine(forced > 0 ? 'warn' : 'info', 'target stopped', fields, write);
    });
  addExamples(command, [
    'p2pnc target                                  # what the target DaemonSet runs: port 8080, dual-stack',
    'p2pnc target --port 0 --host 127.0.0.1        # a free port on loopback, for a quick local try',
    'curl -s localhost:8080/healthz                # answers with the node and pod names',
  ]);
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535.');
  return port;
}

function parseCount(text: string): number {
  const count = Number(text);
  if (!/^\d+$/.test(text) || count < 1) throw new InvalidArgumentError('expected a positive whole number.');
  return count;
}

function parseGrace(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new InvalidArgumentError('expected a Go duration such as 5s or 500ms.');
  return ms;
}
