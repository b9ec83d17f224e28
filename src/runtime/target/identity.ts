/** What the target answers with: which node and pod the probe reached, and when. */
import { ENV } from '../../api/constants.js';

export interface Identity {
  /** null when P2PNC_NODE_NAME is unset (outside Kubernetes). */
  node: string | null;
  pod: string | null;
}

/** Reads the identity from the Downward API variables the target DaemonSet sets. */
export function identityFromEnv(env: NodeJS.ProcessEnv = process.env): Identity {
  return { node: env[ENV.nodeName] || null, pod: env[ENV.podName] || null };
}

export type BodyFormat = 'json' | 'text';

/** JSON unless the client asks for text/plain without also accepting JSON. */
export function negotiateFormat(accept: string | undefined): BodyFormat {
  if (!accept) return 'json';
  const types = accept.split(',').map((part) => part.split(';', 1)[0]!.trim().toLowerCase());
  return types.includes('text/plain') && !types.includes('application/json') ? 'text' : 'json';
}

export function renderIdentity(identity: Identity, time: Date, format: BodyFormat): string {
  const iso = time.toISOString();
  if (format === 'json') return `${JSON.stringify({ node: identity.node, pod: identity.pod, time: iso })}\n`;
  return `node=${identity.node ?? '-'} pod=${identity.pod ?? '-'} time=${iso}\n`;
}
