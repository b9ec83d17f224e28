/**
 * A list read in pages (`limit` / `continue`): each page is parsed and handed on alone, so a namespace of 40,000 checks
 * never becomes one response string too large for JavaScript, and memory follows what the caller keeps.
 */
import { KubeApiError, type KubeClient } from './client.js';
import type { ObjectList } from './resources.js';

/** Objects per page: a few MB of checks with full statuses. */
export const LIST_PAGE_SIZE = 500;

export interface PagedListOptions {
  labelSelector?: string;
  pageSize?: number;
  signal?: AbortSignal;
}

/**
 * Calls `onPage` with each page's items in order. When the continue token expires (the list outlived the revision
 * etcd keeps), the list starts over once, after `onRestart` tells the caller to drop what it collected.
 */
export async function listInPages<T>(
  client: KubeClient,
  path: string,
  onPage: (items: T[]) => void | Promise<void>,
  options: PagedListOptions & { onRestart?: () => void } = {},
): Promise<void> {
  let next: string | undefined;
  let restarted = false;
  do {
    let page: ObjectList<T>;
    try {
      page = await client.get<ObjectList<T>>(path, {
        query: { limit: options.pageSize ?? LIST_PAGE_SIZE, continue: next, labelSelector: options.labelSelector },
        timeoutMs: 60_000,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (error instanceof KubeApiError && error.isExpired && next !== undefined && !restarted) {
        restarted = true;
        next = undefined;
        options.onRestart?.();
        continue;
      }
      throw error;
    }
    await onPage(page.items);
    next = page.metadata.continue || undefined;
  } while (next !== undefined);
}
