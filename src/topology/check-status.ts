/**
 * What each check's status keeps and how often a healthy one is written, by cluster size: the status is the
 * API server's and etcd's cost per check (bytes stored, CPU per write), so large clusters keep less and write
 * healthy checks more rarely. Transitions are always written at once, whatever the size.
 */
import type { CheckSpec } from '../api/check.js';
import { DEFAULT_REFRESH_INTERVAL, DEFAULT_STATUS_HISTORY } from '../api/constants.js';
import type { Topology } from './schema.js';

export interface CheckStatusSettings {
  entries: number;
  outages: number;
  refreshInterval: string;
}

/** Size classes by node count, smallest first; the first whose bound the cluster does not exceed applies. */
export const STATUS_SIZE_CLASSES: readonly { upToNodes: number; settings: CheckStatusSettings }[] = [
  { upToNodes: 250, settings: { ...DEFAULT_STATUS_HISTORY, refreshInterval: DEFAULT_REFRESH_INTERVAL } },
  { upToNodes: 1000, settings: { entries: 10, outages: 10, refreshInterval: '30m' } },
  { upToNodes: Number.POSITIVE_INFINITY, settings: { entries: 5, outages: 5, refreshInterval: '60m' } },
];

export function checkStatusSettings(topology: Pick<Topology, 'nodes' | 'checkStatus'>): CheckStatusSettings {
  const bySize = STATUS_SIZE_CLASSES.find((sizeClass) => topology.nodes.length <= sizeClass.upToNodes)!.settings;
  return { ...bySize, ...definedOnly(topology.checkStatus ?? {}) };
}

/** The spec fields that say so, only where they differ from the runtime's defaults (small clusters' checks stay as they were). */
export function checkStatusSpec(settings: CheckStatusSettings): Pick<CheckSpec, 'history' | 'refreshInterval'> {
  const history = {
    ...(settings.entries !== DEFAULT_STATUS_HISTORY.entries && { entries: settings.entries }),
    ...(settings.outages !== DEFAULT_STATUS_HISTORY.outages && { outages: settings.outages }),
  };
  return {
    ...(Object.keys(history).length > 0 && { history }),
    ...(settings.refreshInterval !== DEFAULT_REFRESH_INTERVAL && { refreshInterval: settings.refreshInterval }),
  };
}

function definedOnly<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}
