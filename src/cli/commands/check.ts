/**
 * `p2pnc check tcp-endpoint <host:port>`, `icmp <host>`, `udp <host:port>`: one probe, printed like a check's log
 * entry; exit 0 reachable, 1 not, 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { addExamples, outputFormatOption } from '../help.js';
import {
  type Endpoint,
  InvalidEndpointError,
  formatEndpoint,
  parseEndpoint,
  isValidHost,
  parseExpectedStatus,
  probe,
} from '../../runtime/probe/index.js';
import { MTU_SIZE, UDP_COUNT, UDP_MAX_LOSS_PERCENT } from '../../api/probe-kinds.js';
import type { ProbeKind, ProbeResult, ProbeTarget } from '../../runtime/types.js';
import { formatDuration, parseDuration } from '../../api/duration.js';
import { UsageError } from '../../util/errors.js';

type CheckFormat = 'text' | 'json' | 'yaml';

interface CheckOptions {
  tls?: boolean;
  http?: string;
  https?: string;
  expectStatus?: string;
  serverName?: string;
  verify?: boolean;
  cert?: string;
  key?: string;
  mtu?: string;
  timeout: string;
  output: CheckFormat;
}

interface CommonOptions {
  timeout: string;
  output: CheckFormat;
}

interface UdpOptions extends CommonOptions {
  count: string;
  maxLoss: string;
}

/** Where the command writes; tests substitute their own. */
export interface CheckCommandIo {
  writeOut(text: string): void;
  setExitCode(code: number): void;
}

