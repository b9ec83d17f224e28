import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderReportHtml } from '../../src/ops/report-html.js';
import { cellState, HISTORY_MS, NAMES, NOW, RECOVERED_OUTAGE, reportChecks } from './fixtures.js';

const TRACK_WIDTH = 720;
const SOURCE = 'network-check-source@worker-0';
const HOSTILE = `<img src=x onerror=alert(1)>"'&`;
/** Every element the report may contain: anything else came from the data. */
const ALLOWED_TAGS = new Set([
  'html',
  'head',
  'meta',
  'title',
  'style',
  'body',
  'h1',
  'h2',
  'p',
  'section',
  'div',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'span',
  'ul',
  'li',
  'svg',
  'rect',
  'line',
  'text',
]);

const ALLOWED_ATTRIBUTES = [
  'charset',
  'class',
  'colspan',
  'content',
  'height',
  'http-equiv',
  'id',
  'lang',
  'name',
  'rowspan',
  'scope',
  'style',
  'text-anchor',
  'title',
  'viewBox',
  'width',
  'x',
  'x1',
  'x2',
  'y',
  'y1',
  'y2',
];

const render = (checks = reportChecks()) => renderReportHtml(checks, { now: NOW, subject: 'namespace p2pnc' });

function timelineRow(html: string, check: string): string {
  const row = new RegExp(`<tr data-check="${check}"[^>]*>[\\s\\S]*?</tr>`).exec(html)?.[0];
  assert.ok(row, `no timeline row for ${check}`);
  return row;
}

function rects(row: string, cssClass: string): { x: number; width: number }[] {
  return [...row.matchAll(new RegExp(`<rect class="${cssClass}" x="([\\d.]+)" y="0" width="([\\d.]+)"`, 'g'))].map(
    (match) => ({ x: Number(match[1]), width: Number(match[2]) }),
  );
}

