/**
 * One timer per probe bounds every step: the step in progress registers how to interrupt itself,
 * and the timer (or the caller's AbortSignal) calls it.
 */
export type Interruption = 'timeout' | 'canceled';
export type InterruptHook = (cause: Interruption) => void;

export class ProbeDeadline {
  /** Why the probe was interrupted, once it has been. */
  interrupted: Interruption | undefined;
  private hook: InterruptHook | undefined;
  private readonly endsAt: number;
  private readonly timer: NodeJS.Timeout;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort: (() => void) | undefined;

  constructor(timeoutMs: number, signal?: AbortSignal) {
    this.endsAt = performance.now() + timeoutMs;
    // Extra arguments instead of a closure: one less allocation per probe.
    this.timer = setTimeout(interruptByTimer, timeoutMs, this);
    if (signal?.aborted) {
      this.interrupted = 'canceled';
    } else if (signal) {
      this.signal = signal;
      this.onAbort = () => this.interrupt('canceled');
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  remainingMs(): number {
    return Math.max(0, this.endsAt - performance.now());
  }

  /** Registers the pending step's interrupt hook, replacing the previous step's. */
  arm(hook: InterruptHook): void {
    this.hook = hook;
  }

  disarm(): void {
    this.hook = undefined;
  }

  interrupt(cause: Interruption): void {
    if (this.interrupted) return;
    this.interrupted = cause;
    const hook = this.hook;
    this.hook = undefined;
    hook?.(cause);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.hook = undefined;
    if (this.signal && this.onAbort) this.signal.removeEventListener('abort', this.onAbort);
  }
}

function interruptByTimer(deadline: ProbeDeadline): void {
  deadline.interrupt('timeout');
}
