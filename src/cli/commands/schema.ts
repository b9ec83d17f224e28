import type { Command } from 'commander';
import { z } from 'zod';
import { TopologySchema } from '../../topology/schema.js';

/** The topology's JSON Schema, for editor completion (e.g. `# yaml-language-server: $schema=topology.schema.json`). */
export function topologyJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(TopologySchema, { io: 'input', unrepresentable: 'any' }),
    title: 'p2pnc topology',
  };
}

export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .description("Print the topology file's JSON Schema (for editor completion and validation)")
    .action(() => {
      process.stdout.write(`${JSON.stringify(topologyJsonSchema(), null, 2)}\n`);
    });
}
