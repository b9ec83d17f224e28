/** The imported topology as YAML in the style of the repository's topology.yaml: one line per node, short lists inline. */
import { Document, isCollection, isMap, isPair, isScalar, isSeq, visit } from 'yaml';
import type { TopologyInput } from '../../topology/schema.js';

/** Keys whose values read best on one line. */
const INLINE = new Set(['addresses', 'roles', 'labels', 'targets', 'service', 'mesh', 'apiServer']);

export interface RenderOptions {
  /** The API server the facts came from. */
  server: string;
  generatedAt: Date;
  /** Printed as comments under the header so they stay with the file. */
  notes: readonly string[];
}

export function renderTopology(topology: TopologyInput, options: RenderOptions): string {
  const document = new Document(topology);
  visit(document, {
    Pair(_, pair) {
      if (
        isScalar(pair.key) &&
        INLINE.has(String(pair.key.value)) &&
        isCollection(pair.value) &&
        pair.value.items.every((item) => isScalar(item) || (isPair(item) && isScalar(item.value)))
      ) {
        pair.value.flow = true;
      }
    },
  });
  const root = document.contents;
  if (isMap(root)) {
    for (const pair of root.items)
      if (isScalar(pair.key) && ['nodes', 'sources', 'targets'].includes(String(pair.key.value)))
        pair.key.spaceBefore = true;
  }
  const nodes = document.get('nodes');
  if (isSeq(nodes)) for (const node of nodes.items) if (isMap(node)) node.flow = true;
  const header = [
    `# p2pnc topology imported by \`p2pnc import\` from ${options.server} at ${options.generatedAt.toISOString().replace(/\.\d+Z$/, 'Z')}.`,
    '# A starting point: edit freely, then run `p2pnc synth -f <this file> -o dist`. Reference: README.md#the-topology-file.',
    ...options.notes.map((note) => `# note: ${note}`),
  ];
  return `${header.join('\n')}\n${document.toString({ lineWidth: 0, flowCollectionPadding: false })}`;
}
