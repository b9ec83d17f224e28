/**
 * The HTML report as a person sees it: `p2pnc report` writes it from a `kubectl get pncc -o json` file whose statuses
 * the real reducer made, headless Chromium renders it, and the screenshot's pixels are checked where the layout puts
 * each cell: green where a pair is reachable, red where it is down, grey where it was never probed, each the colour
 * the legend gives, and the outage spans of the timeline red and where the outages were.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { capturedAt } from '../../src/ops/checks-file.js';
import { CHROMIUM, CHROMIUM_PACKAGE, measure, screenshot, type Box } from '../helpers/chromium.js';
import { decodePng, type Image } from '../helpers/png.js';
import { haveTool } from '../helpers/tools.js';
import { HISTORY_MS, NAMES, RECOVERED_OUTAGE, reportChecks } from './fixtures.js';

type Rgb = [number, number, number];

const VIEWPORT = { width: 1400, height: 1300 };
const SOURCE = 'network-check-source@worker-0';

test(
  'the rendered report shows each pair in the colour of its state and each outage where it happened',
  { timeout: 180_000 },
  async (t) => {
    if (!haveTool(t, CHROMIUM, CHROMIUM_PACKAGE)) return;
    const directory = mkdtempSync(join(tmpdir(), 'p2pnc-report-'));
    let passed = false;
    try {
      const checksFile = join(directory, 'checks.json');
      const reportFile = join(directory, 'report.html');
      const pngFile = join(directory, 'report.png');
      const now = new Date();
      const checks = reportChecks(now);
      writeFileSync(checksFile, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: checks }, null, 2));
      execFileSync(process.execPath, ['bin/p2pnc.js', 'report', '--html', reportFile, '--from-file', checksFile], {
        stdio: 'pipe',
      });

      await screenshot(reportFile, pngFile, VIEWPORT);
      const image = decodePng(readFileSync(pngFile));
      assert.deepEqual([image.width, image.height], [VIEWPORT.width, VIEWPORT.height]);
      const boxes = await measure(reportFile, 'td.cell, [data-legend], svg.track, rect.outage', VIEWPORT);

      const legend = (key: string) =>
        colourOf(
          image,
          find(boxes, (data) => data.legend === key, `legend ${key}`),
        );
      const cell = (target: string, source = SOURCE) =>
        colourOf(
          image,
          find(boxes, (data) => data.source === source && data.target === target, `cell ${source} -> ${target}`),
        );

      const reachable = cell('apiserver@master-0');
      const reachableSlower = cell('etcd@master-0');
      const unreachable = cell('apiserver@master-1');
      const neverProbed = cell('etcd@master-1');
      const stale = cell('load-balancer-api-external');
      const noCheck = cell('apiserver@master-0', 'mesh@10.0.1.11');
      t.diagnostic(
        `screenshot ${pngFile}: reachable ${hex(reachable)}, reachable 15 ms ${hex(reachableSlower)}, unreachable ${hex(unreachable)}, never probed ${hex(neverProbed)}, stale ${hex(stale)}, no check ${hex(noCheck)}`,
      );

      assert.ok(isGreen(reachable), `reachable cell is ${hex(reachable)}, not green`);
      assert.ok(isGreen(reachableSlower), `reachable cell at 15 ms is ${hex(reachableSlower)}, not green`);
      assert.ok(isRed(unreachable), `unreachable cell is ${hex(unreachable)}, not red`);
      assert.ok(isGrey(neverProbed), `never-probed cell is ${hex(neverProbed)}, not grey`);
      assert.ok(isGrey(stale), `stale cell is ${hex(stale)}, not grey`);
      assert.ok(
        noCheck.every((channel) => channel > 245),
        `a pair without a check is ${hex(noCheck)}, not blank`,
      );

      // The legend explains each cell, and the shades tell the states and latencies apart.
      assert.deepEqual(reachable, legend('reachable-0'));
      assert.deepEqual(reachableSlower, legend('reachable-2'));
      assert.deepEqual(unreachable, legend('unreachable'));
      assert.deepEqual(neverProbed, legend('pending'));
      assert.deepEqual(stale, legend('stale'));
      assert.deepEqual(cell('kubernetes-default-service-cluster'), legend('unknown'));
      assert.deepEqual(cell('network-check-target@master-0', 'mesh@10.0.1.11'), legend('invalid'));
      assert.ok(distance(reachable, reachableSlower) > 40, 'latency shading is not visible');
      assert.ok(distance(neverProbed, stale) > 40, 'stale and never probed look the same');

      // Outage spans: red, and placed on the common time axis: from the start of the history (HISTORY_MS before now)
      // to the time the file was saved, which is its newest entry.
      const minutes = (capturedAt(checks)!.getTime() - (now.getTime() - HISTORY_MS)) / 60_000;
      const open = spanOf(boxes, NAMES.unreachable);
      assert.ok(isRed(colourOf(image, open.box)), `the open outage is ${hex(colourOf(image, open.box))}, not red`);
      assertNear(open.from, 20 / minutes, 'start of the open outage');
      assertNear(open.to, 1, 'end of the open outage (now)');
      const closed = spanOf(boxes, NAMES.recovered);
      assert.ok(
        isRed(colourOf(image, closed.box)),
        `the closed outage is ${hex(colourOf(image, closed.box))}, not red`,
      );
      assertNear(closed.from, RECOVERED_OUTAGE.startMinute / minutes, 'start of the closed outage');
      assertNear(closed.to, RECOVERED_OUTAGE.endMinute / minutes, 'end of the closed outage');
      passed = true;
    } finally {
      if (passed) rmSync(directory, { recursive: true, force: true });
      else t.diagnostic(`report, screenshot and checks kept in ${directory}`);
    }
  },
);

function find(
  boxes: readonly Box[],
  matches: (data: Record<string, string>, classes: string[]) => boolean,
  what: string,
): Box {
  const box = boxes.find((candidate) => matches(candidate.data, candidate.classes));
  assert.ok(box, `no ${what} in the rendered page`);
  assert.ok(box.y + box.height <= VIEWPORT.height, `${what} is below the screenshot`);
  return box;
}

/** The outage box of a check's timeline, and its edges as fractions of the track. */
function spanOf(boxes: readonly Box[], check: string): { box: Box; from: number; to: number } {
  const track = find(
    boxes,
    (data, classes) => data['row.check'] === check && classes.includes('track'),
    `timeline of ${check}`,
  );
  const box = find(
    boxes,
    (data, classes) => data['row.check'] === check && classes.includes('outage'),
    `outage of ${check}`,
  );
  return { box, from: (box.x - track.x) / track.width, to: (box.x + box.width - track.x) / track.width };
}

