// Errors are Errors with a stable `code`, a retryable flag and a cause (undici style). Partial
// success is a value, not an exception.

export class RackpilotError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, opts: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RackpilotError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
  }
}

/** Rejects with the signal's reason when it aborts first. */
export function withAbort<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function abortReason(signal: AbortSignal): RackpilotError {
  return new RackpilotError('cancelled', 'cancelled: cycle deadline passed', { cause: signal.reason });
}
