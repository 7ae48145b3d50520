/**
 * The stage as one library instance sees it: read from the MySQL control table at most once per
 * TTL, and each read reports this instance (and the stage it runs) in the writers table.
 */
import type { Pool } from 'mysql2/promise';
import { readControl, reportWriter, type ControlRow } from '../engines/mysql/stageControl';

export class StageCache {
  private row: ControlRow | undefined;
  private fetchedAt = 0;
  private inflight: Promise<ControlRow> | undefined;

  constructor(private readonly pool: Pool, private readonly service: string, private readonly instanceId: string, private readonly ttlMs: number) {}

  async current(): Promise<ControlRow> {
    if (this.row && Date.now() - this.fetchedAt < this.ttlMs) return this.row;
    this.inflight ??= this.fetch().finally(() => { this.inflight = undefined; });
    return this.inflight;
  }

  /** Forget the cached stage (a write found that the stage moved on). */
  invalidate(): void {
    this.fetchedAt = 0;
  }

  private async fetch(): Promise<ControlRow> {
    const row = await readControl(this.pool, this.service);
    if (!row) throw new Error(`service ${this.service}: no lazy-migration control row in MySQL (run \`tmig lazy start\` first)`);
    await reportWriter(this.pool, this.service, this.instanceId, row.stage);
    this.row = row;
    this.fetchedAt = Date.now();
    return row;
  }
}
