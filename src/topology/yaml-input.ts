/**
 * YAML (or JSON) text to plain data, with every parser complaint turned into a located problem: syntax errors,
 * aliases that name no anchor, alias bombs, and nesting that would exhaust the stack. Also finds the line of a path.
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
} from 'yaml';
import { quote } from './echo.js';
import { formatPath } from './issues.js';
import type { LocatedProblem } from './topology-error.js';

/** More aliases than a hand-written topology has; each costs a scan of the document's anchors. */
export const MAX_ALIASES = 1000;
/** How many times an alias may expand its anchor's own aliases (yaml's guard against alias bombs). */
const MAX_ALIAS_COUNT = 100;

export interface ParsedYaml {
  document: Document;
  lineCounter: LineCounter;
}

export type YamlResult = { parsed: ParsedYaml; data: unknown } | { problems: LocatedProblem[] };

export function parseYaml(text: string): YamlResult {
  const lineCounter = new LineCounter();
  let document: Document;
  try {
    // yaml's own uniqueKeys check is quadratic in a mapping's size; duplicateKeys() does it with a set.
    // prettyErrors would build a source excerpt for every error: seconds for a file with 40,000 of them.
    document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  } catch (error) {
    return { problems: [parserFailure(error)] };
  }
  if (document.errors.length > 0) {
    return {
      problems: document.errors.map((error) => ({
        path: '(syntax)',
        segments: [],
        message: syntaxMessage(error.message),
        line: lineCounter.linePos(error.pos[0]).line,
      })),
    };
  }
  const parsed = { document, lineCounter };
  const duplicates = duplicateKeys(parsed);
  if (duplicates.length > 0) return { problems: duplicates };
  const aliasProblems = checkAliases(parsed);
  if (aliasProblems.length > 0) return { problems: aliasProblems };
  try {
    return { parsed, data: document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (error) {
    if (error instanceof ReferenceError && /Excessive alias count/.test(error.message)) {
      const first = aliasesOf(parsed)[0];
      const message =
        'aliases expand to too much data (an alias of a node full of aliases, again and again); write the values out';
      return {
        problems: [
          first
            ? { path: first.path, segments: first.segments, line: first.line ?? 1, message }
            : { path: '(syntax)', segments: [], line: 1, message },
        ],
      };
    }
    return { problems: [parserFailure(error)] };
  }
}

/** Whatever else the YAML library throws on odd input is still an answer about the file, not a crash. */
function parserFailure(error: unknown): LocatedProblem {
  const text = error instanceof Error ? error.message : String(error);
  return { path: '(syntax)', segments: [], line: 1, message: `cannot read the file as YAML: ${syntaxMessage(text)}` };
}

/** The first line of yaml's message, without its own "at line L, column C" (the line is printed in front). */
function syntaxMessage(message: string): string {
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return /call stack/i.test(first) ? 'nested too deeply to read; a topology needs at most 6 levels' : first;
}

/** Keys that appear twice in one mapping (compared as text: `1` and `"1"` are one key once read). */
function duplicateKeys({ document, lineCounter }: ParsedYaml): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  const lineAt = (node: unknown) => {
    const offset = (node as Node | null)?.range?.[0];
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  visit(document, {
    Map(_key, map, ancestors) {
      const first = new Map<string, unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        const earlier = first.get(key);
        if (earlier === undefined) {
          first.set(key, pair.key);
          continue;
        }
        const segments = [...segmentsOf(ancestors, map), key];
        const line = lineAt(pair.key);
        problems.push({
          path: formatPath(segments),
          segments,
          ...(line ? { line } : {}),
          message: `duplicate key ${quote(key)}: line ${lineAt(earlier)} has it already; a key appears once in a mapping`,
        });
        if (problems.length > 100) return visit.BREAK;
      }
      return undefined;
    },
  });
  return problems;
}

interface AliasAt {
  source: string;
  known: boolean;
  path: string;
  segments: PropertyKey[];
  line: number | undefined;
}

/** Every alias in document order, with whether an anchor of that name comes before it. */
function aliasesOf({ document, lineCounter }: ParsedYaml): AliasAt[] {
  const anchors = new Set<string>();
  const aliases: AliasAt[] = [];
  visit(document, {
    Node(_key, node, ancestors) {
      if (isAlias(node)) {
        const segments = segmentsOf(ancestors, node);
        const offset = node.range?.[0];
        aliases.push({
          source: node.source,
          known: anchors.has(node.source),
          path: formatPath(segments),
          segments,
          line: offset === undefined ? undefined : lineCounter.linePos(offset).line,
        });
        if (aliases.length > MAX_ALIASES) return visit.BREAK;
      } else if (node.anchor) anchors.add(node.anchor);
      return undefined;
    },
  });
  return aliases;
}

function checkAliases(parsed: ParsedYaml): LocatedProblem[] {
  const aliases = aliasesOf(parsed);
  if (aliases.length > MAX_ALIASES) {
    const last = aliases[aliases.length - 1]!;
    return [
      {
        path: last.path,
        segments: last.segments,
        ...(last.line ? { line: last.line } : {}),
        message: `more than ${MAX_ALIASES} aliases (*name); write the values out`,
      },
    ];
  }
  return aliases
    .filter((alias) => !alias.known)
    .map((alias) => ({
      path: alias.path,
      segments: alias.segments,
      ...(alias.line ? { line: alias.line } : {}),
      message: `alias *${quote(alias.source, 40).slice(1, -1)} names no anchor before it; define &${quote(alias.source, 40).slice(1, -1)} on an earlier value, or write the value out`,
    }));
}

/** The data path of a node from visit()'s ancestors: keys of pairs and indexes in sequences. */
function segmentsOf(ancestors: readonly unknown[], node: unknown): PropertyKey[] {
  const chain = [...ancestors, node];
  const segments: PropertyKey[] = [];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isPair(parent) && parent.value === child) segments.push(keyOf(parent.key));
    else if (isSeq(parent)) segments.push(parent.items.indexOf(child as Node));
  }
  return segments;
}

function keyOf(key: unknown): PropertyKey {
  if (isScalar(key)) return typeof key.value === 'number' ? String(key.value) : String(key.value);
  return String(key);
}

/** The line of the deepest node on the path that exists in the document (the key itself for unknown keys). */
export function lineOf({ document, lineCounter }: ParsedYaml, segments: readonly PropertyKey[]): number | undefined {
  let node: unknown = document.contents;
  let offset: number | undefined = (node as Node | null)?.range?.[0];
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => String((item.key as { value?: unknown } | null)?.value) === String(segment),
      );
      if (!pair) break;
      offset = (pair.key as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
      if (node && (node as Node).range && !isMap(node) && !isSeq(node)) offset = (node as Node).range![0];
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      offset = (node as Node | undefined)?.range?.[0] ?? offset;
    } else break;
  }
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}
