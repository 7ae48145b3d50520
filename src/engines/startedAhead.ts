/**
 * Work started ahead of its use, in this process: the step before starts it, the step after takes
 * it (normally on the same worker), once. Forgotten after `ttlMs`, so a taker that never comes
 * leaves nothing behind. A failure is its taker's to handle; one nobody takes is dropped quietly.
 */
export class StartedAhead<T> {
  private readonly started = new Map<string, { result: Promise<T>; expiry: NodeJS.Timeout }>();

  constructor(private readonly ttlMs: number) {}

  /** Starts `work` under `key`; false (and `work` not called) when something is already started there. */
  start(key: string, work: () => Promise<T>): boolean {
    if (this.started.has(key)) return false;
    const result = work();
    result.catch(() => undefined); // its taker sees the failure; untaken, it is dropped
    const expiry = setTimeout(() => this.started.delete(key), this.ttlMs);
    expiry.unref();
    this.started.set(key, { result, expiry });
    return true;
  }

  /** What was started under `key`, once (undefined if nothing was, it expired, or it was taken). */
  take(key: string): Promise<T> | undefined {
    const entry = this.started.get(key);
    if (!entry) return undefined;
    this.started.delete(key);
    clearTimeout(entry.expiry);
    return entry.result;
  }
}
