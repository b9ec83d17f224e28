/**
 * The source's defaults, declared once: the CLI shows and parses these strings, the runtime falls back to the same
 * values, so `p2pnc source --help` and a SourceRunner built without flags cannot disagree.
 */
import { DEFAULT_REFRESH_INTERVAL } from '../api/constants.js';
import { parseDuration } from '../api/duration.js';

export const SOURCE_FLAG_DEFAULTS = {
  concurrency: '256',
  confirmFailures: '2',
  confirmRetry: '5s',
  steadyWriteInterval: DEFAULT_REFRESH_INTERVAL,
  staleAfter: '48h',
  staleSweepInterval: '10m',
  startJitter: '0s',
  leaseDuration: '15s',
  checkShards: '1',
} as const;

export const DEFAULT_CONCURRENCY = Number(SOURCE_FLAG_DEFAULTS.concurrency);
export const DEFAULT_CONFIRM_FAILURES = Number(SOURCE_FLAG_DEFAULTS.confirmFailures);
export const DEFAULT_CONFIRM_RETRY_MS = parseDuration(SOURCE_FLAG_DEFAULTS.confirmRetry)!;
export const DEFAULT_STALE_AFTER_MS = parseDuration(SOURCE_FLAG_DEFAULTS.staleAfter)!;
