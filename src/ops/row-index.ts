/**
 * Check rows looked up by target, target node, source and DNS name, every list in the rows' own order. The diagnose
 * rules run once per failing group; looking up the related checks instead of scanning all of them keeps a large
 * matrix (25,000 checks) linear in its size.
 */
import { sourceKey, type CheckRow } from './matrix.js';

export class RowIndex {
  private readonly position = new Map<CheckRow, number>();
  private readonly byTarget = new Map<string, CheckRow[]>();
  private readonly byTargetNode = new Map<string, CheckRow[]>();
  private readonly bySource = new Map<string, CheckRow[]>();
  private readonly byDnsName = new Map<string | undefined, CheckRow[]>();

  constructor(rows: readonly CheckRow[]) {
    rows.forEach((row, index) => {
      this.position.set(row, index);
      append(this.byTarget, row.target.name, row);
      if (row.target.node !== undefined) append(this.byTargetNode, row.target.node, row);
      append(this.bySource, sourceKey(row.source), row);
      append(this.byDnsName, row.dnsName, row);
    });
  }

  /** Checks of the target with this name, on any node. */
  ofTarget(name: string): readonly CheckRow[] {
    return this.byTarget.get(name) ?? [];
  }

  /** Checks of per-node targets on this node. */
  toNode(node: string): readonly CheckRow[] {
    return this.byTargetNode.get(node) ?? [];
  }

  /** Checks of the source with this key (sourceKey). */
  ofSource(key: string): readonly CheckRow[] {
    return this.bySource.get(key) ?? [];
  }

  /** Checks of these sources, in the rows' order. */
  ofSources(keys: ReadonlySet<string>): CheckRow[] {
    const at = (row: CheckRow) => this.position.get(row)!;
    const groups = [...keys].map((key) => this.ofSource(key)).filter((group) => group.length > 0);
    // Rows sorted by source keep each source's checks together: ordering the groups is enough, unless they interleave.
    const rows = groups.sort((a, b) => at(a[0]!) - at(b[0]!)).flat();
    return rows.every((row, index) => index === 0 || at(rows[index - 1]!) < at(row))
      ? rows
      : rows.sort((a, b) => at(a) - at(b));
  }

  /** Checks resolving this name; undefined: the checks that resolve no name. */
  withDnsName(name: string | undefined): readonly CheckRow[] {
    return this.byDnsName.get(name) ?? [];
  }
}

function append<K>(groups: Map<K, CheckRow[]>, key: K, row: CheckRow): void {
  const group = groups.get(key);
  if (group) group.push(row);
  else groups.set(key, [row]);
}
