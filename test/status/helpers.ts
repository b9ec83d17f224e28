/** Probe results and status readers for the status tests; times are clock strings on 2021-01-13 UTC. */
import assert from 'node:assert/strict';
import { CheckStatusSchema, type CheckStatus, type LogEntry } from '../../src/api/check.js';
import type { FailureKind, ProbeResult } from '../../src/runtime/types.js';

const DAY = '2021-01-13';
const ENDPOINT = '10.0.0.4:6443';

/** `20:01:05` or `20:08:34.123` -> that instant on the test day. */
export const at = (clock: string): Date => new Date(`${DAY}T${clock}Z`);
/** `20:01:05` -> the RFC 3339 string the status stores. */
export const rfc = (clock: string): string => `${DAY}T${clock}Z`;
/** A stored time back to its clock string. */
export const clock = (time: string | null): string => (time ?? '').slice(DAY.length + 1, -1);
/** `ms` after `start` as a clock string (whole seconds): clockAfter('20:00:00', 90_000) -> `20:01:30`. */
export const clockAfter = (start: string, ms: number): string =>
  clock(new Date(at(start).getTime() + ms).toISOString().replace(/\.\d+Z$/, 'Z'));
/** Clock strings from `start`, `count` of them, `stepSeconds` apart. */
export const clockSeries = (start: string, count: number, stepSeconds: number): string[] =>
  Array.from({ length: count }, (_, index) => clockAfter(start, index * stepSeconds * 1000));

export const MESSAGES = {
  succeeded: `web: tcp connection to ${ENDPOINT} succeeded`,
  refused: `web: failed to establish a TCP connection to ${ENDPOINT}: dial tcp ${ENDPOINT}: connect: connection refused`,
  timeout: `web: failed to establish a TCP connection to ${ENDPOINT}: dial tcp ${ENDPOINT}: i/o timeout`,
  invalid: 'web: invalid check: targetEndpoint has no port',
} as const;

export function ok(time: string, overrides: Partial<ProbeResult> = {}): ProbeResult {
  return {
    time: at(time),
    success: true,
    latencyMs: 2.032018,
    reason: 'TCPConnect',
    message: MESSAGES.succeeded,
    ...overrides,
  };
}

function failure(kind: FailureKind, reason: string, message: string) {
  return (time: string): ProbeResult => ({
    time: at(time),
    success: false,
    latencyMs: 2.241775,
    reason,
    message,
    failure: kind,
  });
}

export const refused = failure('refused', 'TCPConnectError', MESSAGES.refused);
export const timeout = failure('timeout', 'TCPConnectError', MESSAGES.timeout);
export const invalid = failure('config', 'InvalidCheck', MESSAGES.invalid);

/** `20:01:05 refused`: the clock and the last word of the message, enough to tell modes apart. */
export function describeEntry(entry: LogEntry): string {
  return `${clock(entry.time)} ${(entry.message ?? '').split(' ').at(-1)}`;
}

export const clocks = (entries: readonly LogEntry[] | undefined): string[] =>
  (entries ?? []).map((entry) => clock(entry.time));

/** The status must be exactly what the schema accepts, with no `key: undefined` anywhere. */
export function assertValidStatus(status: CheckStatus): void {
  assert.deepEqual(CheckStatusSchema.parse(status), status);
  assertNoUndefined(status, 'status');
}

function assertNoUndefined(value: unknown, path: string): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => assertNoUndefined(item, `${path}[${index}]`));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      assert.notEqual(child, undefined, `${path}.${key} is undefined`);
      assertNoUndefined(child, `${path}.${key}`);
    }
  }
}
