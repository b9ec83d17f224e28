/**
 * List, then watch from the list's resourceVersion; a watch that breaks resumes from the last version seen, with
 * back-off, and only an expired version (410) or a refused request lists again. Keeps a cache by name and reports
 * adds, updates and deletes: the runtime picks up new, changed and deleted objects without a restart.
 *
 * Built to be cheap for a control plane with thousands of these at once (every node's source restarting):
 * - lists are served from the API server's watch cache (resourceVersion 0 at first, then "not older than" the
 *   last version seen), never read through to etcd, whatever the label selector;
 * - the first list waits a random part of `startJitterMs`, so a rollout does not list in one instant;
 * - back-off is jittered and grows only while failures repeat; a watch the server ends within a second without
 *   an event counts as a failure (a proxy that closes at once must not turn into a hot loop);
 * - watch timeouts are spread between 5 and 10 minutes, as client-go's reflector does, so watches of sources
 *   started together do not all end and restart together.
 */
import { isServerUnavailable, KubeApiError, type KubeClient } from './client.js';
import { sleep, systemClock, type Clock } from './clock.js';
import type { ObjectList, ObjectMeta } from './resources.js';

export interface InformerHandlers<T> {
  /**
   * What the cache keeps of each object (client-go's transform), e.g. without its status or managedFields: the cache
   * holds every object for as long as it runs. The handlers still get the whole object; `previous` is what was kept.
   * @default all of it
   */
  keep?(object: T): T;
  onUpsert(object: T, previous: T | undefined): void;
  onDelete(object: T): void;
  /** After each successful list: the cache now mirrors the server. */
  onSynced?(): void;
  onError?(error: unknown): void;
}

export interface InformerTiming {
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** The first list waits a random delay below this. */
  startJitterMs: number;
  /** Watches last a random time between this and twice this. */
  minWatchTimeoutSeconds: number;
  /** A watch that ends sooner than this without an event is a failure. */
  shortWatchMs: number;
  random: () => number;
  clock: Clock;
}

export const DEFAULT_INFORMER_TIMING: InformerTiming = {
  initialBackoffMs: 500,
  maxBackoffMs: 30_000,
  startJitterMs: 0,
  minWatchTimeoutSeconds: 300,
  shortWatchMs: 1000,
  random: Math.random,
  clock: systemClock,
};

export class ShortWatchError extends Error {
  constructor(path: string) {
    super(`the watch of ${path} ended at once without an event`);
    this.name = 'ShortWatchError';
  }
}

export class Informer<T extends { metadata: ObjectMeta }> {
  readonly cache = new Map<string, T>();
  private synced = false;
  /** The newest resourceVersion seen, so a relist is served from the watch cache no older than it. */
  private lastVersion: string | undefined;
  private readonly timing: InformerTiming;

  constructor(
    private readonly client: KubeClient,
    private readonly path: string,
    private readonly labelSelector: string | undefined,
    private readonly handlers: InformerHandlers<T>,
    timing: Partial<InformerTiming> = {},
  ) {
    this.timing = { ...DEFAULT_INFORMER_TIMING, ...timing };
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Runs until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { random, initialBackoffMs, maxBackoffMs, startJitterMs, clock } = this.timing;
    if (startJitterMs > 0) await sleep(random() * startJitterMs, signal, clock);
    let failures = 0;
    /** Where the next watch starts; undefined: list first. */
    let resumeFrom: string | undefined;
    while (!signal.aborted) {
      try {
        resumeFrom ??= await this.list(signal);
        await this.watchFrom(resumeFrom, signal, () => (failures = 0));
      } catch (error) {
        if (signal.aborted) return;
        // An expired version is routine (the watch cache moved on): list again at once.
        if (error instanceof KubeApiError && error.isExpired) {
          this.lastVersion = undefined;
          resumeFrom = undefined;
          continue;
        }
        // A watch the network or a busy server dropped resumes from the last version seen, as client-go's reflector
        // does: a relist would scan every check in the namespace inside the API server (a CRD has no watch-cache
        // index), the costliest request a source sends. A server that no longer has that version answers 410.
        resumeFrom =
          resumeFrom !== undefined && isServerUnavailable(error) ? (this.lastVersion ?? resumeFrom) : undefined;
        this.handlers.onError?.(error);
        failures += 1;
        const capped = Math.min(initialBackoffMs * 2 ** Math.min(failures - 1, 30), maxBackoffMs);
        await sleep(capped / 2 + (random() * capped) / 2, signal, clock);
      }
    }
  }

  private async list(signal: AbortSignal): Promise<string> {
    const query = {
      labelSelector: this.labelSelector,
      resourceVersion: this.lastVersion ?? '0',
      resourceVersionMatch: 'NotOlderThan',
    };
    const list = await this.client.get<ObjectList<T>>(this.path, { query, signal, timeoutMs: 60_000 });
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
    this.lastVersion = list.metadata.resourceVersion;
    this.handlers.onSynced?.();
    return list.metadata.resourceVersion;
  }

  private async watchFrom(resourceVersion: string, signal: AbortSignal, onHealthy: () => void): Promise<void> {
    let version = resourceVersion;
    const { minWatchTimeoutSeconds, shortWatchMs, random, clock } = this.timing;
    // A watch ends after the server's timeout; resume from the last version seen without listing again.
    while (!signal.aborted) {
      const started = clock.now();
      let events = 0;
      await this.client.watch<T>(
        this.path,
        {
          labelSelector: this.labelSelector,
          resourceVersion: version,
          timeoutSeconds: Math.floor(minWatchTimeoutSeconds * (1 + random())),
        },
        (event) => {
          if (event.type === 'ERROR') return;
          events += 1;
          if (events === 1) onHealthy();
          version = event.object.metadata.resourceVersion ?? version;
          this.lastVersion = version;
          if (event.type === 'ADDED' || event.type === 'MODIFIED') this.upsert(event.object);
          else if (event.type === 'DELETED') {
            const known = this.cache.get(event.object.metadata.name);
            this.cache.delete(event.object.metadata.name);
            this.handlers.onDelete(known ?? event.object);
          }
        },
        signal,
      );
      if (signal.aborted) return;
      if (events === 0 && clock.now() - started < shortWatchMs) throw new ShortWatchError(this.path);
      if (clock.now() - started >= shortWatchMs) onHealthy();
    }
  }

  private upsert(object: T): void {
    const previous = this.cache.get(object.metadata.name);
    if (previous?.metadata.resourceVersion === object.metadata.resourceVersion) return;
    this.cache.set(object.metadata.name, this.handlers.keep ? this.handlers.keep(object) : object);
    this.handlers.onUpsert(object, previous);
  }
}

/** Kept here for the modules that import it from the informer. */
export { sleep };
