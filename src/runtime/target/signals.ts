/** Waiting for the signal that ends a long-running command. */

export type StopSignal = 'SIGTERM' | 'SIGINT';

/**
 * Resolves with the first of SIGTERM and SIGINT. The handlers are removed then, so a second signal
 * gets Node's default action and kills a shutdown that hangs.
 */
export function nextStopSignal(signals: readonly StopSignal[] = ['SIGTERM', 'SIGINT']): Promise<StopSignal> {
  return new Promise((resolve) => {
    const handlers = signals.map((signal) => {
      const handler = () => {
        for (const [other, h] of handlers) process.off(other, h);
        resolve(signal);
      };
      return [signal, handler] as const;
    });
    for (const [signal, handler] of handlers) process.on(signal, handler);
  });
}
