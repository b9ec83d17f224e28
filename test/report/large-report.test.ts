/**
 * The HTML report of a large cluster stays readable and bounded: a node mesh's source x target-node matrix grows with
 * the square of the nodes, so past MAX_NODE_MATRIX_CELLS it has a column per target; past MAX_ALL_TIMELINES checks
 * only the timelines with something else than successes are drawn. Checks from the real expand(), statuses from the
 * real reducer.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CheckStatus } from '../../src/api/check.js';
import type { CheckObject } from '../../src/runtime/kube/resources.js';
import { renderReportHtml } from '../../src/ops/report-html.js';
import { MAX_ALL_TIMELINES, MAX_DRAWN_TIMELINES, MAX_NODE_MATRIX_CELLS } from '../../src/ops/report-model.js';
import { record } from '../../src/runtime/status/reducer.js';
import type { TopologyInput } from '../../src/topology/schema.js';
import { checksOf, NOW, ok, refused, timeout, withStatuses } from '../ops/support.js';

/** Enough nodes that a column per target and node would pass the cell limit (sources x columns, both ~nodes). */
const NODES = Math.ceil(Math.sqrt(MAX_NODE_MATRIX_CELLS)) + 10;
const node = (index: number) => `node-${String(index).padStart(3, '0')}`;
const DOWN = node(7);
const RECOVERED = `mesh-${node(20)}-to-network-check-target-service-cluster`;

const topology: TopologyInput = {
  cluster: 'large',
  nodes: Array.from({ length: NODES }, (_, i) => ({
    name: node(i),
    addresses: [`10.0.${Math.floor(i / 200)}.${(i % 200) + 10}`],
    roles: ['worker'],
  })),
  sources: [
    { name: 'network-check-source', kind: 'Deployment' },
    { name: 'mesh', kind: 'DaemonSet', mesh: { neighbours: 3 }, targets: ['network-check-target'] },
  ],
  targets: [{ name: 'network-check-target', kind: 'p2pnc-target' }],
};

/** The target pod on DOWN refuses (from every source probing it); one mesh check had an outage, closed since. */
function largeChecks(): CheckObject[] {
  const checks = withStatuses(checksOf(topology), { [`-to-network-check-target-${DOWN}$`]: refused });
  const recovered = checks.find((check) => check.metadata.name === RECOVERED)!;
  let status: CheckStatus | undefined;
  for (let ago = 30; ago >= 0; ago--)
    status = record(
      status,
      (ago > 20 && ago <= 23 ? timeout : ok)(recovered, new Date(NOW.getTime() - ago * 60_000)),
    ).status;
  recovered.status = status!;
  return checks;
}

function cell(html: string, source: string): { state: string; title: string[]; text: string } {
  const match = new RegExp(
    `<td class="cell[^"]*" data-source="${source}" data-target="network-check-target" data-state="([a-z]+)"[^>]*title="([^"]*)">(.*?)</td>`,
  ).exec(html);
  assert.ok(match, `no network-check-target cell for ${source}`);
  return { state: match[1]!, title: match[2]!.split('&#10;&#10;'), text: match[3]! };
}

describe('report HTML of a large cluster', () => {
  const checks = largeChecks();
  const html = renderReportHtml(checks, { now: NOW });
  const failing = checks
    .filter((check) => check.metadata.name.endsWith(`-to-network-check-target-${DOWN}`))
    .map((check) => check.metadata.name);

  test('the matrix has a column per target, each cell holding the checks on every node in the state of the worst', () => {
    assert.ok(checks.length > MAX_ALL_TIMELINES, `${checks.length} checks`);
    assert.deepEqual(
      [...html.matchAll(/<th class="target"[^>]*>([^<]+)</g)].map((match) => match[1]),
      ['network-check-target'],
    );
    assert.doesNotMatch(html, /class="target-node"/);
    assert.match(
      html,
      new RegExp(
        `<p class="note">${NODES + 1} sources × ${NODES + 1} targets and nodes is too large to draw: a column per target instead`,
      ),
    );

    const deployment = cell(html, 'network-check-source');
    assert.equal(deployment.state, 'unreachable');
    assert.match(deployment.text, new RegExp(`<span class="count">×${NODES + 1}</span>$`));
    assert.equal(deployment.title[0], `${NODES + 1} checks: ${NODES} reachable, 1 unreachable`);
    assert.equal(deployment.title.length, 2, 'only the check not reachable is listed');
    assert.match(
      deployment.title[1]!,
      new RegExp(`^network-check-source-to-network-check-target-${DOWN}: unreachable`),
    );

    const neighbour = failing.find((name) => name.startsWith('mesh-'))!.replace(/^mesh-(node-\d+)-to-.*$/, '$1');
    assert.equal(cell(html, `mesh@${neighbour}`).state, 'unreachable');
    const healthy = cell(html, `mesh@${node(100)}`);
    assert.equal(healthy.state, 'reachable');
    assert.deepEqual(healthy.title, ['4 checks: 4 reachable'], 'a reachable cell of many checks counts them');
  });

  test('only the timelines with a failure, an outage or another state than reachable are drawn, and the page says how many are not', () => {
    const drawn = [...html.matchAll(/<tr data-check="([^"]+)"/g)].map((match) => match[1]).sort();
    assert.deepEqual(drawn, [...failing, RECOVERED].sort());
    assert.match(
      html,
      new RegExp(
        `<p class="note">More than ${MAX_ALL_TIMELINES} checks: ${checks.length - drawn.length} of them, reachable with every result they keep a success, are not drawn; the ${drawn.length} with`,
      ),
    );
  });

  test('a smaller report still draws every timeline and a column per target and node', () => {
    const few = checks.filter((check) => check.spec.source?.name === 'mesh').slice(0, 200);
    const small = renderReportHtml(few, { now: NOW });
    assert.equal([...small.matchAll(/<tr data-check=/g)].length, few.length);
    assert.match(small, /<th class="target-node">node-\d+<\/th>/);
    assert.doesNotMatch(small, /too large to draw|are not drawn/);
  });
});

