// One output folder per cluster (dist/<env>), the layout the example ApplicationSet's git directory generator expects.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { readDist } from '../helpers/synth.js';
import { smallTopology } from '../helpers/topologies.js';

const EXAMPLE = join(import.meta.dirname, '../../examples/argocd/applicationset.yaml');

test('p2pnc synth -o dist/<env> builds one folder per cluster without touching the others', () => {
  const work = mkdtempSync(join(tmpdir(), 'p2pnc-envs-'));
  after(() => rmSync(work, { recursive: true, force: true }));
  mkdirSync(join(work, 'envs'));
  for (const env of ['prod', 'stage'])
    writeFileSync(join(work, 'envs', `${env}.yaml`), stringify({ ...smallTopology(), cluster: env }));
  const synth = (env: string) =>
    spawnSync(
      process.execPath,
      [join(process.cwd(), 'bin/p2pnc.js'), 'synth', '-f', `envs/${env}.yaml`, '-o', `dist/${env}`],
      { cwd: work, encoding: 'utf8' },
    );

  for (const env of ['prod', 'stage'])
    assert.equal(synth(env).status, 0, `first synth of ${env} into a repository without dist/`);
  const stageBefore = readDist(join(work, 'dist/stage')).files;
  const prod = parse(readFileSync(join(work, 'envs/prod.yaml'), 'utf8'));
  prod.targets = prod.targets.filter((target: { name: string }) => target.name !== 'etcd');
  writeFileSync(join(work, 'envs/prod.yaml'), stringify(prod));
  assert.equal(synth('prod').status, 0);

  assert.deepEqual(readDist(join(work, 'dist/stage')).files, stageBefore, 'dist/stage is untouched by a synth of prod');
  assert.ok(!readDist(join(work, 'dist/prod')).objects.some((object) => object.metadata.name.includes('-to-etcd-')));
  // What the ApplicationSet's `dist/*` directory generator sees: exactly one folder per environment.
  const folders = readdirSync(join(work, 'dist')).filter((entry) => statSync(join(work, 'dist', entry)).isDirectory());
  assert.deepEqual(folders.sort(), ['prod', 'stage']);
  for (const env of folders)
    assert.equal(parse(readFileSync(join(work, 'dist', env, 'kustomization.yaml'), 'utf8')).kind, 'Kustomization');
});

test('the example ApplicationSet makes one Application per dist/<env> folder, synced to the cluster of that name', () => {
  const set = parse(readFileSync(EXAMPLE, 'utf8'));
  assert.deepEqual(set.spec.generators[0].git.directories, [{ path: 'dist/*' }]);
  const template = set.spec.template;
  assert.equal(template.spec.source.path, '{{.path.path}}');
  assert.equal(template.spec.destination.name, '{{.path.basename}}');
  // Folder names may hold what an object name cannot (prod_eu1): Argo CD's normalized basename is a valid name.
  assert.equal(template.metadata.name, 'p2pnc-{{.path.basenameNormalized}}');
  assert.equal(
    template.spec.source.repoURL,
    set.spec.generators[0].git.repoURL,
    'the generator and the source read the same repository',
  );
});
