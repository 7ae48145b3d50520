/**
 * Per-worker pool of idle PostgreSQL sessions. A tenant's activities open and end many short
 * sessions on the same two databases (model load, each copy slice, validation); opening each one
 * costs a backend fork, authentication and a settings round trip. Ending a pooled session parks it
 * here instead, keyed by server address, user, database, role and application name, and the next
 * open of the same key takes it back after one `RESET ALL` + settings round trip.
 *
 * Guarantees:
 * - a session is parked only when idle outside any transaction (`getTransactionStatus() === 'I'`),
 *   with no query queued and no error seen, so no transaction, lock or COPY can pass to another user;
 * - keys include the database, so sessions never pass between tenants' databases;
 * - bounded: at most MAX_IDLE_PER_KEY parked per key and MAX_IDLE_TOTAL in all (the oldest closed first);
 * - closed after IDLE_MS unused (timers are unref'd: they never keep a process alive), and at once by
 *   `closeIdleSessions(database)` when a tenant is finished.
 * `TMIG_PG_POOL=off` turns parking off (every end closes).
 */
import type { Client } from 'pg';

const MAX_IDLE_PER_KEY = 4;
const MAX_IDLE_TOTAL = 32;
const IDLE_MS = Number(process.env.TMIG_PG_POOL_IDLE_MS ?? 5_000);

interface Parked {
  key: string;
  database: string;
  client: Client;
  timer: NodeJS.Timeout;
}

/** Parked sessions, oldest first per key. */
const parked = new Map<string, Parked[]>();
let total = 0;

export function poolingEnabled(): boolean {
  return process.env.TMIG_PG_POOL !== 'off' && IDLE_MS > 0;
}

/** Takes a parked session of this key, if any (the caller resets and checks it before use). */
export function takeParked(key: string): Client | undefined {
  const list = parked.get(key);
  const p = list?.pop();
  if (!p) return undefined;
  if (list!.length === 0) parked.delete(key);
  total--;
  clearTimeout(p.timer);
  return p.client;
}

/**
 * Makes `client.end()` park the session instead of closing it when it is safe to reuse. `reallyEnd`
 * is the client's own end. Called once per new pooled session.
 */
export function parkOnEnd(client: Client, key: string, database: string): void {
  let broken = false;
  client.on('error', () => { broken = true; });
  const reallyEnd = client.end.bind(client) as () => Promise<void>;
  (client as unknown as { reallyEnd: () => Promise<void> }).reallyEnd = reallyEnd;
  (client as { end: unknown }).end = (cb?: (err?: Error) => void) => {
    const done = reusable(client, broken) ? Promise.resolve(park(client, key, database)) : reallyEnd();
    if (cb) {
      done.then(() => cb(), cb);
      return undefined;
    }
    return done;
  };
}

function reusable(client: Client, broken: boolean): boolean {
  const c = client as unknown as { _ending?: boolean; _queryable?: boolean; _activeQuery?: unknown; _queryQueue?: unknown[] };
  return poolingEnabled() && !broken && !c._ending && c._queryable !== false && !c._activeQuery && (c._queryQueue?.length ?? 0) === 0
    && client.getTransactionStatus() === 'I';
}

function park(client: Client, key: string, database: string): void {
  const list = parked.get(key) ?? [];
  if (list.length >= MAX_IDLE_PER_KEY) {
    void realEnd(client);
    return;
  }
  if (total >= MAX_IDLE_TOTAL) closeOldest();
  const timer = setTimeout(() => {
    const l = parked.get(key);
    const i = l?.findIndex((p) => p.client === client) ?? -1;
    if (i >= 0) {
      l!.splice(i, 1);
      if (l!.length === 0) parked.delete(key);
      total--;
      void realEnd(client);
    }
  }, IDLE_MS);
  timer.unref();
  list.push({ key, database, client, timer });
  parked.set(key, list);
  total++;
}

function closeOldest(): void {
  const first = parked.keys().next();
  if (first.done) return;
  const client = takeParkedOldest(first.value);
  if (client) void realEnd(client);
}

function takeParkedOldest(key: string): Client | undefined {
  const list = parked.get(key);
  const p = list?.shift();
  if (!p) return undefined;
  if (list!.length === 0) parked.delete(key);
  total--;
  clearTimeout(p.timer);
  return p.client;
}

/** Closes a pooled session for good. */
export async function realEnd(client: Client): Promise<void> {
  const own = (client as unknown as { reallyEnd?: () => Promise<void> }).reallyEnd;
  await (own ? own() : client.end()).catch(() => undefined);
}

/** Closes every parked session (of one database when named): a finished tenant, a database about to be dropped. */
export async function closeIdleSessions(database?: string): Promise<number> {
  const closing: Client[] = [];
  for (const [key, list] of [...parked]) {
    const keep = list.filter((p) => database !== undefined && p.database !== database);
    for (const p of list) {
      if (keep.includes(p)) continue;
      clearTimeout(p.timer);
      closing.push(p.client);
    }
    if (keep.length) parked.set(key, keep);
    else parked.delete(key);
  }
  total -= closing.length;
  await Promise.all(closing.map(realEnd));
  return closing.length;
}

/** Sessions parked now (for tests and diagnostics). */
export function parkedSessions(): number {
  return total;
}
