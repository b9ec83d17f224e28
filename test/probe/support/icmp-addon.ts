/** Builds native/icmp (gcc, once per change of its source) before a suite probes ICMP; the build says what is missing. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BUILD_SCRIPT = fileURLToPath(new URL('../../../native/icmp/build.mjs', import.meta.url));

export function ensureIcmpAddon(): void {
  execFileSync(process.execPath, [BUILD_SCRIPT], { stdio: ['ignore', 'ignore', 'pipe'] });
}
