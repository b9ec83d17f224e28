/**
 * Reads a topology file (YAML or JSON) and validates it. Whatever the input, the answer is a Topology or a
 * TopologyError naming file, line and path of each problem: never a crash, a hang or a flood of output.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { escapeControl } from './echo.js';
import { describeIssues } from './issues.js';
import { checkCountProblem } from './limits.js';
import { sizeProblem } from './preflight.js';
import { TopologySchema, type Topology } from './schema.js';
import { decodeTopologyBytes } from './source-text.js';
import { formatProblem, TopologyError, type LocatedProblem, MAX_LISTED_PROBLEMS } from './topology-error.js';
import { topologyWarnings } from './warnings.js';
import { lineOf, parseYaml, type ParsedYaml } from './yaml-input.js';

export { TopologyError } from './topology-error.js';

export interface LoadOptions {
  /** Where warnings go (a valid topology that probably does not do what was meant). @default stderr */
  warn?: (line: string) => void;
}

const toStderr = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

export function loadTopologyFile(file: string, options: LoadOptions = {}): Topology {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOENT'
        ? 'no such file; pass the topology with -f FILE'
        : code === 'EISDIR'
          ? 'it is a folder; pass the topology file with -f FILE'
          : ((error as Error).message ?? String(error));
    throw new UserError(`cannot read topology ${escapeControl(file)}: ${hint}`);
  }
  const decoded = decodeTopologyBytes(bytes);
  if ('problem' in decoded) throw new TopologyError(file, [decoded.problem]);
  const { topology, warnings } = guardStack(file, () => validate(decoded.text, file));
  for (const warning of warnings) (options.warn ?? toStderr)(`warning: ${formatProblem(file, warning)}`);
  return topology;
}

/** Validates topology text; warnings are dropped (loadTopologyFile prints them). */
export function parseTopology(text: string, file = 'topology.yaml'): Topology {
  return readTopology(text, file).topology;
}

export function readTopology(text: string, file = 'topology.yaml'): { topology: Topology; warnings: LocatedProblem[] } {
  const decoded = decodeTopologyBytes(Buffer.from(text, 'utf8'));
  if ('problem' in decoded) throw new TopologyError(file, [decoded.problem]);
  return guardStack(file, () => validate(decoded.text, file));
}

function guardStack<T>(file: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    // A structure deep enough to exhaust the stack somewhere the nesting check did not foresee.
    if (error instanceof RangeError && /call stack/i.test(error.message))
      throw new TopologyError(file, [
        {
          path: '(syntax)',
          segments: [],
          line: 1,
          message: 'nested too deeply to read; a topology needs at most 6 levels',
        },
      ]);
    throw error;
  }
}

function validate(text: string, file: string): { topology: Topology; warnings: LocatedProblem[] } {
  const yaml = parseYaml(text);
  if ('problems' in yaml) throw new TopologyError(file, yaml.problems);
  const tooBig = sizeProblem(yaml.data);
  if (tooBig) throw new TopologyError(file, locate(yaml.parsed, [tooBig]));
  const result = TopologySchema.safeParse(yaml.data);
  if (!result.success) {
    const problems = describeIssues(result.error.issues, TopologySchema, yaml.data);
    throw new TopologyError(file, locate(yaml.parsed, problems));
  }
  const tooMany = checkCountProblem(result.data);
  if (tooMany) throw new TopologyError(file, locate(yaml.parsed, [tooMany]));
  return { topology: result.data, warnings: locate(yaml.parsed, topologyWarnings(result.data)) };
}

/** Lines for the problems that are listed (finding a line walks the document). */
function locate(parsed: ParsedYaml, problems: readonly LocatedProblem[]): LocatedProblem[] {
  return problems.map((problem, i) => {
    if (problem.line !== undefined || i >= MAX_LISTED_PROBLEMS) return problem;
    // A problem of the whole (empty) document is at its first line.
    return { ...problem, line: lineOf(parsed, problem.segments) ?? 1 };
  });
}
