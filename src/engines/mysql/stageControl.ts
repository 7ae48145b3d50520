/**
 * The stage control table in MySQL: one row per service with its current stage and the facts the
 * stage preconditions need; and the writers table, where every library instance reports the stage it runs.
 */
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { CONTROL_TABLE, WRITERS_TABLE } from './lazyDdl';
import { quoteIdent as q } from './quoting';

export interface ControlRow {
  service: string;
  stage: number;
  stageChangedAt: string;
  dualConfirmedAt: string | null;
  validationPassed: boolean;
  validatedAt: string | null;
  backfillDone: boolean;
  cleanupDone: boolean;
  planJson: string;
  /** The server's clock when read (compare with stageChangedAt without trusting local clocks). */
  now: string;
}

const TS = (col: string) => `DATE_FORMAT(${col}, '%Y-%m-%d %H:%i:%s.%f')`;

export async function readControl(pool: Pool, service: string): Promise<ControlRow | undefined> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT service, stage, ${TS('stage_changed_at')} AS stage_changed_at, ${TS('dual_confirmed_at')} AS dual_confirmed_at, validation_passed, `
    + `${TS('validated_at')} AS validated_at, backfill_done, cleanup_done, plan_json, ${TS('NOW(6)')} AS now FROM ${q(CONTROL_TABLE)} WHERE service = ?`, [service]);
  const r = rows[0];
  if (!r) return undefined;
  return {
    service: String(r.service), stage: Number(r.stage), stageChangedAt: String(r.stage_changed_at), dualConfirmedAt: r.dual_confirmed_at ?? null,
    validationPassed: !!Number(r.validation_passed), validatedAt: r.validated_at ?? null, backfillDone: !!Number(r.backfill_done),
    cleanupDone: !!Number(r.cleanup_done), planJson: String(r.plan_json), now: String(r.now),
  };
}

/** Creates the control row at stage 1 (legacy) if the service has none; keeps an existing one. */
export async function ensureControl(pool: Pool, service: string, planJson: string): Promise<void> {
  await pool.query(`INSERT IGNORE INTO ${q(CONTROL_TABLE)} (service, stage, stage_changed_at, plan_json) VALUES (?, 1, NOW(6), ?)`, [service, planJson]);
}

export async function setStage(pool: Pool, service: string, from: number, to: number): Promise<void> {
  const [res] = await pool.query(
    `UPDATE ${q(CONTROL_TABLE)} SET stage = ?, stage_changed_at = NOW(6)${to <= 2 ? ', dual_confirmed_at = NULL' : ''}${to <= 3 ? ', validation_passed = 0, backfill_done = 0' : ''} WHERE service = ? AND stage = ?`,
    [to, service, from]);
  if ((res as { affectedRows: number }).affectedRows !== 1) {
    const row = await readControl(pool, service);
    throw new Error(`service ${service}: stage is ${row?.stage ?? 'not set'}, expected ${from}`);
  }
}

export async function setControlFlags(pool: Pool, service: string, flags: { dualConfirmedNow?: boolean; validationPassed?: boolean; backfillDone?: boolean; cleanupDone?: boolean }): Promise<void> {
  const sets: string[] = [];
  const params: unknown[] = [];
  if (flags.dualConfirmedNow) sets.push('dual_confirmed_at = NOW(6)');
  if (flags.validationPassed !== undefined) { sets.push('validation_passed = ?', 'validated_at = NOW(6)'); params.push(flags.validationPassed ? 1 : 0); }
  if (flags.backfillDone !== undefined) { sets.push('backfill_done = ?'); params.push(flags.backfillDone ? 1 : 0); }
  if (flags.cleanupDone !== undefined) { sets.push('cleanup_done = ?'); params.push(flags.cleanupDone ? 1 : 0); }
  if (sets.length === 0) return;
  await pool.query(`UPDATE ${q(CONTROL_TABLE)} SET ${sets.join(', ')} WHERE service = ?`, [...params, service]);
}

export async function reportWriter(pool: Pool, service: string, instanceId: string, stage: number): Promise<void> {
  await pool.query(`INSERT INTO ${q(WRITERS_TABLE)} (service, instance_id, stage_seen, last_seen) VALUES (?, ?, ?, NOW(6)) `
    + 'ON DUPLICATE KEY UPDATE stage_seen = VALUES(stage_seen), last_seen = VALUES(last_seen)', [service, instanceId, stage]);
}

export async function removeWriter(pool: Pool, service: string, instanceId: string): Promise<void> {
  await pool.query(`DELETE FROM ${q(WRITERS_TABLE)} WHERE service = ? AND instance_id = ?`, [service, instanceId]);
}

export interface WriterRow {
  instanceId: string;
  stageSeen: number;
  /** Seconds since it last reported (server clock). */
  ageSeconds: number;
}

export async function listWriters(pool: Pool, service: string): Promise<WriterRow[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT instance_id, stage_seen, TIMESTAMPDIFF(MICROSECOND, last_seen, NOW(6)) / 1e6 AS age FROM ${q(WRITERS_TABLE)} WHERE service = ?`, [service]);
  return rows.map((r) => ({ instanceId: String(r.instance_id), stageSeen: Number(r.stage_seen), ageSeconds: Number(r.age) }));
}
