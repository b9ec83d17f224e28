/** Which HTTP statuses count as success, and how to print them. */

const DEFAULT_LOWEST = 200;
const DEFAULT_HIGHEST = 399;
export const DEFAULT_EXPECTED_STATUS = `${DEFAULT_LOWEST}-${DEFAULT_HIGHEST}`;

export function isExpectedStatus(status: number, expected: readonly number[] | undefined): boolean {
  if (expected === undefined || expected.length === 0) return status >= DEFAULT_LOWEST && status <= DEFAULT_HIGHEST;
  return expected.includes(status);
}

/** `200-399`, `200,204`, `200,300-302`: runs of three or more consecutive codes become ranges. */
export function formatExpectedStatus(expected: readonly number[] | undefined): string {
  if (expected === undefined || expected.length === 0) return DEFAULT_EXPECTED_STATUS;
  const sorted = [...new Set(expected)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let start = 0; start < sorted.length;) {
    let end = start;
    while (end + 1 < sorted.length && sorted[end + 1] === sorted[end]! + 1) end++;
    if (end - start >= 2) parts.push(`${sorted[start]}-${sorted[end]}`);
    else for (let i = start; i <= end; i++) parts.push(String(sorted[i]));
    start = end + 1;
  }
  return parts.join(',');
}

/** Parses `200,204,300-399` into codes; returns undefined when the text is not such a list. */
export function parseExpectedStatus(text: string): number[] | undefined {
  const codes: number[] = [];
  for (const part of text.split(',')) {
    const match = /^\s*([1-5][0-9]{2})(?:-([1-5][0-9]{2}))?\s*$/.exec(part);
    if (!match) return undefined;
    const low = Number(match[1]);
    const high = match[2] === undefined ? low : Number(match[2]);
    if (high < low) return undefined;
    for (let code = low; code <= high; code++) codes.push(code);
  }
  return codes;
}
