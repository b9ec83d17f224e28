/**
 * List, then watch from the list's resourceVersion; list again when the watch expires (410) or breaks, with
 * back-off. Keeps a cache by name and reports adds, updates and deletes: the runtime picks up new, changed and
 * deleted objects without a restart.
 */
import { KubeApiError, type KubeClient } from './client.js';
import type { ObjectList, ObjectMeta } from './resources.js';

export interface InformerHandlers<T> {
  onUpsert(object: T, previous: T | undefined): void;
  onDelete(object: T): void;
  /** After each successful list: the cache now mirrors the server. */
  onSynced?(): void;
  onError?(error: unknown): void;
}

export class Informer<T extends { metadata: ObjectMeta }> {
  readonly cache = new Map<string, T>();
  private synced = false;

  constructor(
    private readonly client: KubeClient,
    private readonly path: string,
    private readonly labelSelector: string | undefined,
    private readonly handlers: InformerHandlers<T>,
    private readonly backoff = { initialMs: 500, maxMs: 30_000 },
  ) {}

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Runs until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    let delay = this.backoff.initialMs;
    while (!signal.aborted) {
      try {
        const resourceVersion = await this.list(signal);
        delay = this.backoff.initialMs;
        await this.watchFrom(resourceVersion, signal);
      } catch (error) {
        if (signal.aborted) return;
        if (!(error instanceof KubeApiError && error.isExpired)) {
          this.handlers.onError?.(error);
          await sleep(delay, signal);
          delay = Math.min(delay * 2, this.backoff.maxMs);
        }
      }
    }
  }

  private async list(signal: AbortSignal): Promise<string> {
    const list = await this.client.get<ObjectList<T>>(this.path, { query: { labelSelector: this.labelSelector }, signal, timeoutMs: 60_000 });
    const seen = new Set<string>();
    for (const item of list.items) {
      seen.add(item.metadata.name);
      this.upsert(item);
    }
    for (const [name, object] of this.cache) {
      if (!seen.has(name)) {
        this.cache.delete(name);
        this.handlers.onDelete(object);
      }
    }
    this.synced = true;
    this.handlers.onSynced?.();
    return list.metadata.resourceVersion;
  }

  private async watchFrom(resourceVersion: string, signal: AbortSignal): Promise<void> {
    let version = resourceVersion;
    // A watch ends after the server's timeout; resume from the last version seen without listing again.
    while (!signal.aborted) {
      await this.client.watch<T>(
        this.path,
        { labelSelector: this.labelSelector, resourceVersion: version, timeoutSeconds: 300 },
        (event) => {
          if (event.type === 'ERROR') return;
          version = event.object.metadata.resourceVersion ?? version;
          if (event.type === 'ADDED' || event.type === 'MODIFIED') this.upsert(event.object);
          else if (event.type === 'DELETED') {
            const known = this.cache.get(event.object.metadata.name);
            this.cache.delete(event.object.metadata.name);
            this.handlers.onDelete(known ?? event.object);
          }
        },
        signal,
      );
    }
  }

  private upsert(object: T): void {
    const previous = this.cache.get(object.metadata.name);
    if (previous?.metadata.resourceVersion === object.metadata.resourceVersion) return;
    this.cache.set(object.metadata.name, object);
    this.handlers.onUpsert(object, previous);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
