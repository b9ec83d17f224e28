import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { synthesize } from '../../charts/app.js';
import { TopologySchema, type TopologyInput } from '../../src/topology/schema.js';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
};

export function synthToTemp(input: TopologyInput): { dir: string; files: Map<string, string>; objects: K8sObject[] } {
  const dir = join(mkdtempSync(join(tmpdir(), 'p2pnc-synth-')), 'dist');
  synthesize(TopologySchema.parse(input), dir);
  return { dir, ...readDist(dir) };
}

export function readDist(dir: string): { files: Map<string, string>; objects: K8sObject[] } {
  const files = new Map(
    readdirSync(dir)
      .sort()
      .map((file) => [file, readFileSync(join(dir, file), 'utf8')]),
  );
  const objects = [...files]
    .filter(([file]) => file !== 'kustomization.yaml')
    .flatMap(([, text]) => parseAllDocuments(text).map((doc) => doc.toJS() as K8sObject));
  return { files, objects };
}
