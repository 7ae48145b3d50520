/**
 * One streaming session on a PostgreSQL logical slot: receives pgoutput over the replication
 * protocol (pg-logical-replication), assembles committed transactions, hands them to the
 * applier in batches (with backpressure: the socket is paused while a batch applies), and
 * confirms the slot only up to what the applier has committed. Never confirms past a change
 * that is received but not applied.
 */
import { Client, type ClientConfig } from 'pg';
import { LogicalReplicationService, type Pgoutput } from 'pg-logical-replication';
import { compareLsn } from './lsn';
import { RawTextPgoutputPlugin, TransactionAssembler, type ExpectedTable } from './pgoutputDecoding';
import type { SourceTransaction } from './changes';
import type { ApplyOutcome } from './batchApply';

export interface ChangeStreamOptions {
  /** The source database (a replication connection is opened from it). */
  connection: ClientConfig;
  slot: string;
  publication: string;
  tables: ExpectedTable[];
  /** Stored position: commits ending at or before it are not delivered again. */
  fromLsn: string;
  label: string;
  maxBatchChanges?: number;
  maxBatchMs?: number;
  /** Commits a batch (with its position) in the target; must be all-or-nothing. */
  apply: (batch: SourceTransaction[]) => Promise<ApplyOutcome>;
}

export interface ChangeStreamStats {
  /** Position of the last commit applied in the target (or the start position). */
  appliedLsn: string;
  /** Position the slot has been told it may discard up to. */
  confirmedLsn: string;
  changesApplied: number;
  transactionsApplied: number;
  batchesApplied: number;
  lastAppliedCommitTime: string | null;
  /** Seconds between the newest applied commit and its apply, at the last batch (0 when idle and caught up). */
  applyDelaySeconds: number;
  markers: string[];
  /** True when every change the server had sent is applied. */
  idle: boolean;
}

export class PgChangeStream {
  private readonly service: LogicalReplicationService;
  private readonly plugin: RawTextPgoutputPlugin;
  private readonly assembler: TransactionAssembler;
  private pending: SourceTransaction[] = [];
  private pendingChanges = 0;
  private arrived = 0;
  private handled = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private error: Error | undefined;
  private stopping = false;
  private subscribed: Promise<unknown> | undefined;
  readonly stats: ChangeStreamStats;
  private readonly errorWaiters: ((e: Error) => void)[] = [];

  constructor(private readonly opts: ChangeStreamOptions) {
    this.stats = {
      appliedLsn: opts.fromLsn, confirmedLsn: opts.fromLsn, changesApplied: 0, transactionsApplied: 0, batchesApplied: 0,
      lastAppliedCommitTime: null, applyDelaySeconds: 0, markers: [], idle: true,
    };
    this.assembler = new TransactionAssembler(opts.tables, opts.label);
    const plugin = new RawTextPgoutputPlugin(opts.publication);
    const parse = plugin.parse.bind(plugin);
    // Counted as they arrive (before the library queues them): a keepalive may only be confirmed
    // once everything that arrived before it has been handled.
    plugin.parse = (buf: Buffer) => {
      this.arrived++;
      return parse(buf);
    };
    this.plugin = plugin;
    this.service = new LogicalReplicationService(opts.connection, {
      acknowledge: { auto: false, timeoutSeconds: 0 },
      flowControl: { enabled: true },
    });
    this.service.on('data', (lsn: string, msg: Pgoutput.Message) => this.onMessage(lsn, msg));
    this.service.on('heartbeat', (lsn: string, _ts: number, shouldRespond: boolean) => this.onKeepalive(lsn, shouldRespond));
    this.service.on('error', (err: Error) => this.fail(err));
  }

  /** Starts streaming; resolves once the server streams. Rejects if the slot cannot be used. */
  async start(): Promise<void> {
    await claimSlot(this.opts.connection, this.opts.slot);
    const started = new Promise<void>((resolve) => this.service.once('start', () => resolve()));
    this.subscribed = this.service.subscribe(this.plugin, this.opts.slot, this.opts.fromLsn);
    this.subscribed.then(
      () => { if (!this.stopping) this.fail(new Error(`${this.opts.label}: the replication connection closed`)); },
      (err: Error) => this.fail(err),
    );
    await Promise.race([started, this.failure()]);
    const every = this.opts.maxBatchMs ?? 500;
    this.timer = setInterval(() => { if (this.pending.length) void this.serial(() => this.flush()); }, every);
    // Standby status on a timer: keeps the walsender from timing out while nothing changes.
    this.statusTimer = setInterval(() => void this.sendStatus(this.stats.confirmedLsn), 10_000);
  }

