/** The edge of every entry point (the CLI, cdk8s's app): user errors print one clear message and exit non-zero; stack traces only with P2PNC_DEBUG=1. */
import { UserError } from './errors.js';

export function reportError(error: unknown): number {
  if (error instanceof UserError) {
    process.stderr.write(`error: ${error.message}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message}\n`);
  if (process.env.P2PNC_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  else process.stderr.write('(this looks like a bug in p2pnc; run with P2PNC_DEBUG=1 for details and report it)\n');
  return 1;
}

export function runOrExit(action: () => unknown | Promise<unknown>): void {
  Promise.resolve()
    .then(action)
    .catch((error: unknown) => {
      process.exitCode = reportError(error);
    });
}
