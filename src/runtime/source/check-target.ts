/** Turns a check object into what to probe: endpoint, probe kind and options, client certificate, target pod. */
import type { CheckSpec } from '../../api/check.js';
import { DEFAULT_REFRESH_INTERVAL_MS } from '../../api/constants.js';
import { parseDuration } from '../../api/duration.js';
import { parseEndpoint } from '../probe/endpoint.js';
import { invalidCheck as invalidCheckMessage } from '../probe/messages.js';
import { probe } from '../probe/probe.js';
import type { ProbeResult, ProbeTarget } from '../types.js';
import { INVALID_CHECK_REASON } from '../../api/constants.js';

export const DEFAULT_INTERVAL_MS = 60_000;
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface Lookups {
  targetPodAddress(service: string, node: string): string | undefined;
  clientCert(secretName: string): Promise<{ cert: string; key: string }>;
}

/** The message prefix OpenShift uses: the check name with everything up to `-to-` removed. */
export function checkLabel(name: string): string {
  const at = name.indexOf('-to-');
  return at >= 0 ? name.slice(at + 4) : name;
}

/** The prefix of this check's messages: none when its spec asks for compact messages (the spec names the target). */
export function messageLabel(name: string, spec: CheckSpec | undefined): string {
  return spec?.history?.messages === 'compact' ? '' : checkLabel(name);
}

export function intervalMs(spec: CheckSpec): number {
  return (spec.interval && parseDuration(spec.interval)) || DEFAULT_INTERVAL_MS;
}

/** The spacing of a healthy check's status writes. */
export function refreshMs(spec: CheckSpec): number {
  return (spec.refreshInterval && parseDuration(spec.refreshInterval)) || DEFAULT_REFRESH_INTERVAL_MS;
}

export function timeoutMs(spec: CheckSpec): number {
  return (spec.timeout && parseDuration(spec.timeout)) || DEFAULT_TIMEOUT_MS;
}

/** Why a per-node check cannot be probed while its node has no ready target pod; diagnose reads it back. */
export function noTargetPodText(service: string, node: string): string {
  return `no ready endpoint of Service ${service} on node ${node}; is the target pod running there?`;
}

/** The Service and node of a noTargetPodText, found anywhere in a recorded message. */
export function parseNoTargetPod(text: string): { service: string; node: string } | undefined {
  const match = /no ready endpoint of Service (\S+) on node (\S+?);/.exec(text);
  return match ? { service: match[1]!, node: match[2]! } : undefined;
}

/** Throws an Error whose message says what is wrong with the check; the caller records it as InvalidCheck. */
export async function resolveProbeTarget(name: string, spec: CheckSpec, lookups: Lookups): Promise<ProbeTarget> {
  const endpoint = parseEndpoint(spec.targetEndpoint);
  let host = endpoint.host;
  let port = endpoint.port;
  if (spec.targetPod) {
    const address = lookups.targetPodAddress(spec.targetPod.service, spec.targetPod.node);
    if (!address) throw new Error(noTargetPodText(spec.targetPod.service, spec.targetPod.node));
    host = address;
    port = spec.targetPod.port;
  }
  const probe = spec.probe ?? { kind: 'tcp' as const };
  const target: ProbeTarget = { label: messageLabel(name, spec), host, port, kind: probe.kind };
  if (probe.path !== undefined) target.path = probe.path;
  if (probe.expectedStatus !== undefined) target.expectedStatus = probe.expectedStatus;
  if (probe.serverName !== undefined) target.serverName = probe.serverName;
  else if (spec.targetPod === undefined && !/^[\d.:]+$/.test(endpoint.host)) target.serverName = endpoint.host;
  if (probe.insecureSkipVerify !== undefined) target.insecureSkipVerify = probe.insecureSkipVerify;
  if (probe.count !== undefined) target.count = probe.count;
  if (probe.maxLossPercent !== undefined) target.maxLossPercent = probe.maxLossPercent;
  if (probe.size !== undefined) target.size = probe.size;
  if (spec.tlsClientCert?.name) target.clientCert = await lookups.clientCert(spec.tlsClientCert.name);
  return target;
}

/** One probe of a check, as a source runs it: a check that cannot be resolved is an InvalidCheck result. */
export function probeCheck(name: string, spec: CheckSpec, lookups: Lookups): Promise<ProbeResult> {
  return resolveProbeTarget(name, spec, lookups).then(
    (target) => probe(target, { timeoutMs: timeoutMs(spec) }),
    (error: Error) => invalidCheck(name, error.message, spec),
  );
}

export function invalidCheck(name: string, message: string, spec?: CheckSpec): ProbeResult {
  return {
    time: new Date(),
    success: false,
    latencyMs: 0,
    reason: INVALID_CHECK_REASON,
    message: invalidCheckMessage(messageLabel(name, spec), message),
    failure: 'config',
  };
}
