/** What a command of the bundled CLI can load, read from esbuild's metafile (the bundle's inputs and their imports). */

export interface Metafile {
  inputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
}

export const BUNDLE_ENTRY = 'scripts/image/entry.ts';
export const commandModule = (command: string) => `src/cli/commands/${command}.ts`;

/**
 * The inputs the given commands can load: the entry's static imports (every command loads them), transitively, and
 * the dynamic imports of those commands and of any module outside src/cli/. Other commands' dynamic imports (synth's
 * charts, schema's zod) are where the CLI loads what only they need, so they are not followed.
 */
export function reachableInputs(meta: Metafile, commands: readonly string[]): Map<string, string[]> {
  const followDynamic = new Set(commands.map(commandModule));
  const chains = new Map<string, string[]>([[BUNDLE_ENTRY, [BUNDLE_ENTRY]]]);
  for (const [input, chain] of chains) {
    for (const imported of meta.inputs[input]?.imports ?? []) {
      if (imported.external || chains.has(imported.path)) continue;
      if (imported.kind === 'dynamic-import' && input.startsWith('src/cli/') && !followDynamic.has(input)) continue;
      chains.set(imported.path, [...chain, imported.path]);
    }
  }
  return chains;
}

/** The import chains, from the entry, to inputs matching `pattern` (the first few). */
export function chainsTo(reachable: Map<string, string[]>, pattern: RegExp, limit = 5): string[] {
  return [...reachable]
    .filter(([input]) => pattern.test(input))
    .slice(0, limit)
    .map(([, chain]) => chain.join(' -> '));
}