const processIo: CheckCommandIo = {
  writeOut: (text) => process.stdout.write(text),
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

export function registerCheckCommand(program: Command, io: CheckCommandIo = processIo): void {
  const check = program.command('check').description('Run one connectivity check now and print its result');
  addExamples(
    check,
    ['p2pnc check tcp-endpoint 10.0.0.4:6443', 'p2pnc check icmp 10.0.0.4', 'p2pnc check udp 10.0.0.4:8080'],
    ["'p2pnc check' alone is a usage error: name a kind of check."],
  );
  const tcpEndpoint = check
    .command('tcp-endpoint')
    .description('Probe host:port once (TCP; or a TLS handshake, or an HTTP GET); exit 0 when reachable, 1 when not')
    .argument('<host:port>', 'endpoint to probe; IPv6 in brackets: [fd00::1]:6443')
    .option('--tls', 'complete a TLS handshake after connecting')
    .option('--http <path>', 'send an HTTP GET for <path> after connecting')
    .option('--https <path>', 'send an HTTP GET for <path> over TLS')
    .option('--expect-status <codes>', 'HTTP statuses that count as success, e.g. 200,204 or 200-299 (default 200-399)')
    .option('--server-name <name>', 'TLS server name (SNI) to send and verify (default: the host when it is a name)')
    .option('--verify', "verify the server's certificate (default: accept any)")
    .option('--cert <file>', 'PEM client certificate for TLS (with --key)')
    .option('--key <file>', 'PEM private key of the client certificate (with --cert)')
    .option(
      '--mtu <bytes>',
      `fetch <bytes> from a p2pnc target's /payload after connecting (${MTU_SIZE.min}-${MTU_SIZE.max}): tells an MTU black hole apart`,
    )
    .option('--timeout <duration>', 'bound for the whole probe, as a Go duration', '10s')
    .addOption(outputFormatOption<CheckFormat>(['text', 'json', 'yaml']))
    .action(async (endpoint: string, options: CheckOptions) => {
      const target = buildTarget(endpoint, options);
      await runOnce(target, options, io);
    });
  addExamples(tcpEndpoint, [
    'p2pnc check tcp-endpoint 10.0.0.4:6443                      # DNS (for names) and a TCP connect',
    'p2pnc check tcp-endpoint api.example.com:6443 --tls --verify',
    'p2pnc check tcp-endpoint [fd00::4]:2379 --tls --cert client.crt --key client.key',
    'p2pnc check tcp-endpoint 10.0.0.4:6443 --https /readyz --expect-status 200 -o json',
    'p2pnc check tcp-endpoint 10.0.0.4:8080 --mtu 65536                # a p2pnc target: large segments arrive?',
  ]);

  const icmp = check
    .command('icmp')
    .description(
      'Send one ICMP echo request to host; exit 0 on a reply, 1 without (needs net.ipv4.ping_group_range to cover the group)',
    )
    .argument('<host>', 'host name or IP address (IPv6 without brackets)')
    .option('--timeout <duration>', 'how long to wait for the reply, as a Go duration', '10s')
    .addOption(outputFormatOption<CheckFormat>(['text', 'json', 'yaml']))
    .action(async (host: string, options: CommonOptions) => {
      const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
      if (!isValidHost(bare)) throw new UsageError(`"${host}" is neither a host name nor an IP address`);
      await runOnce({ label: bare, host: bare, port: 0, kind: 'icmp' }, options, io);
    });
  addExamples(icmp, ['p2pnc check icmp 10.0.0.4', 'p2pnc check icmp fd00::4 --timeout 2s -o json']);

  const udp = check
    .command('udp')
    .description(
      `Send a burst of datagrams to a p2pnc target's UDP echo; exit 0 when at most --max-loss percent go unanswered`,
    )
    .argument('<host:port>', 'the target; IPv6 in brackets: [fd00::1]:8080')
    .option('--count <n>', `datagrams to send (${UDP_COUNT.min}-${UDP_COUNT.max})`, String(UDP_COUNT.default))
    .option(
      '--max-loss <percent>',
      `loss above this fails (${UDP_MAX_LOSS_PERCENT.min}-${UDP_MAX_LOSS_PERCENT.max})`,
      String(UDP_MAX_LOSS_PERCENT.default),
    )
    .option('--timeout <duration>', 'bound for the whole burst and its echoes, as a Go duration', '10s')
    .addOption(outputFormatOption<CheckFormat>(['text', 'json', 'yaml']))
    .action(async (endpointText: string, options: UdpOptions) => {
      const endpoint = parseEndpointArgument(endpointText);
      const target: ProbeTarget = {
        label: formatEndpoint(endpoint.host, endpoint.port),
        host: endpoint.host,
        port: endpoint.port,
        kind: 'udp',
        count: parseWhole('--count', options.count, UDP_COUNT),
        maxLossPercent: parseWhole('--max-loss', options.maxLoss, UDP_MAX_LOSS_PERCENT),
      };
      await runOnce(target, options, io);
    });
  addExamples(udp, ['p2pnc check udp 10.0.0.4:8080', 'p2pnc check udp 10.0.0.4:8080 --count 100 --max-loss 5']);
}

async function runOnce(target: ProbeTarget, options: CommonOptions, io: CheckCommandIo): Promise<void> {
  const result = await probe(target, { timeoutMs: parseTimeout(options.timeout) });
  io.writeOut(renderResult(result, options.output));
  io.setExitCode(result.success ? 0 : 1);
}

function parseWhole(flag: string, text: string, bounds: { min: number; max: number }): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= bounds.min && value <= bounds.max))
    throw new UsageError(`${flag} takes a whole number from ${bounds.min} to ${bounds.max}, not "${text}"`);
  return value;
}

function parseEndpointArgument(text: string): Endpoint {
  try {
    return parseEndpoint(text);
  } catch (error) {
    if (error instanceof InvalidEndpointError) throw new UsageError(error.message);
    throw error;
  }
}

