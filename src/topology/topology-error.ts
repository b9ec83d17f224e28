/** A rejected topology: every problem with its file, line and path, the list capped so one mistake repeated never floods. */
import { UserError } from '../util/errors.js';
import { escapeControl } from './echo.js';
import type { TopologyProblem } from './issues.js';

/** Problems listed in full; the rest are counted. */
export const MAX_LISTED_PROBLEMS = 20;
/** Longest message printed for one problem. */
const MAX_MESSAGE = 480;
/** The listed problems stop before this many characters, so that the whole error stays within a screen or two. */
const MAX_LISTED_CHARS = 2400;

export interface LocatedProblem extends TopologyProblem {
  /** 1-based line in the file, when known. */
  line?: number;
}

export class TopologyError extends UserError {
  constructor(
    readonly file: string,
    readonly problems: LocatedProblem[],
  ) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    const body: string[] = [];
    let chars = 0;
    for (const problem of problems.slice(0, MAX_LISTED_PROBLEMS)) {
      const line = `  ${formatProblem(file, problem)}`;
      if (body.length > 0 && chars + line.length > MAX_LISTED_CHARS) break;
      body.push(line);
      chars += line.length + 1;
    }
    const rest = problems.length - body.length;
    if (rest > 0) body.push(`  and ${rest} more ${rest === 1 ? 'problem' : 'problems'}`);
    super(`invalid topology ${escapeControl(file)} (${count}); fix the file and run again:\n${body.join('\n')}`);
    this.name = 'TopologyError';
  }
}

/** `file:line: path: message`, the message on one line and cut to a readable length. */
export function formatProblem(file: string, problem: LocatedProblem): string {
  const message = escapeControl(problem.message);
  const short = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
  return `${escapeControl(file)}${problem.line ? `:${problem.line}` : ''}: ${problem.path}: ${short}`;
}