function assertNear(actual: number, expected: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) < 0.01,
    `${what} at ${(actual * 100).toFixed(1)}% of the timeline, expected ${(expected * 100).toFixed(1)}%`,
  );
}

/** The most frequent colour inside the box, a few pixels in from its edges (text and ticks are a minority). */
function colourOf(image: Image, box: Box): Rgb {
  const counts = new Map<string, number>();
  const inset = Math.min(3, Math.floor(Math.min(box.width, box.height) / 4));
  for (let y = Math.ceil(box.y + inset); y < Math.floor(box.y + box.height - inset); y += 1) {
    for (let x = Math.ceil(box.x + inset); x < Math.floor(box.x + box.width - inset); x += 1) {
      const key = image.pixel(x, y).join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const [best] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  assert.ok(best, 'empty box');
  return best[0].split(',').map(Number) as Rgb;
}

const isGreen = ([r, g, b]: Rgb) => g > r + 30 && g > b + 30;
const isRed = ([r, g, b]: Rgb) => r > g + 80 && r > b + 80;
const isGrey = ([r, g, b]: Rgb) => Math.max(r, g, b) - Math.min(r, g, b) < 12 && r > 100 && r < 240;
const distance = (a: Rgb, b: Rgb) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
const hex = (rgb: Rgb) => `#${rgb.map((channel) => channel.toString(16).padStart(2, '0')).join('')}`;
