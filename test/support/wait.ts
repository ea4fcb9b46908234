// Polls a condition on real time (for tests with real sockets), failing with a message.
export async function until<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, opts: { timeoutMs?: number; what?: string } = {}): Promise<T> {
  const end = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${opts.what ?? 'condition'}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