  /** A promise that rejects when the stream fails (apply error, DDL, lost connection). */
  failure(): Promise<never> {
    return new Promise<never>((_, reject) => {
      if (this.error) reject(this.error);
      else this.errorWaiters.push(reject);
    });
  }

  get failed(): Error | undefined {
    return this.error;
  }

  /** Applies what is pending, then closes the replication connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    clearInterval(this.statusTimer);
    if (!this.error) await this.serial(() => this.flush()).catch(() => undefined);
    await this.service.stop().catch(() => undefined);
    this.service.removeAllListeners();
  }

  private fail(err: Error): void {
    if (this.error || this.stopping) return;
    this.error = err;
    for (const w of this.errorWaiters.splice(0)) w(err);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async onMessage(lsn: string, msg: Pgoutput.Message): Promise<void> {
    this.handled++;
    if (this.error || this.stopping) return;
    try {
      if (msg.tag === 'message' && !msg.transactional && !this.assembler.inTransaction) {
        // A heartbeat written by tmig into an idle source: once all before it is applied, it may be confirmed.
        await this.serial(() => this.flush());
        if (this.caughtUp()) await this.confirm(lsn);
        return;
      }
      const txn = this.assembler.push(msg);
      if (!txn) return;
      if (compareLsn(txn.position, this.stats.appliedLsn) <= 0) return; // already applied (replayed by the server)
      this.stats.idle = false;
      this.pending.push(txn);
      this.pendingChanges += txn.changes.length;
      if (this.pendingChanges >= (this.opts.maxBatchChanges ?? 5000) || txn.markers.length) await this.serial(() => this.flush());
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private caughtUp(): boolean {
    return !this.pending.length && !this.assembler.inTransaction && this.arrived === this.handled;
  }

  private async onKeepalive(lsn: string, shouldRespond: boolean): Promise<void> {
    if (this.error || this.stopping) return;
    if (this.caughtUp()) {
      this.stats.idle = true;
      this.stats.applyDelaySeconds = 0;
      await this.serial(async () => { if (this.caughtUp()) await this.confirm(lsn); });
    } else if (shouldRespond) {
      await this.sendStatus(this.stats.confirmedLsn);
    }
  }

  private async flush(): Promise<void> {
    if (!this.pending.length || this.error) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingChanges = 0;
    try {
      const out = await this.opts.apply(batch);
      const last = batch[batch.length - 1];
      this.stats.appliedLsn = last.position;
      this.stats.changesApplied += out.changes;
      this.stats.transactionsApplied += out.transactions;
      this.stats.batchesApplied++;
      this.stats.lastAppliedCommitTime = last.commitTime;
      this.stats.applyDelaySeconds = Math.max(0, (Date.now() - Date.parse(last.commitTime)) / 1000);
      this.stats.markers.push(...batch.flatMap((t) => t.markers));
      // Only now, with the batch and its position committed in the target, may the slot move on.
      await this.confirm(last.position);
    } catch (err) {
      this.fail(err as Error);
      throw err;
    }
  }

  private async confirm(lsn: string): Promise<void> {
    if (compareLsn(lsn, this.stats.confirmedLsn) > 0) this.stats.confirmedLsn = lsn;
    await this.sendStatus(this.stats.confirmedLsn);
  }

  private async sendStatus(lsn: string): Promise<void> {
    if (this.error) return;
    try {
      await this.service.acknowledge(lsn);
    } catch (err) {
      this.fail(err as Error);
    }
  }
}

/**
 * One consumer per slot: a walsender still holding it belongs to an earlier attempt of this
 * stream (a killed worker, a timed-out activity) and is ended, so this attempt can stream.
 */
async function claimSlot(connection: ClientConfig, slot: string): Promise<void> {
  const db = new Client({ ...connection, application_name: 'tmig-claim-slot' });
  db.on('error', () => undefined);
  await db.connect();
  try {
    for (let i = 0; i < 100; i++) {
      const r = await db.query<{ pid: number | null }>('SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      const pid = r.rows[0]?.pid;
      if (!pid) return;
      await db.query('SELECT pg_terminate_backend($1)', [pid]);
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`replication slot ${slot} stays in use by another session`);
  } finally {
    await db.end().catch(() => undefined);
  }
}