/** Names of the attributes in the markup, other than data-*; text and values escape `<` and `"`, so tags are all `<...>`. */
function attributeNames(html: string): string[] {
  const tags = [...html.matchAll(/<[a-zA-Z][^>]*>/g)].map((match) => match[0]);
  const names = tags.flatMap((tag) => [...tag.matchAll(/\s([^\s=>"]+)(?:="[^"]*")?/g)].map((match) => match[1]!));
  return [...new Set(names)].filter((name) => !name.startsWith('data-')).sort();
}

const at = (minute: number) => (minute * 60_000 * TRACK_WIDTH) / HISTORY_MS;

describe('report HTML', () => {
  test('the matrix has a row per source, a column per target and node, and a cell per pair in its state', () => {
    const html = render();
    assert.deepEqual(
      [...html.matchAll(/<th class="source" scope="row">([^<]+)<span class="node">([^<]+)<\/span>/g)].map(
        (match) => `${match[1]} on ${match[2]}`,
      ),
      ['mesh on 10.0.1.11', 'mesh on worker-0', 'network-check-source on worker-0'],
    );
    assert.deepEqual(
      [...html.matchAll(/<th class="target" colspan="(\d+)"[^>]*>([^<]+)</g)].map(
        (match) => `${match[2]} x${match[1]}`,
      ),
      [
        'apiserver x2',
        'etcd x2',
        'kubernetes-default-service-cluster x1',
        'load-balancer-api-external x1',
        'network-check-target x5',
      ],
    );
    assert.equal(cellState(html, SOURCE, 'apiserver@master-0'), 'reachable');
    assert.equal(cellState(html, SOURCE, 'apiserver@master-1'), 'unreachable');
    assert.equal(cellState(html, SOURCE, 'etcd@master-0'), 'reachable');
    assert.equal(cellState(html, SOURCE, 'etcd@master-1'), 'pending');
    assert.equal(cellState(html, SOURCE, 'kubernetes-default-service-cluster'), 'unknown');
    assert.equal(cellState(html, SOURCE, 'load-balancer-api-external'), 'stale');
    assert.equal(cellState(html, 'mesh@10.0.1.11', 'network-check-target@master-0'), 'invalid');
    assert.equal(cellState(html, 'mesh@10.0.1.11', 'apiserver@master-0'), 'none');
  });

  test('a cell shows the latency and, on hover, each of its checks with the last message', () => {
    const html = render();
    const cell =
      /<td class="cell[^"]*" data-source="network-check-source@worker-0" data-target="apiserver@master-0"[^>]*title="([^"]*)">([^<]*)<span class="count">×2<\/span>/.exec(
        html,
      );
    assert.ok(cell, 'the IPv4 and IPv6 checks share one cell');
    assert.equal(cell[2], '1.1 ms', 'the slower of the two newest latencies');
    const title = cell[1]!.split('&#10;');
    assert.ok(title.includes(`${NAMES.reachable}: reachable`), title.join('\n'));
    assert.ok(title.includes(`${NAMES.reachableIpv6}: reachable`), title.join('\n'));
    assert.ok(title.includes('apiserver-master-0-ipv6: tcp connection to [fd00::10]:6443 succeeded'), title.join('\n'));
    const down = /data-target="apiserver@master-1" data-state="unreachable"[^>]*title="([^"]*)">down</.exec(html);
    assert.ok(down, 'the unreachable cell says down');
    assert.match(down[1]!, /connect: connection refused&#10;outage open since 2021-01-13 20:20:00 UTC$/);
  });

  test('each timeline spans the history from the oldest result to now, with outages and failed probes in place', () => {
    const html = render();
    const recovered = timelineRow(html, NAMES.recovered);
    const closed = rects(recovered, 'outage');
    assert.equal(closed.length, 1);
    assert.equal(closed[0]!.x, at(RECOVERED_OUTAGE.startMinute));
    assert.equal(closed[0]!.width, at(RECOVERED_OUTAGE.endMinute - RECOVERED_OUTAGE.startMinute));
    assert.equal(
      (recovered.match(/<line class="failure"/g) ?? []).length,
      RECOVERED_OUTAGE.endMinute - RECOVERED_OUTAGE.startMinute,
    );

    const unreachable = timelineRow(html, NAMES.unreachable);
    const open = rects(unreachable, 'outage open');
    assert.deepEqual(open, [{ x: at(20), width: TRACK_WIDTH - at(20) }], 'an open outage runs to now');
    assert.equal((unreachable.match(/<line class="failure"/g) ?? []).length, 10);
    assert.match(
      unreachable,
      /<title>outage 2021-01-13 20:20:00 UTC to now \(open\)\nConnectivity outage detected at 2021-01-13T20:20:00Z<\/title>/,
    );

    // 30 probes, of which the status keeps the newest 20: the first 10 minutes are before its history.
    assert.deepEqual(rects(timelineRow(html, NAMES.reachable), 'no-history'), [{ x: 0, width: at(10) }]);
    assert.deepEqual(rects(timelineRow(html, NAMES.neverProbed), 'no-history'), [{ x: 0, width: TRACK_WIDTH }]);
    assert.doesNotMatch(timelineRow(html, NAMES.neverProbed), /<line /);
  });

  test('the page is self-contained: no script, no reference to anything outside it', () => {
    const html = render();
    assert.deepEqual(attributeNames(html), ALLOWED_ATTRIBUTES, 'no src, href or event handler');
    assert.doesNotMatch(html, /@import|url\(|<script|<link|<iframe|<object|<embed/i);
    assert.match(
      html,
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">/,
    );
  });

  test('names and messages from the cluster are escaped everywhere', () => {
    const checks = reportChecks(NOW, (planned) => {
      if (planned.name === NAMES.unreachable)
        return {
          ...planned,
          name: `x-to-${HOSTILE}`,
          spec: { ...planned.spec, target: { ...planned.spec.target!, name: HOSTILE, node: HOSTILE } },
        };
      if (planned.name === NAMES.reachable)
        return {
          ...planned,
          spec: { ...planned.spec, source: { name: HOSTILE, node: '</style><script>alert(2)</script>' } },
        };
      return planned;
    });
    assert.ok(
      checks.some((check) => check.status?.failures?.[0]?.message?.startsWith(`${HOSTILE}: `)),
      'a probe message carries the hostile label',
    );
    const html = render(checks);
    const tags = new Set([...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)/g)].map((match) => match[1]!.toLowerCase()));
    assert.deepEqual(
      [...tags].filter((tag) => !ALLOWED_TAGS.has(tag)),
      [],
    );
    assert.deepEqual(attributeNames(html), ALLOWED_ATTRIBUTES, 'no attribute but those of the report');
    assert.equal(html.match(/<\/style>/g)?.length, 1);
    assert.ok(
      html.includes('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;'),
      'the hostile name is shown, escaped',
    );
    assert.ok(html.includes('&lt;/style&gt;&lt;script&gt;alert(2)&lt;/script&gt;'));
  });

  test('the same checks and time give the same bytes', () => {
    assert.equal(render(), render(reportChecks().reverse()));
  });

  test('no checks: the page says so instead of drawing empty tables', () => {
    const html = renderReportHtml([], { now: NOW });
    assert.match(html, /<p class="empty">No checks\.<\/p>/);
    assert.match(html, /<p class="empty">No probe results yet\.<\/p>/);
    assert.match(html, /0 checks/);
  });
});
