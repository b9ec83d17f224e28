// The Grafana dashboard in examples/grafana: generated from code, laid out without overlaps, and every query is
// PromQL that promtool parses over metrics the source exports.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { dashboard, dashboardQueries, type DashboardPanel } from '../../src/monitoring/dashboard.js';
import { SourceMetrics } from '../../src/runtime/source/metrics.js';
import { matchFile } from '../helpers/snapshot.js';
import { haveTool } from '../helpers/tools.js';

const FILE = join(import.meta.dirname, '../../examples/grafana/p2pnc-dashboard.json');
const board = dashboard();
const panels = board.panels as DashboardPanel[];

/** Grafana's variables as a user would pick them, so the queries become plain PromQL. */
const asPromQL = (expr: string) =>
  expr
    .replaceAll('$namespace', 'p2pnc')
    .replaceAll('$source', '.*')
    .replaceAll('$__rate_interval', '2m')
    .replaceAll('$__range', '6h');

describe('Grafana dashboard', () => {
  test('examples/grafana/p2pnc-dashboard.json is generated from src/monitoring/dashboard.ts', () => {
    matchFile(FILE, `${JSON.stringify(board, null, 2)}\n`, 'examples/grafana/p2pnc-dashboard.json');
  });

  test('panels have unique ids and tile the 24-column grid without overlapping', () => {
    assert.equal(new Set(panels.map((panel) => panel.id)).size, panels.length);
    const cells = new Set<string>();
    for (const { title, gridPos } of panels) {
      assert.ok(gridPos.x >= 0 && gridPos.x + gridPos.w <= 24, title);
      for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++)
        for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
          assert.ok(!cells.has(`${x},${y}`), `${title} overlaps another panel at ${x},${y}`);
          cells.add(`${x},${y}`);
        }
    }
  });

  test('queries use only metrics the source exports, in the chosen namespace', async () => {
    const metrics = new SourceMetrics(false);
    metrics.observe(
      { time: new Date(), success: true, latencyMs: 2, reason: 'TCPConnect', message: 'ok' },
      { source: 's', targetKind: 'node', check: 'c' },
    );
    metrics.setOpenOutages('s', 0);
    metrics.setChecks('s', 1);
    metrics.setStaleChecks('s', 0);
    metrics.setDegradedChecks('s', 0);
    metrics.setLoss({ source: 's', targetKind: 'node', check: 'c' }, { probes: 10, failed: 1 });
    metrics.countWrite('s', 'success');
    const exported = new Set(
      [...(await metrics.registry.metrics()).matchAll(/^(p2pnc_\w+)\{/gm)].map((match) => match[1]),
    );
    for (const expr of dashboardQueries()) {
      for (const [, name] of expr.matchAll(/\b(p2pnc_\w+)\{([^}]*)\}/g))
        assert.ok(exported.has(name), `${name} is not exported (in ${expr})`);
      for (const [, , selector] of expr.matchAll(/\b(p2pnc_\w+)\{([^}]*)\}/g))
        assert.match(selector!, /namespace="\$namespace"/, expr);
    }
  });

  test('every query parses (promtool check rules on them as recording rules)', (t) => {
    if (!haveTool(t, 'promtool', 'prometheus')) return;
    const work = mkdtempSync(join(tmpdir(), 'p2pnc-dashboard-'));
    after(() => rmSync(work, { recursive: true, force: true }));
    const rules = dashboardQueries().map((expr, index) => ({
      record: `p2pnc:dashboard_query_${index + 1}`,
      expr: asPromQL(expr),
    }));
    writeFileSync(join(work, 'queries.yaml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
    const result = spawnSync('promtool', ['check', 'rules', join(work, 'queries.yaml')], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });
});
