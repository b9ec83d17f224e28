/** One JSON object per line on stdout, the shape log collectors parse without configuration. */

export type Level = 'info' | 'warn' | 'error';

export type LogWriter = (line: string) => void;

export function logLine(
  level: Level,
  msg: string,
  fields: Record<string, unknown> = {},
  write: LogWriter = writeStdout,
): void {
  write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}

function writeStdout(line: string): void {
  process.stdout.write(line);
}
