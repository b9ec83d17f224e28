/**
 * bench:synth: a generated 5,000-node topology (over 20,000 objects). Prints synth time and peak memory, and the
 * ratio against the floor: serializing the same objects with the YAML library alone, measured in the same run.
 * Each side runs in its own child process so peak RSS readings do not mix.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { synthesize } from '../charts/app.js';
import { TopologySchema, type Topology } from '../src/topology/schema.js';

const NODES = Number(process.env.BENCH_NODES ?? 5000);
const GOAL_RATIO = 1.5;
const YAML_OPTIONS = { version: '1.1', lineWidth: 0, keepUndefined: true } as const;

export function benchTopology(nodes: number): Topology {
  return TopologySchema.parse({
    cluster: 'bench',
    nodes: Array.from({ length: nodes }, (_, i) => ({
      name: `node-${String(i).padStart(5, '0')}.bench.example.com`,
      addresses: [`10.${Math.floor(i / 65536) + 16}.${Math.floor(i / 256) % 256}.${i % 256}`],
      roles: [i < 3 ? 'master' : 'worker'],
    })),
    sources: [
      { name: 'network-check-source', kind: 'Deployment' },
      { name: 'mesh', kind: 'DaemonSet', mesh: { neighbours: 3 }, targets: ['network-check-target'] },
    ],
    targets: [
      { name: 'kubernetes-apiserver-endpoint', kind: 'node', roles: ['master'], port: 6443 },
      {
        name: 'kubernetes-default-service-cluster',
        kind: 'service',
        service: { namespace: 'default', name: 'kubernetes', port: 443 },
      },
      { name: 'load-balancer-api-external', kind: 'endpoint', host: 'api.bench.example.com', port: 6443 },
      { name: 'network-check-target', kind: 'p2pnc-target' },
    ],
  });
}

interface Sample {
  ms: number;
  peakRssMiB: number;
  objects: number;
}

function child(mode: 'synth' | 'floor'): Sample {
  const out = execFileSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, mode], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Sample;
}

function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

function runChild(mode: string): void {
  const topology = benchTopology(NODES);
  const outdir = join(mkdtempSync(join(tmpdir(), 'p2pnc-bench-')), 'dist');
  let ms: number;
  let objects: number;
  if (mode === 'synth') {
    const start = performance.now();
    synthesize(topology, outdir);
    ms = performance.now() - start;
    objects = countObjects(outdir);
  } else {
    // The floor: the same objects (read back from a synth) serialized by the YAML library alone, with the options
    // that give the very same bytes (YAML 1.1, as Kubernetes parses it, no line folding).
    synthesize(topology, outdir);
    const files = readdirSync(outdir)
      .filter((file) => file !== 'kustomization.yaml')
      .map((file) => readFileSync(join(outdir, file), 'utf8'));
    const perFile = files.map((text) => parseAllDocuments(text, { version: '1.1' }).map((doc) => doc.toJS()));
    objects = perFile.reduce((sum, documents) => sum + documents.length, 0);
    const start = performance.now();
    const texts = perFile.map((documents) =>
      documents.map((document) => stringify(document, YAML_OPTIONS)).join('---\n'),
    );
    ms = performance.now() - start;
    texts.forEach((text, i) => {
      if (text !== files[i]) throw new Error('the floor must produce the same bytes as synth');
    });
  }
  rmSync(dirname(outdir), { recursive: true, force: true });
  console.log(JSON.stringify({ ms, peakRssMiB: peakRssMiB(), objects } satisfies Sample));
}

function countObjects(dir: string): number {
  return readdirSync(dir).reduce(
    (sum, file) => sum + (readFileSync(join(dir, file), 'utf8').match(/^kind: /gm)?.length ?? 0),
    0,
  );
}

const mode = import.meta.url === `file://${process.argv[1]}` ? process.argv[2] : undefined;
if (mode === 'synth' || mode === 'floor') runChild(mode);
else if (mode === undefined && import.meta.url === `file://${process.argv[1]}`) {
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const synth: Sample[] = [];
  const floor: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    floor.push(child('floor'));
    synth.push(child('synth'));
  }
  const best = (samples: Sample[]) => samples.reduce((a, b) => (a.ms <= b.ms ? a : b));
  const s = best(synth);
  const f = best(floor);
  const ratio = s.ms / f.ms;
  console.log(`bench:synth  ${NODES} nodes, ${s.objects} objects (best of ${runs})`);
  console.log(`  p2pnc synth          ${s.ms.toFixed(0).padStart(7)} ms   peak RSS ${s.peakRssMiB.toFixed(0)} MiB`);
  console.log(`  floor: yaml only     ${f.ms.toFixed(0).padStart(7)} ms`);
  console.log(`  ratio synth / floor  ${ratio.toFixed(2)}   (goal <= ${GOAL_RATIO})`);
  console.log(ratio <= GOAL_RATIO ? 'goal met' : 'goal missed');
}
