// Compatibility with OpenShift: the status p2pnc writes must be accepted, unpruned, by OpenShift's own CRD schema
// (found by test/helpers/reference.ts) once the object's apiVersion names OpenShift's group. The reference CRD is
// installed in the test API server next to p2pnc's (same kind, another group), so the real kube-apiserver does the validating.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { OPENSHIFT_CRD, referenceFile } from '../helpers/reference.js';
import type { Cluster } from './harness.js';

/** Server-set metadata: a copy of a check keeps only what a user could have written. */
const SERVER_SET_METADATA = [
  'resourceVersion',
  'uid',
  'managedFields',
  'creationTimestamp',
  'generation',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

interface OpenShiftCrd {
  name: string;
  apiVersion: string;
  /** Fully qualified resource, so kubectl never resolves p2pnc's kind of the same name instead. */
  resource: string;
}

interface CheckCopy {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; [key: string]: unknown };
  spec?: unknown;
  status?: unknown;
}

function readOpenShiftCrd(): OpenShiftCrd & { manifest: string } {
  const file = referenceFile(OPENSHIFT_CRD);
  const manifest = readFileSync(file, 'utf8');
  const crd = parse(manifest) as {
    metadata: { name: string };
    spec: { group: string; names: { plural: string }; versions: { name: string; storage?: boolean }[] };
  };
  const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0];
  assert.ok(version, `${file} declares no version`);
  return {
    manifest,
    name: crd.metadata.name,
    apiVersion: `${crd.spec.group}/${version.name}`,
    resource: `${crd.spec.names.plural}.${version.name}.${crd.spec.group}`,
  };
}

async function kubectlOk(cluster: Cluster, args: string[], what: string, input?: string): Promise<string> {
  const result = await cluster.kubectl(args, input === undefined ? {} : { input });
  if (result.code !== 0) assert.fail(`${what}: kubectl ${args.join(' ')} failed:\n${result.stderr.trim()}`);
  return result.stdout;
}

/** Installs OpenShift's CRD (idempotent) and waits until it serves. */
async function installOpenShiftCrd(cluster: Cluster): Promise<OpenShiftCrd> {
  const crd = readOpenShiftCrd();
  await kubectlOk(
    cluster,
    ['apply', '--server-side', '--force-conflicts', '--field-manager=p2pnc-openshift-compat', '-f', '-'],
    "installing OpenShift's CRD",
    crd.manifest,
  );
  await kubectlOk(
    cluster,
    ['wait', '--for=condition=Established', `crd/${crd.name}`, '--timeout=60s'],
    "waiting for OpenShift's CRD",
  );
  return crd;
}

function checkName(check: unknown, index: number): string {
  const name = (check as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof name === 'string' && name ? name : `checks[${index}]`;
}

/** The check as OpenShift would hold it: apiVersion changed, server-set metadata dropped, into `namespace`. */
function openShiftCopy(check: unknown, index: number, apiVersion: string, namespace: string): CheckCopy {
  const name = checkName(check, index);
  assert.ok(check && typeof check === 'object', `${name}: not an object`);
  const object = check as Partial<CheckCopy>;
  assert.ok(object.metadata && typeof object.metadata.name === 'string', `${name}: no metadata.name`);
  assert.ok(
    object.status && typeof object.status === 'object',
    `${name}: has no status to validate (did a source probe it?)`,
  );
  const metadata: CheckCopy['metadata'] = { ...object.metadata, name: object.metadata.name, namespace };
  for (const field of SERVER_SET_METADATA) delete metadata[field];
  return { ...object, apiVersion, kind: object.kind ?? 'PodNetworkConnectivityCheck', metadata };
}

/** The first path at which `actual` differs from `expected`, e.g. `.failures[3].latency`. */
function firstDifference(expected: unknown, actual: unknown, path = ''): string | undefined {
  if (isDeepStrictEqual(expected, actual)) return undefined;
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) return `${path} (length ${expected.length} sent, ${actual.length} stored)`;
    for (let i = 0; i < expected.length; i++) {
      const found = firstDifference(expected[i], actual[i], `${path}[${i}]`);
      if (found) return found;
    }
  }
  if (isRecord(expected) && isRecord(actual)) {
    for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      const found = firstDifference(expected[key], actual[key], `${path}.${key}`);
      if (found) return found;
    }
  }
  return `${path || '.'} (sent ${JSON.stringify(expected)}, stored ${JSON.stringify(actual)})`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Asserts that OpenShift's PodNetworkConnectivityCheck CRD accepts the status of every check as it is, and keeps
 * every field of it: each check is copied with only its apiVersion changed into a scratch namespace, its status is
 * written through the /status subresource with strict field validation (an undeclared field is an error naming it),
 * read back, and compared with what was sent (a pruned or rewritten field fails, named).
 *
 * The spec is not the subject: OpenShift's schema validates its own spec fields (sourcePod, targetEndpoint) on
 * create, and p2pnc's additional spec fields are dropped there.
 */
export async function assertOpenShiftCompatible(cluster: Cluster, checks: unknown[]): Promise<void> {
  assert.ok(checks.length > 0, 'assertOpenShiftCompatible: no checks to validate');
  const crd = await installOpenShiftCrd(cluster);
  const namespace = `openshift-compat-${randomBytes(4).toString('hex')}`;
  await kubectlOk(cluster, ['create', 'namespace', namespace], 'creating the scratch namespace');
  try {
    const copies = checks.map((check, index) => openShiftCopy(check, index, crd.apiVersion, namespace));
    const sent = new Map(copies.map((copy) => [copy.metadata.name, copy.status]));
    const created = await createAll(
      cluster,
      crd,
      namespace,
      copies.map(({ status: _status, ...rest }) => rest),
    );
    const withStatus = created.map((object) => ({ ...object, status: sent.get(object.metadata.name) }));
    await kubectlOk(
      cluster,
      ['replace', '--subresource=status', '--validate=strict', '-f', '-'],
      "OpenShift's schema refused a status p2pnc wrote",
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: withStatus }),
    );
    const stored = await listCopies(cluster, crd, namespace);
    for (const copy of copies) {
      const name = copy.metadata.name;
      const back = stored.find((item) => item.metadata.name === name);
      assert.ok(back, `${name}: not found in ${namespace} after writing its status`);
      const difference = firstDifference(copy.status, back.status);
      if (difference)
        assert.fail(
          `${name}: OpenShift's schema did not keep status${difference} (a field it does not know is pruned)`,
        );
    }
  } finally {
    // Without a namespace controller (the local test cluster) the namespace stays Terminating: harmless there.
    await cluster.kubectl(['delete', 'namespace', namespace, '--wait=false']);
  }
}

/** Creates the copies (spec fields OpenShift does not know are dropped; its required ones are validated). */
async function createAll(
  cluster: Cluster,
  crd: OpenShiftCrd,
  namespace: string,
  objects: Omit<CheckCopy, 'status'>[],
): Promise<CheckCopy[]> {
  await kubectlOk(
    cluster,
    ['create', '--validate=false', '-f', '-'],
    "OpenShift's schema refused a check's spec",
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  );
  return listCopies(cluster, crd, namespace);
}

async function listCopies(cluster: Cluster, crd: OpenShiftCrd, namespace: string): Promise<CheckCopy[]> {
  const list = await kubectlOk(cluster, ['get', crd.resource, '-n', namespace, '-o', 'json'], 'listing the copies');
  return (JSON.parse(list) as { items: CheckCopy[] }).items;
}
