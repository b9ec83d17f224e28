import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/** Whether the tests run under CI (CI set to anything but empty, 0 or false). */
export const inCI = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());

/**
 * Whether `command` runs here. Outside CI a missing tool skips the test with one line; under CI it fails it, since
 * scripts/ci/install-system-packages.sh installs every tool the suites use.
 */
export function haveTool(
  t: TestContext,
  command: string,
  debianPackage: string,
  versionArgs: string[] = ['--version'],
): boolean {
  const probe = spawnSync(command, versionArgs, { stdio: 'ignore' });
  if (!probe.error) return true;
  const reason = `${command} not found: install the Debian package ${debianPackage} (scripts/ci/install-system-packages.sh)`;
  if (inCI) assert.fail(reason);
  t.skip(reason);
  return false;
}
