#!/usr/bin/env node
// Measures `p2pnc target` memory: RSS idle, then after N sequential GETs, each on a new connection as probes make
// them. Usage: node scripts/image/measure-target.mjs [requests=1000] [entry=build/bundle/p2pnc.mjs]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createInterface } from 'node:readline';

const requests = Number(process.argv[2] ?? 1000);
const entry = process.argv[3] ?? new URL('../../build/bundle/p2pnc.mjs', import.meta.url).pathname;
const child = spawn(process.execPath, [entry, 'target', '--port', '0', '--host', '127.0.0.1'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port = await new Promise((resolve) => {
  createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line).port));
});

function memory() {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return {
    rssMiB: +(kib('VmRSS') / 1024).toFixed(1),
    anonMiB: +(kib('RssAnon') / 1024).toFixed(1),
    peakMiB: +(kib('VmHWM') / 1024).toFixed(1),
  };
}

function get() {
  return new Promise((resolve, reject) => {
    request({ port, host: '127.0.0.1', path: '/', agent: false }, (res) => res.resume().on('end', resolve))
      .on('error', reject)
      .end();
  });
}

await new Promise((resolve) => setTimeout(resolve, 1000));
const idle = memory();
const cpuBefore = readCpuMs();
const started = performance.now();
for (let i = 0; i < requests; i += 1) await get();
const elapsedMs = performance.now() - started;
const loaded = memory();
const cpuMs = readCpuMs() - cpuBefore;
child.kill('SIGTERM');
console.log(
  JSON.stringify({
    entry,
    idle,
    afterRequests: { requests, ...loaded },
    elapsedMs: Math.round(elapsedMs),
    targetCpuMs: cpuMs,
  }),
);

/** utime + stime of the target from /proc/<pid>/stat, in ms (assumes 100 clock ticks per second). */
function readCpuMs() {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
