/** Time formats of Kubernetes and Go, for status fields and messages. */

/** RFC 3339 at second precision, as Kubernetes' metav1.Time marshals: `2021-01-13T20:10:34Z` (truncated, like Go). */
export function formatTime(time: Date): string {
  const iso = time.toISOString();
  return `${iso.slice(0, iso.lastIndexOf('.'))}Z`;
}

/** metav1.MicroTime (a Lease's renewTime): RFC 3339 with six fractional digits, `2021-01-13T20:10:34.123000Z`. */
export function formatMicroTime(time: Date): string {
  return time.toISOString().replace(/(\.\d{3})Z$/, '$1000Z');
}

/**
 * Go's time.RFC3339Nano: the fraction keeps only its significant digits and disappears when zero,
 * `2021-01-13T20:08:34.12Z` / `2021-01-13T20:08:34Z`. A Date holds milliseconds, so at most 3 digits.
 */
export function formatTimeNano(time: Date): string {
  return time.toISOString().replace(/\.(\d*?)0*Z$/, (_match, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

/** Milliseconds since the epoch of a status time; a missing or unreadable time sorts as the oldest. */
export function timeMs(time: string | null | undefined): number {
  if (!time) return Number.NEGATIVE_INFINITY;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

/** The time a result is stored with: what survives the round trip through the status. */
export function storedTimeMs(time: Date): number {
  return Math.floor(time.getTime() / 1000) * 1000;
}
