/** Runs many probes with at most `concurrency` in flight; used by the scheduler and the benchmark. */
import type { ProbeResult, ProbeTarget } from '../types.js';
import { type ProbeOptions, probe } from './probe.js';

export interface RunProbesOptions extends ProbeOptions {
  /** Probes in flight at once; each holds one socket (one file descriptor). */
  concurrency: number;
}

export interface RunProbesSummary {
  probed: number;
  succeeded: number;
  failed: number;
}

export type OnProbeResult = (result: ProbeResult, target: ProbeTarget, index: number) => void;

/**
 * Probes every target, calling onResult as each finishes (in completion order). Stops starting new probes once
 * the signal aborts (started ones finish as canceled) or onResult throws (rethrown after in-flight probes settle).
 */
export async function runProbes(
  targets: readonly ProbeTarget[],
  options: RunProbesOptions,
  onResult: OnProbeResult,
): Promise<RunProbesSummary> {
  const probeOptions: ProbeOptions = {
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    resolver: options.resolver,
  };
  const summary: RunProbesSummary = { probed: 0, succeeded: 0, failed: 0 };
  let next = 0;
  let callbackError: { error: unknown } | undefined;

  const worker = async (): Promise<void> => {
    while (next < targets.length && !callbackError && !options.signal?.aborted) {
      const index = next++;
      const target = targets[index]!;
      const result = await probe(target, probeOptions);
      summary.probed++;
      if (result.success) summary.succeeded++;
      else summary.failed++;
      try {
        onResult(result, target, index);
      } catch (error) {
        callbackError ??= { error };
      }
    }
  };

  const workers = Math.max(1, Math.min(Math.floor(options.concurrency) || 1, targets.length));
  const running: Promise<void>[] = [];
  for (let i = 0; i < workers; i++) running.push(worker());
  await Promise.all(running);
  if (callbackError) throw callbackError.error;
  return summary;
}
