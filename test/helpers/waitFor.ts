/**
 * Polling for tests that watch real servers: one implementation, so every suite times out the
 * same way and names what it was waiting for.
 */
export interface WaitOptions {
  timeoutMs?: number;
  everyMs?: number;
  /** A throwing probe means "not yet" (a server restarting, a workflow not started); the last error is named on timeout. */
  retryErrors?: boolean;
}

/** Polls `probe` until it returns a truthy value, which is returned; throws naming `what` after the timeout. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, options: WaitOptions | number = {}): Promise<T> {
  const { timeoutMs = 120_000, everyMs = 200, retryErrors = false } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    let v: T | undefined | false;
    try {
      v = await probe();
    } catch (err) {
      if (!retryErrors) throw err;
      lastError = err;
      v = undefined;
    }
    if (v) return v;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
