/**
 * Sources whose every probe to other nodes fails (on at least two nodes): their failures say more about their own
 * side than about the nodes they probe, so they never count as an independent observer of those nodes.
 */
import { sourceKey, type CheckRow } from '../../matrix.js';
import type { DiagnoseContext } from '../context.js';

export function sourcesFailingEverything(ctx: DiagnoseContext): Set<string> {
  const keys = new Set<string>();
  for (const key of ctx.sources.keys()) {
    const offNode = offNodeRows(ctx, key);
    const nodes = new Set(offNode.map((row) => row.target.node));
    if (nodes.size >= 2 && offNode.every((row) => ctx.isFailing(row))) keys.add(key);
  }
  return keys;
}

/** A source's live probes of per-node targets on other nodes than its own, invalid ones left out. */
export function offNodeRows(ctx: DiagnoseContext, key: string): CheckRow[] {
  return ctx.index
    .ofSource(key)
    .filter((row) => row.target.node !== undefined && row.state !== 'invalid' && !ctx.isSelf(row));
}

/**
 * Whether a node is shown up by someone other than `except`'s node: a probe from elsewhere gets through to it, or a
 * source running on it gets through to another node.
 */
export function nodeShownUp(ctx: DiagnoseContext, node: string, exceptNode: string | undefined): CheckRow[] {
  const reached = ctx.index
    .toNode(node)
    .filter(
      (row) => !ctx.isSelf(row) && ctx.getsThrough(row) && (exceptNode === undefined || ctx.runsOn(row) !== exceptNode),
    );
  if (reached.length > 0) return reached;
  for (const key of ctx.sourcesOn(node)) {
    const out = offNodeRows(ctx, key).filter((row) => ctx.getsThrough(row) && row.target.node !== exceptNode);
    if (out.length > 0) return out;
  }
  return [];
}

export function keyOf(row: CheckRow): string {
  return sourceKey(row.source);
}
