import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { inCI } from '../helpers/tools.js';
import { ClusterUnavailable, startCluster, type Cluster, type StartClusterOptions } from './harness.js';

export { inCI };

/** Starts the test cluster, or skips with the reason in one line; under CI an unavailable cluster fails the run. */
export async function startOrSkip(t: TestContext, options: StartClusterOptions = {}): Promise<Cluster | undefined> {
  try {
    return await startCluster(options);
  } catch (error) {
    if (error instanceof ClusterUnavailable && !inCI) {
      t.skip(`cluster suites skipped: ${error.reason}`);
      return undefined;
    }
    throw error;
  }
}

export async function mustKubectl(
  cluster: Cluster,
  args: string[],
  options: { input?: string; token?: string } = {},
): Promise<string> {
  const result = await cluster.kubectl(args, options);
  assert.equal(result.code, 0, `kubectl ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}
