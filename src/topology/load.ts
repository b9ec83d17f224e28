/** Reads a topology file (YAML or JSON) and validates it; every problem is reported with its path and line. */
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { UserError } from '../util/errors.js';
import { describeIssues, type TopologyProblem } from './issues.js';
import { TopologySchema, type Topology } from './schema.js';

export class TopologyError extends UserError {
  constructor(
    readonly file: string,
    readonly problems: TopologyProblem[],
    lines: (number | undefined)[],
  ) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    const body = problems.map((problem, i) => `  ${file}${lines[i] ? `:${lines[i]}` : ''}: ${problem.path}: ${problem.message}`);
    super(`invalid topology ${file} (${count}); fix the file and run again:\n${body.join('\n')}`);
    this.name = 'TopologyError';
  }
}

export function loadTopologyFile(file: string): Topology {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint = code === 'ENOENT' ? 'no such file; pass the topology with -f FILE' : ((error as Error).message ?? String(error));
    throw new UserError(`cannot read topology ${file}: ${hint}`);
  }
  return parseTopology(text, file);
}

export function parseTopology(text: string, file = 'topology.yaml'): Topology {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const problems = document.errors.map((error) => ({ path: '(syntax)', segments: [], message: error.message.split('\n')[0]! }));
    const lines = document.errors.map((error) => error.linePos?.[0].line);
    throw new TopologyError(file, problems, lines);
  }
  const input: unknown = document.toJS();
  const result = TopologySchema.safeParse(input);
  if (result.success) return result.data;
  const problems = describeIssues(result.error.issues, TopologySchema, input);
  const lines = problems.map((problem) => lineOf(document, problem.segments, lineCounter));
  throw new TopologyError(file, problems, lines);
}

/** The line of the deepest node on the path that exists in the document (the key itself for unknown keys). */
function lineOf(document: Document, segments: readonly PropertyKey[], lineCounter: LineCounter): number | undefined {
  let node: unknown = document.contents;
  let offset: number | undefined = (node as Node | null)?.range?.[0];
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === segment);
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
