/** Turns zod issues into messages that name the path, what is wrong, what is allowed, and the closest key for a typo. */
import damerauLevenshtein from 'damerau-levenshtein';
import type { z } from 'zod';
import { quote, shorten } from './echo.js';

export interface TopologyProblem {
  /** `targets[3].port` */
  path: string;
  message: string;
  /** Raw path, to find the line in the source document. */
  segments: PropertyKey[];
}

export function formatPath(segments: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of segments) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else {
      const key = String(segment);
      const shown = key.length <= 40 && /^[A-Za-z0-9_-]+$/.test(key) ? key : quote(key, 40);
      text += text === '' ? shown : `.${shown}`;
    }
  }
  return text === '' ? '(top level)' : text;
}

export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  input: unknown,
): TopologyProblem[] {
  return issues.flatMap((issue) => describeIssue(issue, schema, input));
}

function describeIssue(issue: z.core.$ZodIssue, schema: z.ZodType, input: unknown): TopologyProblem[] {
  const segments = issue.path;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(schema, input, segments);
      return issue.keys.map((key) => ({
        path: formatPath([...segments, key]),
        segments: [...segments, key],
        message: `unknown key ${quote(key)}${suggestion(key, allowed)}${allowed.length ? `; allowed keys: ${allowed.join(', ')}` : ''}`,
      }));
    }
    case 'invalid_type': {
      const actual = valueAt(input, segments);
      const message =
        actual === undefined
          ? `is required (expected ${issue.expected})`
          : `expected ${issue.expected}, got ${describeValue(actual)}`;
      return [{ path: formatPath(segments), segments, message }];
    }
    case 'invalid_union': {
      const { note, options } = issue as { note?: string; options?: unknown[] };
      if (note === 'No matching discriminator' && options) {
        const allowed = options.map(String);
        const actual = valueAt(input, segments);
        const got = actual === undefined ? 'it is missing' : `got ${describeValue(actual)}`;
        const hint = typeof actual === 'string' ? suggestion(actual, allowed) : '';
        return [
          {
            path: formatPath(segments),
            segments,
            message: `must be one of ${allowed.map((value) => `"${value}"`).join(', ')}; ${got}${hint}`,
          },
        ];
      }
      return [{ path: formatPath(segments), segments, message: issue.message }];
    }
    case 'invalid_value': {
      const actual = valueAt(input, segments);
      const allowed = issue.values.map((value) => JSON.stringify(value));
      const hint = typeof actual === 'string' ? suggestion(actual, issue.values.map(String)) : '';
      return [
        {
          path: formatPath(segments),
          segments,
          message: `must be one of ${allowed.join(', ')}; got ${describeValue(actual)}${hint}`,
        },
      ];
    }
    case 'too_small':
    case 'too_big':
    case 'invalid_format':
    case 'custom': {
      const actual = valueAt(input, segments);
      const shown = actual !== undefined && typeof actual !== 'object' ? describeValue(actual) : '';
      const message = issue.code === 'too_small' || issue.code === 'too_big' ? sizeMessage(issue) : issue.message;
      // A message that quotes the value already (a duplicate name) does not repeat it.
      const got = shown && !message.includes(shown) ? ` (got ${shown})` : '';
      return [{ path: formatPath(segments), segments, message: `${message}${got}` }];
    }
    case 'invalid_key': {
      // A record key (a label key) that does not have its format: the key's own problem, at the key.
      const inner = (issue as { issues?: { message: string }[] }).issues?.[0]?.message ?? issue.message;
      return [{ path: formatPath(segments), segments, message: inner }];
    }
    default:
      return [{ path: formatPath(segments), segments, message: issue.message }];
  }
}

/** zod's "Too big: expected array to have <=32 items" in the words of the rest: "must have at most 32 items". */
function sizeMessage(issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall): string {
  if (!/^Too (big|small):/.test(issue.message)) return issue.message;
  const big = issue.code === 'too_big';
  const limit = Number(big ? (issue as z.core.$ZodIssueTooBig).maximum : (issue as z.core.$ZodIssueTooSmall).minimum);
  const inclusive = issue.inclusive !== false;
  const bound = big ? (inclusive ? 'at most' : 'less than') : inclusive ? 'at least' : 'more than';
  if (issue.origin === 'array' || issue.origin === 'set')
    return `must have ${bound} ${limit} ${limit === 1 ? 'item' : 'items'}`;
  if (issue.origin === 'string') return `must be ${bound} ${limit} characters long`;
  return `must be ${bound} ${limit}`;
}

/** Longest word a suggestion is looked for: the edit distance is quadratic in the length. */
const SUGGEST_MAX_LENGTH = 64;

/** The closest candidate within a few edits, compared only when the lengths are close and short. */
function suggestion(word: string, candidates: readonly string[]): string {
  if (word.length > SUGGEST_MAX_LENGTH) return '';
  const budget = Math.max(2, Math.floor(word.length / 3));
  let best: { candidate: string; cost: number } | undefined;
  for (const candidate of candidates.slice(0, 1000)) {
    if (candidate.length > SUGGEST_MAX_LENGTH || Math.abs(candidate.length - word.length) > budget) continue;
    const cost = damerauLevenshtein(word.toLowerCase(), candidate.toLowerCase()).steps;
    if (cost <= budget && (best === undefined || cost < best.cost)) best = { candidate, cost };
  }
  return best ? `; did you mean ${quote(best.candidate)}?` : '';
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return quote(value);
  return `${typeof value} ${shorten(String(value))}`;
}

export function valueAt(input: unknown, segments: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
  discriminator?: string;
}

function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

/** Walks the schema along the path, choosing union members by the input's discriminator, and returns the object schema there. */
function objectSchemaAt(schema: z.ZodType, input: unknown, segments: readonly PropertyKey[]): SchemaDef | undefined {
  let def = unwrap(defOf(schema), input);
  let value = input;
  for (const segment of segments) {
    if (!def) return undefined;
    value = (value as Record<PropertyKey, unknown> | undefined)?.[segment];
    if (def.type === 'object' && typeof segment === 'string')
      def = def.shape?.[segment] && unwrap(defOf(def.shape[segment]!), value);
    else if (def.type === 'array' && def.element) def = unwrap(defOf(def.element), value);
    else if (def.type === 'record' && def.valueType) def = unwrap(defOf(def.valueType), value);
    else return undefined;
  }
  return def;
}

function unwrap(def: SchemaDef, value: unknown): SchemaDef | undefined {
  for (;;) {
    if (def.innerType) def = defOf(def.innerType);
    else if (def.type === 'pipe' && def.in) def = defOf(def.in);
    else if (def.type === 'union' && def.options) {
      const key = def.discriminator;
      const wanted = key ? (value as Record<string, unknown> | undefined)?.[key] : undefined;
      const match = def.options
        .map(defOf)
        .find((option) => option.type === 'object' && key && literalValues(option.shape?.[key]).includes(wanted));
      if (!match) return undefined;
      def = match;
    } else return def;
  }
}

function literalValues(schema: z.ZodType | undefined): unknown[] {
  if (!schema) return [];
  let def = defOf(schema) as SchemaDef & { values?: unknown[] };
  while (def.innerType) def = defOf(def.innerType) as typeof def;
  return def.values ?? [];
}

function allowedKeysAt(schema: z.ZodType, input: unknown, segments: readonly PropertyKey[]): string[] {
  const def = objectSchemaAt(schema, input, segments);
  return def?.type === 'object' ? Object.keys(def.shape ?? {}) : [];
}
