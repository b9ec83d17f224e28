// The lookups diagnose uses instead of scanning every row: each gives exactly the rows a scan would, in row order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sourceKey, toRows, type CheckRow } from '../../src/ops/matrix.js';
import { RowIndex } from '../../src/ops/row-index.js';
import { checksOf, meshTopology, openshiftTopology } from './support.js';

const names = (rows: readonly CheckRow[]) => rows.map((row) => row.check);

for (const [order, arrange] of [
  ['sorted rows', (rows: CheckRow[]) => rows],
  [
    'interleaved sources',
    (rows: CheckRow[]) => rows.filter((_, i) => i % 2 === 0).concat(rows.filter((_, i) => i % 2 === 1)),
  ],
] as const) {
  test(`every lookup returns what a scan of the rows returns, in the same order (${order})`, () => {
    const rows = arrange([...toRows(checksOf(meshTopology())), ...toRows(checksOf(openshiftTopology()))]);
    const index = new RowIndex(rows);
    const scan = (keep: (row: CheckRow) => boolean) => names(rows.filter(keep));
    for (const target of new Set(rows.map((row) => row.target.name)))
      assert.deepEqual(
        names(index.ofTarget(target)),
        scan((row) => row.target.name === target),
      );
    for (const node of new Set(rows.flatMap((row) => row.target.node ?? [])))
      assert.deepEqual(
        names(index.toNode(node)),
        scan((row) => row.target.node === node),
      );
    for (const name of new Set(rows.map((row) => row.dnsName)))
      assert.deepEqual(
        names(index.withDnsName(name)),
        scan((row) => row.dnsName === name),
      );
    const sources = [...new Set(rows.map((row) => sourceKey(row.source)))];
    assert.ok(sources.length >= 4);
    for (const keys of [new Set([sources[0]!]), new Set([sources[3]!, sources[1]!]), new Set(sources)]) {
      assert.deepEqual(
        names(index.ofSources(keys)),
        scan((row) => keys.has(sourceKey(row.source))),
        [...keys].join(', '),
      );
    }
    assert.deepEqual(index.ofTarget('no-such-target'), []);
  });
}
