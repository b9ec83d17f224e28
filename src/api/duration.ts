/** Go-style durations (`60s`, `1m30s`, `250ms`) as used by Kubernetes and OpenShift. */

const UNIT_NANOS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

export const GO_DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$';
const WHOLE = new RegExp(GO_DURATION_PATTERN);
const PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g;

/** Parses a Go duration into milliseconds; returns undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let nanos = 0;
  for (const [, amount, unit] of text.matchAll(PART)) nanos += Number(amount) * UNIT_NANOS[unit!]!;
  return nanos / 1e6;
}

/**
 * Formats milliseconds like Go's time.Duration.String(): `2.241775ms`, `2m59.999789186s`, `0s`.
 * Sub-millisecond precision is kept to the nanosecond.
 */
export function formatDuration(ms: number): string {
  let nanos = Math.round(ms * 1e6);
  if (nanos === 0) return '0s';
  const sign = nanos < 0 ? '-' : '';
  nanos = Math.abs(nanos);
  if (nanos < 1e3) return `${sign}${nanos}ns`;
  if (nanos < 1e6) return `${sign}${trimFraction(nanos / 1e3)}µs`;
  if (nanos < 1e9) return `${sign}${trimFraction(nanos / 1e6)}ms`;
  const hours = Math.floor(nanos / 3600e9);
  nanos -= hours * 3600e9;
  const minutes = Math.floor(nanos / 60e9);
  nanos -= minutes * 60e9;
  const seconds = `${trimFraction(nanos / 1e9)}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}

function trimFraction(value: number): string {
  return value.toFixed(9).replace(/\.?0+$/, '');
}
