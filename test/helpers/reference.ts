/**
 * Where the team's reference material lives (OpenShift's CRD, kept outside the repository on purpose:
 * it is not ours to copy). Looked up in $P2PNC_REFERENCE_DIR, next to the repository (../shared/reference),
 * then in the workplace's shared folder.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const CANDIDATES = [
  process.env.P2PNC_REFERENCE_DIR,
  join(import.meta.dirname, '../../../shared/reference'),
  '/work/shared/reference',
];

export function referenceFile(name: string): string {
  for (const dir of CANDIDATES) if (dir && existsSync(join(dir, name))) return join(dir, name);
  throw new Error(
    `reference file ${name} not found in ${CANDIDATES.filter(Boolean).join(', ')}; set P2PNC_REFERENCE_DIR to the folder that holds it`,
  );
}

export const OPENSHIFT_CRD = 'openshift-podnetworkconnectivitycheck.crd.yaml';
