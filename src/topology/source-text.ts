/**
 * The topology file's bytes as text, or a short answer why they are not: too large, UTF-16 or UTF-32, binary,
 * not UTF-8, JSON with comments, or nested deeper than any topology needs (which would exhaust the parser's stack).
 */
import type { LocatedProblem } from './topology-error.js';

/** A topology of 5,000 nodes is about 400 KB; a larger file would take the YAML parser seconds. */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;
/** Flow and compact nesting limit; the deepest topology path has 5 levels. */
export const MAX_NESTING = 64;
/**
 * Lines with content plus items of flow collections: a 5,000-node topology has about 30,000, and the YAML parser
 * takes up to a second for this many (and many seconds for the million a 2 MiB file can hold).
 */
export const MAX_ENTRIES = 50_000;

export type TextResult = { text: string } | { problem: LocatedProblem };

const fileProblem = (message: string, line = 1): { problem: LocatedProblem } => ({
  problem: { path: '(file)', segments: [], message, line },
});

export function decodeTopologyBytes(bytes: Uint8Array): TextResult {
  if (bytes.length > MAX_FILE_BYTES)
    return fileProblem(`the file has ${bytes.length} bytes; a topology is at most ${MAX_FILE_BYTES} bytes`);
  const encoding = unicodeEncoding(bytes);
  if (encoding) return fileProblem(`the file is ${encoding}; save it as UTF-8`);
  const nul = bytes.indexOf(0);
  if (nul >= 0)
    return fileProblem(
      'the file contains NUL bytes: it is not a text file; save the topology as UTF-8 text',
      lineAt(bytes, nul),
    );
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const bad = firstInvalidUtf8(bytes, start);
  if (bad >= 0)
    return fileProblem(
      `the file is not UTF-8 (byte 0x${bytes[bad]!.toString(16)} at line ${lineAt(bytes, bad)}); save it as UTF-8`,
      lineAt(bytes, bad),
    );
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, bytes.length - start).toString('utf8');
  const structural = jsonComment(text) ?? structureProblem(text);
  return structural ? { problem: structural } : { text };
}

/** UTF-16 and UTF-32 by their byte order mark, or by the NUL bytes of ASCII text in them. */
function unicodeEncoding(bytes: Uint8Array): string | undefined {
  const [a, b, c, d] = [bytes[0], bytes[1], bytes[2], bytes[3]];
  if (a === 0xff && b === 0xfe && c === 0 && d === 0) return 'UTF-32';
  if (a === 0 && b === 0 && c === 0xfe && d === 0xff) return 'UTF-32';
  if ((a === 0xff && b === 0xfe) || (a === 0xfe && b === 0xff)) return 'UTF-16';
  const sample = Math.min(bytes.length, 512) & ~1;
  if (sample < 4) return undefined;
  let evenNuls = 0;
  let oddNuls = 0;
  for (let i = 0; i < sample; i += 2) {
    if (bytes[i] === 0) evenNuls++;
    if (bytes[i + 1] === 0) oddNuls++;
  }
  const half = sample / 2;
  return evenNuls > half * 0.4 || oddNuls > half * 0.4 ? 'UTF-16' : undefined;
}

function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** The offset of the first byte that is not part of a valid UTF-8 sequence, or -1. */
function firstInvalidUtf8(bytes: Uint8Array, start: number): number {
  for (let i = start; i < bytes.length;) {
    const byte = bytes[i]!;
    if (byte < 0x80) {
      i++;
      continue;
    }
    const length =
      byte >= 0xc2 && byte <= 0xdf ? 2 : byte >= 0xe0 && byte <= 0xef ? 3 : byte >= 0xf0 && byte <= 0xf4 ? 4 : 0;
    if (length === 0 || i + length > bytes.length) return i;
    for (let j = 1; j < length; j++) if ((bytes[i + j]! & 0xc0) !== 0x80) return i;
    const second = bytes[i + 1]!;
    if (
      (byte === 0xe0 && second < 0xa0) ||
      (byte === 0xed && second > 0x9f) ||
      (byte === 0xf0 && second < 0x90) ||
      (byte === 0xf4 && second > 0x8f)
    )
      return i;
    i += length;
  }
  return -1;
}

/** JSON has no comments: a `//` or `/*` line in a JSON-looking file gets a clear answer instead of odd keys. */
function jsonComment(text: string): LocatedProblem | undefined {
  if (!/^\s*[{[]/.test(text)) return undefined;
  const lines = text.split('\n');
  const index = lines.findIndex((line) => /^\s*(\/\/|\/\*)/.test(line) || /[,{[]\s*(\/\/|\/\*)/.test(line));
  if (index < 0) return undefined;
  return {
    path: '(syntax)',
    segments: [],
    line: index + 1,
    message:
      'JSON does not allow comments (// or /* */); remove them, or write the topology as YAML, where comments start with #',
  };
}

/**
 * Nesting by flow brackets (`[[[...`) and compact indicators (`- - - x`), outside quotes and comments: a parser
 * recursing once per level would run out of stack long before a file gets large. And the number of entries.
 */
function structureProblem(text: string): LocatedProblem | undefined {
  let depth = 0;
  let line = 1;
  let quote: string | undefined;
  let lineStart = true;
  let compact = 0;
  /** The last top-level key, `nodes` in `nodes: [[[...`: the path a nesting problem is under. */
  let topKey = /^([A-Za-z][A-Za-z0-9]*):(\s|$)/.exec(text.slice(0, 65))?.[1];
  let entries = 0;
  const tooMany = (): LocatedProblem => ({
    path: '(file)',
    segments: [],
    line,
    message: `more than ${MAX_ENTRIES} entries (lines and list items); a topology of 5,000 nodes has about 30,000`,
  });
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\n') {
      if (!lineStart && ++entries > MAX_ENTRIES) return tooMany();
      line++;
      lineStart = true;
      compact = 0;
      const key = /^([A-Za-z][A-Za-z0-9]*):(\s|$)/.exec(text.slice(i + 1, i + 66));
      if (key) topKey = key[1];
      if (quote === undefined) continue;
    }
    if (quote !== undefined) {
      if (char === '\\' && quote === '"') i++;
      else if (char === quote) quote = undefined;
      continue;
    }
    if ((char === '"' || char === "'") && (i === 0 || /[\s[{,:-]/.test(text[i - 1]!))) {
      quote = char;
      lineStart = false;
    } else if (char === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      i = (end < 0 ? text.length : end) - 1;
    } else if (char === ',' && depth > 0) {
      if (++entries > MAX_ENTRIES) return tooMany();
    } else if (char === '[' || char === '{') depth++;
    else if (char === ']' || char === '}') depth = Math.max(0, depth - 1);
    else if (lineStart && (char === '-' || char === '?' || char === ':') && /\s/.test(text[i + 1] ?? '\n')) compact++;
    else if (char !== ' ' && char !== '\t' && char !== '\r') lineStart = false;
    if (depth + compact > MAX_NESTING)
      return {
        path: topKey ?? '(syntax)',
        segments: topKey ? [topKey] : [],
        line,
        message: `nested deeper than ${MAX_NESTING} levels; a topology needs at most 6 (brackets or '- - -' chains)`,
      };
  }
  return undefined;
}
