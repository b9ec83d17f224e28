import type { Command } from 'commander';
import { addExamples } from '../help.js';

/** The topology's JSON Schema, for editor completion (e.g. `# yaml-language-server: $schema=topology.schema.json`). */
export async function topologyJsonSchema(): Promise<Record<string, unknown>> {
  const [{ z }, { TopologySchema }] = await Promise.all([import('zod'), import('../../topology/schema.js')]);
  return { ...z.toJSONSchema(TopologySchema, { io: 'input', unrepresentable: 'any' }), title: 'p2pnc topology' };
}

export function registerSchemaCommand(program: Command): void {
  const command = program
    .command('schema')
    .description("Print the topology file's JSON Schema (for editor completion and validation)")
    .action(async () => {
      process.stdout.write(`${JSON.stringify(await topologyJsonSchema(), null, 2)}\n`);
    });
  addExamples(command, [
    'p2pnc schema > topology.schema.json   # then: # yaml-language-server: $schema=./topology.schema.json',
  ]);
}