function buildTarget(endpointText: string, options: CheckOptions): ProbeTarget {
  const endpoint = parseEndpointArgument(endpointText);
  const kinds = [
    options.tls && '--tls',
    options.http !== undefined && '--http',
    options.https !== undefined && '--https',
    options.mtu !== undefined && '--mtu',
  ].filter(Boolean);
  if (kinds.length > 1)
    throw new UsageError(`choose one of --tls, --http, --https and --mtu, not ${kinds.join(' and ')}`);
  const kind: ProbeKind = options.tls
    ? 'tls'
    : options.http !== undefined
      ? 'http'
      : options.https !== undefined
        ? 'https'
        : options.mtu !== undefined
          ? 'mtu'
          : 'tcp';
  const usesTls = kind === 'tls' || kind === 'https';
  const usesHttp = kind === 'http' || kind === 'https';

  for (const [flag, given] of [
    ['--server-name', options.serverName !== undefined],
    ['--verify', options.verify === true],
    ['--cert', options.cert !== undefined],
    ['--key', options.key !== undefined],
  ] as const) {
    if (given && !usesTls) throw new UsageError(`${flag} needs --tls or --https`);
  }
  if (options.expectStatus !== undefined && !usesHttp) throw new UsageError('--expect-status needs --http or --https');
  if ((options.cert === undefined) !== (options.key === undefined))
    throw new UsageError('--cert and --key go together');

  const target: ProbeTarget = {
    label: formatEndpoint(endpoint.host, endpoint.port),
    host: endpoint.host,
    port: endpoint.port,
    kind,
  };
  if (usesHttp) {
    const path = (options.http ?? options.https)!;
    if (!path.startsWith('/')) throw new UsageError(`the HTTP path must start with /, not "${path}"`);
    target.path = path;
  }
  if (options.expectStatus !== undefined) {
    const codes = parseExpectedStatus(options.expectStatus);
    if (!codes)
      throw new UsageError(
        `--expect-status takes HTTP codes and ranges like 200,204,300-399, not "${options.expectStatus}"`,
      );
    target.expectedStatus = codes;
  }
  if (usesTls) {
    target.insecureSkipVerify = options.verify !== true;
    if (options.serverName !== undefined) target.serverName = options.serverName;
    if (options.cert !== undefined && options.key !== undefined) {
      target.clientCert = { cert: readPem('--cert', options.cert), key: readPem('--key', options.key) };
    }
  }
  if (options.mtu !== undefined) target.size = parseWhole('--mtu', options.mtu, MTU_SIZE);
  return target;
}

function parseTimeout(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new UsageError(`--timeout takes a positive Go duration such as 10s or 500ms, not "${text}"`);
  return ms;
}

function readPem(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${flag} file "${file}"${code ? ` (${code})` : ''}`);
  }
}

/** RFC 3339 at second precision, as Kubernetes writes metav1.Time. */
function formatTime(time: Date): string {
  return time.toISOString().replace(/\.\d+Z$/, 'Z');
}

function renderResult(result: ProbeResult, format: CheckFormat): string {
  if (format === 'json') return `${JSON.stringify(toLogEntry(result))}\n`;
  if (format === 'yaml') return stringify(toLogEntry(result), { lineWidth: 0 });
  return `${formatLogLine(result)}\n`;
}

export function formatLogLine(result: ProbeResult): string {
  return `${formatTime(result.time)} ${result.message} (${formatDuration(result.latencyMs)})`;
}

/** The result as a check's log entry (OpenShift's LogEntry fields), plus p2pnc's failure kind and phases. */
export function toLogEntry(result: ProbeResult): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    time: formatTime(result.time),
    success: result.success,
    reason: result.reason,
    message: result.message,
    latency: formatDuration(result.latencyMs),
  };
  if (result.failure) entry.failure = result.failure;
  const phases: Record<string, string> = {};
  const { dnsMs, connectMs, tlsMs, httpMs } = result.phases ?? {};
  if (dnsMs !== undefined) phases.dns = formatDuration(dnsMs);
  if (connectMs !== undefined) phases.connect = formatDuration(connectMs);
  if (tlsMs !== undefined) phases.tls = formatDuration(tlsMs);
  if (httpMs !== undefined) phases.http = formatDuration(httpMs);
  if (Object.keys(phases).length > 0) entry.phases = phases;
  return entry;
}
