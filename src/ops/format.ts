/** Text output shared by the operator commands: ages, aligned tables and optional ANSI colour. */

export type Tone = 'good' | 'bad' | 'warn' | 'dim' | 'bold';

export interface Palette {
  paint(text: string, tone: Tone | undefined): string;
}

const CODES: Record<Tone, [number, number]> = {
  good: [32, 39],
  bad: [31, 39],
  warn: [33, 39],
  dim: [2, 22],
  bold: [1, 22],
};

export const PLAIN: Palette = { paint: (text) => text };
export const ANSI: Palette = {
  paint: (text, tone) => (tone && text !== '' ? `\u001b[${CODES[tone][0]}m${text}\u001b[${CODES[tone][1]}m` : text),
};

/**
 * Colour only for a terminal: never when NO_COLOR is set (no-color.org), always when FORCE_COLOR is set to
 * anything but 0 or false, else when stdout is a TTY.
 */
export function wantsColour(env: NodeJS.ProcessEnv, isTty: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return !['0', 'false'].includes(force.toLowerCase());
  return isTty;
}

/** The palette for this process's stdout: colour on a terminal unless NO_COLOR, or when FORCE_COLOR asks. */
export function stdoutPalette(): Palette {
  return wantsColour(process.env, process.stdout.isTTY === true) ? ANSI : PLAIN;
}

/** Age as kubectl prints it: 45s, 12m, 5h, 3d, 2y. */
export function age(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 730) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
}

export interface Cell {
  text: string;
  tone?: Tone;
}

/** Columns padded to their widest cell, separated by three spaces, no trailing blanks; colour after padding. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly (Cell | string)[])[],
  palette: Palette,
): string {
  const cells = rows.map((row) => row.map((cell) => (typeof cell === 'string' ? { text: cell } : cell)));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...cells.map((row) => row[column]?.text.length ?? 0)),
  );
  const line = (row: readonly Cell[]) =>
    row
      .map((cell, column) => {
        const padded = column === row.length - 1 ? cell.text : cell.text.padEnd(widths[column]!);
        return cell.tone ? palette.paint(cell.text, cell.tone) + padded.slice(cell.text.length) : padded;
      })
      .join('   ')
      .trimEnd();
  return [line(headers.map((text) => ({ text }))), ...cells.map(line)].map((text) => `${text}\n`).join('');
}
