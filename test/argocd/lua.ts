/** Runs an Argo CD health script with a real Lua 5.1 interpreter (Argo CD embeds gopher-lua, a Lua 5.1). */
import { spawnSync } from 'node:child_process';

export interface HealthStatus {
  status: string;
  message: string;
}

/** A Lua literal of a JSON value, as Argo CD hands objects to scripts: maps and lists become tables, null nil. */
export function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot express ${value} in Lua`);
    return String(value);
  }
  if (typeof value === 'string') return luaString(value);
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  if (typeof value === 'object') {
    const fields = Object.entries(value as Record<string, unknown>).filter(([, child]) => child !== undefined);
    return `{${fields.map(([key, child]) => `[${luaString(key)}] = ${toLua(child)}`).join(', ')}}`;
  }
  throw new Error(`cannot express a ${typeof value} in Lua`);
}

/** Printable ASCII as is; quotes, backslashes and every other byte of the UTF-8 text as a 3-digit decimal escape. */
export function luaString(text: string): string {
  let out = '"';
  for (const byte of Buffer.from(text, 'utf8')) {
    out +=
      byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c
        ? String.fromCharCode(byte)
        : `\\${String(byte).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/**
 * Evaluates `script` on `object` the way Argo CD does: `obj` is the object, the script's return value is the health.
 * The script sees only what Argo CD opens for health scripts from argocd-cm: the base library and `table` (and
 * `package`, whose loaders cannot reach anything here). No `string`, `math`, `io` or `os`: a script that calls
 * string.format works in plain Lua and fails in Argo CD, so it fails here too.
 */
export function runHealthScript(script: string, object: unknown, lua = 'lua5.1'): HealthStatus {
  const program = `
local write = io.write
local chunk, err = loadstring(${luaString(script)}, "=health.lua")
if not chunk then io.stderr:write("syntax: ", err) os.exit(3) end
local env = { obj = ${toLua(object)}, ipairs = ipairs, pairs = pairs, next = next, type = type, tostring = tostring,
  tonumber = tonumber, select = select, error = error, pcall = pcall, assert = assert, unpack = unpack,
  table = table }
setfenv(chunk, env)
local ok, hs = pcall(chunk)
if not ok then io.stderr:write("runtime: ", tostring(hs)) os.exit(4) end
if type(hs) ~= "table" then io.stderr:write("the script returned ", type(hs), ", not a table") os.exit(5) end
write(tostring(hs.status), "\\n", tostring(hs.message))
`;
  const result = spawnSync(lua, ['-'], { input: program, encoding: 'utf8' });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${lua} exited with ${result.status}: ${result.stderr.trim()}`);
  const newline = result.stdout.indexOf('\n');
  return { status: result.stdout.slice(0, newline), message: result.stdout.slice(newline + 1) };
}
