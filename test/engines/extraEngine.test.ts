import { Readable } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEngine } from '../../src/engines/engineDescriptor';
import { engineDescriptors, registerEngine } from '../../src/engines/registry';
import { serverBaseFor } from '../../src/engines/serverConnection';
import type { SourceEngine } from '../../src/engines/sourceEngine';
import type { SchemaModel, TableModel } from '../../src/engines/schemaModel';
import { parseConfig, resetConfigCache } from '../../src/config/loadConfig';
import { applyPostData, createSchema } from '../../src/activities/applySchema';
import { copyTableSlice } from '../../src/activities/copyTableSlice';
import { describeSource, prepareTarget } from '../../src/activities/prepareTarget';
import { planCopy } from '../../src/activities/planCopy';
import { validateTable } from '../../src/activities/validateTables';
import { markTargetComplete } from '../../src/activities/markTarget';
import type { TenantRef } from '../../src/contract/tenantRef';
import { PG_ADMIN_URL, dropDatabases, withDb } from '../helpers/pg';

/**
 * "Adding an engine is a folder plus one registry line": an engine defined here, in the test file
 * alone (kind `generated`, a source of numbered rows), is registered at run time and a tenant is
 * migrated from it by the real activities into a real PostgreSQL target: no other file knows it.
 */
const ROWS = 2_500;
const TARGET_DB = 'tmig_extra_engine_dst';

const generatedServerSchema = serverBaseFor(['generated'], 'generated://rows').partial({ url: true }).extend({ kind: z.literal('generated'), rows: z.number().int().positive() });

const items: TableModel = {
  schema: 'gen', name: 'items', targetSchema: 'public', targetName: 'items', key: ['id'], estimatedRows: ROWS,
  columns: [
    { name: 'id', targetName: 'id', sourceType: 'int', targetType: 'integer', nullable: false, generated: false },
    { name: 'label', targetName: 'label', sourceType: 'text', targetType: 'text', nullable: false, generated: false },
  ],
  indexes: [{ name: 'items_pk', targetName: 'items_pkey', columns: [{ name: 'id', descending: false }], include: [], unique: true, primaryKey: true }],
  foreignKeys: [], checks: [],
};

/** Rows 1..n as canonical COPY text, keyed on id. */
class GeneratedSource implements SourceEngine {
  readonly kind = 'generated';
  constructor(private readonly rows: number) {}
  async describe(): Promise<SchemaModel> {
    return { sourceKind: 'generated', tables: [items], notMigrated: [], notes: [] };
  }
  async preDataSteps() {
    return [{ label: 'table public.items', sql: 'CREATE TABLE public.items (id integer NOT NULL, label text NOT NULL)', group: 0 }];
  }
  async postDataSteps() {
    return [{ label: 'primary key public.items', sql: 'ALTER TABLE public.items ADD PRIMARY KEY (id)', group: 0 }];
  }
  async sequenceStates() {
    return [];
  }
  async count(_t: TableModel, range?: { lo: string | null; hi: string | null }) {
    return this.ids(range).length;
  }
  async planRanges(_t: TableModel, parts: number) {
    const step = Math.ceil(this.rows / parts);
    return Array.from({ length: parts }, (_, i) => ({ lo: i === 0 ? null : String(i * step), hi: i === parts - 1 ? null : String((i + 1) * step) }));
  }
  async readChunk(req: { range: { lo: string | null; hi: string | null }; after: string[] | null; upTo?: string[] | null; limit: number | null }) {
    let ids = this.ids(req.range).filter((id) => req.after === null || id > Number(req.after[0]));
    if (req.upTo) ids = ids.filter((id) => id <= Number(req.upTo![0]));
    if (req.limit !== null) ids = ids.slice(0, req.limit);
    return Readable.from(ids.map((id) => `${id}\titem ${id}\n`));
  }
  async close() {}
  private ids(range?: { lo: string | null; hi: string | null }): number[] {
    const all = Array.from({ length: this.rows }, (_, i) => i + 1);
    return all.filter((id) => (range?.lo == null || id > Number(range.lo)) && (range?.hi == null || id <= Number(range.hi)));
  }
}

const generatedEngine = defineEngine({
  kind: 'generated',
  configSchema: generatedServerSchema,
  createSource: async (ep) => new GeneratedSource(ep.server.rows),
  quoteIdent: (name: string) => `"${name}"`,
});

const configText = JSON.stringify({
  servers: { gen: { kind: 'generated', rows: ROWS }, target: { kind: 'postgres', url: PG_ADMIN_URL } },
});

describe('an extra engine registered from outside src/ migrates a tenant', () => {
  const ref: TenantRef = { tenantId: 'extra', source: { server: 'gen', database: 'numbers' }, target: { server: 'target', database: TARGET_DB } };

  beforeAll(async () => {
    await dropDatabases(TARGET_DB);
    const dir = mkdtempSync(join(tmpdir(), 'tmig-extra-'));
    writeFileSync(join(dir, 'config.json'), configText);
    process.env.MIGRATOR_CONFIG = join(dir, 'config.json');
    resetConfigCache();
  });

  afterAll(async () => {
    resetConfigCache();
    await dropDatabases(TARGET_DB);
  });

  it('is unknown until registered: the config naming it is refused, naming the field', () => {
    expect(engineDescriptors().map((d) => d.kind)).not.toContain('generated');
    expect(() => parseConfig(configText, 'config.json')).toThrow(/servers\.gen\.kind/);
  });

  it('once registered, the config parses and the real activities copy and validate it', async () => {
    registerEngine(generatedEngine);
    expect(parseConfig(configText, 'config.json').servers.gen).toEqual({ kind: 'generated', rows: ROWS, maxConcurrency: 4 });

    expect(await prepareTarget(ref)).toBe('new');
    expect((await describeSource(ref)).tables).toEqual([{ table: 'public.items', key: ['id'], estimatedRows: ROWS }]);
    expect(await createSchema(ref)).toEqual({ applied: true });
    const plan = await planCopy(ref, { splitRowsThreshold: 1_000, rangesPerTable: 2 });
    expect(plan.map((p) => p.rangeId)).toEqual([0, 1]);
    for (const item of plan) {
      const r = await copyTableSlice(ref, { table: item.table, rangeId: item.rangeId, chunkRows: 400, budgetMs: 60_000 });
      expect(r.done).toBe(true);
    }
    await applyPostData(ref, 2);
    const v = await validateTable(ref, { table: 'public.items', mode: 'full', sampleRate: 1 });
    expect(v).toMatchObject({ sourceRows: ROWS, targetRows: ROWS, checksumOk: true, mismatches: [] });
    expect(v.chunksVerified).toBe(v.chunks);
    await markTargetComplete(ref);

    const rows = await withDb(TARGET_DB, (db) => db.query(`SELECT count(*)::int AS n, sum(id)::bigint::text AS s, max(label) AS m FROM items`));
    expect(rows.rows[0]).toEqual({ n: ROWS, s: String((ROWS * (ROWS + 1)) / 2), m: 'item 999' });
  });
});
