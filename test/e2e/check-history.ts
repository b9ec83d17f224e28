/**
 * Every stored version of every check in a namespace, with the time it became visible to a watch: enough to say
 * when an outage appeared in the API, and how often a check was written (each status write is a new
 * resourceVersion, hence one MODIFIED event).
 */
import type { CheckStatus } from '../../src/api/check.js';
import { KubeApiError, type KubeClient } from '../../src/runtime/kube/client.js';
import { paths, type CheckObject, type ObjectList } from '../../src/runtime/kube/resources.js';

export interface CheckVersion {
  /** Date.now() when the test saw this version. */
  at: number;
  resourceVersion: string;
  /** Whether a watch MODIFIED event brought it (a write), rather than the creation or a list. */
  modified: boolean;
  status: CheckStatus | undefined;
}

export class CheckHistory {
  private readonly versions = new Map<string, CheckVersion[]>();
  private readonly abort = new AbortController();
  private running: Promise<void> = Promise.resolve();
  private lastError: unknown;

  private constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
  ) {}

  /** Lists the checks, then follows them until stop(). */
  static async start(client: KubeClient, namespace: string): Promise<CheckHistory> {
    const history = new CheckHistory(client, namespace);
    const resourceVersion = await history.list();
    history.running = history.follow(resourceVersion);
    return history;
  }

  private record(object: CheckObject, modified: boolean): void {
    const name = object.metadata.name;
    const list = this.versions.get(name) ?? [];
    const resourceVersion = object.metadata.resourceVersion ?? '';
    if (list.at(-1)?.resourceVersion === resourceVersion) return;
    list.push({ at: Date.now(), resourceVersion, modified, status: object.status });
    this.versions.set(name, list);
  }

  private async list(): Promise<string> {
    const list = await this.client.get<ObjectList<CheckObject>>(paths.checks(this.namespace), { timeoutMs: 30_000 });
    for (const item of list.items) this.record(item, false);
    return list.metadata.resourceVersion;
  }

  private async follow(from: string): Promise<void> {
    let resourceVersion = from;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        await this.client.watch<CheckObject>(
          paths.checks(this.namespace),
          { resourceVersion, timeoutSeconds: 600 },
          (event) => {
            if (event.type === 'ERROR') return;
            resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion;
            if (event.type === 'ADDED' || event.type === 'MODIFIED')
              this.record(event.object, event.type === 'MODIFIED');
          },
          signal,
        );
      } catch (error) {
        if (signal.aborted) return;
        this.lastError = error;
        if (error instanceof KubeApiError && error.isExpired)
          resourceVersion = await this.list().catch(() => resourceVersion);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  /** Versions of a check in the order they were seen. */
  of(name: string): readonly CheckVersion[] {
    return this.versions.get(name) ?? [];
  }

  latest(name: string): CheckVersion | undefined {
    return this.of(name).at(-1);
  }

  names(): string[] {
    return [...this.versions.keys()].sort();
  }

  /** The first version seen at or after `since` whose status satisfies `predicate`; waits for it up to `timeoutMs`. */
  async waitFor(
    name: string,
    what: string,
    predicate: (status: CheckStatus) => boolean,
    options: { since?: number; timeoutMs: number },
  ): Promise<CheckVersion & { status: CheckStatus }> {
    const since = options.since ?? Number.NEGATIVE_INFINITY;
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const found = this.of(name).find(
        (version) => version.at >= since && version.status !== undefined && predicate(version.status),
      );
      if (found) return found as CheckVersion & { status: CheckStatus };
      if (Date.now() > deadline) {
        const latest = this.latest(name);
        throw new Error(
          `timed out after ${options.timeoutMs} ms waiting for ${name}: ${what}; latest status: ${JSON.stringify(latest?.status ?? null)}` +
            (this.lastError ? `; last watch error: ${String(this.lastError)}` : ''),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }
}
