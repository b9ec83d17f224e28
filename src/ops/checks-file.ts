/**
 * Check objects from a file instead of the cluster: `kubectl get pncc -o json` (or `-o yaml`), a single check, or
 * YAML documents such as dist/checks.yaml. Objects of other kinds are skipped; a check that does not match the
 * schema is refused with the path of the bad field.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { CheckSpecSchema, CheckStatusSchema, KIND } from '../api/check.js';
import type { CheckObject, ObjectMeta } from '../runtime/kube/resources.js';
import { newestTimeMs } from '../runtime/status/log-entries.js';
import { timeMs } from '../runtime/status/time.js';
import { formatPath } from '../topology/issues.js';
import { UserError } from '../util/errors.js';

export function readChecksFile(path: string): CheckObject[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
  return parseChecks(text, path);
}

export function parseChecks(text: string, file: string): CheckObject[] {
  const documents = parseAllDocuments(text);
  const checks: CheckObject[] = [];
  documents.forEach((document, index) => {
    const error = document.errors[0];
    if (error) throw new UserError(`${file}: not JSON or YAML: ${error.message.split('\n')[0]!.replace(/:$/, '')}`);
    const where = documents.length > 1 ? `document ${index + 1}` : '';
    collect(document.toJS() as unknown, where, file, checks);
  });
  if (checks.length === 0)
    throw new UserError(`${file}: no ${KIND} found; give the output of kubectl get pncc -o json`);
  return checks;
}

/**
 * When saved checks were read from their cluster, as near as they tell: the newest probe or transition they record.
 * Ages, silent sources and "since" in the output count from it, so a file saved yesterday reads as it did then.
 */
export function capturedAt(checks: readonly CheckObject[]): Date | undefined {
  let newest = Number.NEGATIVE_INFINITY;
  for (const { status } of checks) {
    if (!status) continue;
    newest = Math.max(
      newest,
      newestTimeMs(status.successes),
      newestTimeMs(status.failures),
      ...(status.conditions ?? []).map((condition) => timeMs(condition.lastTransitionTime)),
    );
  }
  return Number.isFinite(newest) ? new Date(newest) : undefined;
}

function collect(value: unknown, where: string, file: string, into: CheckObject[]): void {
  if (value === null || value === undefined) return;
  if (!isRecord(value)) throw new UserError(`${file}${where ? ` ${where}` : ''}: expected a ${KIND} or a List of them`);
  if (Array.isArray(value.items)) {
    value.items.forEach((item, index) => collect(item, join(where, `items[${index}]`), file, into));
    return;
  }
  if (value.kind !== undefined && value.kind !== KIND) return;
  into.push(toCheck(value, where, file));
}

function toCheck(value: Record<string, unknown>, where: string, file: string): CheckObject {
  const at = (field: string) => `${file}: ${join(where, field)}`;
  const metadata = value.metadata;
  if (!isRecord(metadata) || typeof metadata.name !== 'string' || metadata.name === '')
    throw new UserError(`${at('metadata.name')}: missing; every check needs a name`);
  const spec = CheckSpecSchema.safeParse(value.spec);
  if (!spec.success) throw schemaError(at('spec'), spec.error.issues);
  const status = value.status === undefined ? undefined : CheckStatusSchema.safeParse(value.status);
  if (status && !status.success) throw schemaError(at('status'), status.error.issues);
  const check: CheckObject = {
    apiVersion: typeof value.apiVersion === 'string' ? value.apiVersion : '',
    kind: KIND,
    metadata: metadata as unknown as ObjectMeta,
    spec: spec.data,
  };
  if (status?.data) check.status = status.data;
  return check;
}

function schemaError(prefix: string, issues: readonly { path: PropertyKey[]; message: string }[]): UserError {
  const issue = issues[0]!;
  const path = issue.path.length > 0 ? `.${formatPath(issue.path)}` : '';
  return new UserError(`${prefix}${path}: ${issue.message}`);
}

function join(where: string, field: string): string {
  return where ? `${where}.${field}` : field;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