describe('report HTML with more eventful checks than it draws', () => {
  // Every check had an outage, closed since, at a time of its own; the target on DOWN refuses now.
  const nodes = Math.ceil(MAX_DRAWN_TIMELINES / 4) + 50;
  const big: TopologyInput = {
    ...topology,
    nodes: Array.from({ length: nodes }, (_, i) => ({
      name: node(i),
      addresses: [`10.1.${Math.floor(i / 200)}.${(i % 200) + 10}`],
      roles: ['worker'],
    })),
  };
  const failingNow = new RegExp(`-to-network-check-target-${DOWN}$`);
  const checks = checksOf(big).map((check, index) => {
    if (failingNow.test(check.metadata.name)) return withStatuses([check], { '.': refused })[0]!;
    let status: CheckStatus | undefined;
    const outageAgo = 30 + (index % 200);
    for (let ago = outageAgo + 2; ago >= 0; ago = ago === outageAgo - 2 ? 1 : ago - 1)
      status = record(
        status,
        (ago >= outageAgo - 1 && ago <= outageAgo + 1 ? timeout : ok)(check, new Date(NOW.getTime() - ago * 60_000)),
      ).status;
    return { ...check, status: status! };
  });
  const html = renderReportHtml(checks, { now: NOW });
  const drawn = new Set([...html.matchAll(/<tr data-check="([^"]+)"/g)].map((match) => match[1]!));
  const newestFailure = (check: CheckObject) =>
    Math.max(...(check.status?.failures ?? []).map((entry) => new Date(entry.time ?? 0).getTime()));

  test('the most telling are drawn: every check failing now, then the newest failures; the page says how many are not', () => {
    assert.ok(checks.length > MAX_DRAWN_TIMELINES, `${checks.length} checks`);
    assert.equal(drawn.size, MAX_DRAWN_TIMELINES);
    const failing = checks.filter((check) => failingNow.test(check.metadata.name));
    assert.ok(failing.length > 0);
    for (const check of failing) assert.ok(drawn.has(check.metadata.name), `${check.metadata.name} is failing now`);
    const recovered = checks.filter((check) => !failingNow.test(check.metadata.name));
    const oldestDrawn = Math.min(...recovered.filter((c) => drawn.has(c.metadata.name)).map(newestFailure));
    const newestLeft = Math.max(...recovered.filter((c) => !drawn.has(c.metadata.name)).map(newestFailure));
    assert.ok(oldestDrawn >= newestLeft, 'no check left out failed more recently than one drawn');
    assert.match(
      html,
      new RegExp(
        `<p class="note">Of those, the ${MAX_DRAWN_TIMELINES} most telling are drawn .*; ${checks.length - MAX_DRAWN_TIMELINES} more are not\\.`,
      ),
    );
    const rows = [...html.matchAll(/<tr data-check="([^"]+)"/g)].map((match) => match[1]!);
    const order = renderReportHtml(
      checks.filter((check) => drawn.has(check.metadata.name)),
      { now: NOW },
    );
    assert.deepEqual(
      rows,
      [...order.matchAll(/<tr data-check="([^"]+)"/g)].map((match) => match[1]!),
      'drawn in row order',
    );
  });
});
