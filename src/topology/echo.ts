/**
 * Safe echoes of user input in messages: never the whole of a long value, never a control character that a
 * terminal would act on (escape sequences, carriage returns, bells), never an unpaired surrogate.
 */

/** Longest text echoed as is; longer text is cut and its length said. */
export const ECHO_MAX = 60;

const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Control and invisible formatting characters written as \n, \t or \u{..}; everything else as is. */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (char) => {
    if (char === '\n') return '\\n';
    if (char === '\t') return '\\t';
    if (char === '\r') return '\\r';
    return `\\u{${char.codePointAt(0)!.toString(16)}}`;
  });
}

/** The first `max` code points of `text`, and whether it was cut. */
function head(text: string, max: number): { text: string; cut: boolean } {
  const points = Array.from(text.length > max * 2 ? text.slice(0, max * 2) : text);
  const cut = points.length > max || text.length > max * 2;
  return { text: cut ? points.slice(0, max).join('') : text, cut };
}

/** At most `max` characters of `text`, then "…" and the full length; control characters escaped. */
export function shorten(text: string, max = ECHO_MAX): string {
  const { text: start, cut } = head(text, max);
  return cut ? `${escapeControl(start)}… (${text.length} characters)` : escapeControl(start);
}

/** A string value or key as it appears in a message: quoted, shortened and escaped. */
export function quote(text: string, max = ECHO_MAX): string {
  const { text: start, cut } = head(text, max);
  const inner = escapeControl(start.replace(/[\\"]/g, (char) => `\\${char}`));
  return cut ? `"${inner}…" (${text.length} characters)` : `"${inner}"`;
}
