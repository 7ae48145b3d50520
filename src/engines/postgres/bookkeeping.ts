/**
 * The `_tmig` schema in every target database: the run's state, the exactly-once DDL log,
 * the range plan, per-range checkpoints and per-chunk checksums. Chunk rows and checkpoints
 * are written in the same transaction as the data they describe.
 */
export const BOOKKEEPING_DDL = `
CREATE SCHEMA IF NOT EXISTS _tmig;
CREATE TABLE IF NOT EXISTS _tmig.run (
  id int PRIMARY KEY CHECK (id = 1),
  tenant_id text NOT NULL,
  source text NOT NULL,
  status text NOT NULL CHECK (status IN ('incomplete', 'complete', 'failed')),
  pre_data_done boolean NOT NULL DEFAULT false,
  post_data_done boolean NOT NULL DEFAULT false,
  started_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  last_error text
);
-- A completed database this one replaced (options.replaceCompleted): renamed aside, not dropped.
ALTER TABLE _tmig.run ADD COLUMN IF NOT EXISTS replaced_database text;
CREATE TABLE IF NOT EXISTS _tmig.model (id int PRIMARY KEY CHECK (id = 1), model jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS _tmig.ddl_done (label text PRIMARY KEY, done_at timestamptz NOT NULL DEFAULT now());
-- Post-data DDL taken from the source with the pre-data (one dump), applied after the copy.
CREATE TABLE IF NOT EXISTS _tmig.ddl_plan (section text PRIMARY KEY, steps jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS _tmig.checkpoint (
  table_name text NOT NULL,
  range_id int NOT NULL,
  lo text,
  hi text,
  last_key text[],
  rows_done bigint NOT NULL DEFAULT 0,
  bytes_done bigint NOT NULL DEFAULT 0,
  chunks int NOT NULL DEFAULT 0,
  done boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (table_name, range_id)
);
CREATE TABLE IF NOT EXISTS _tmig.chunk (
  table_name text NOT NULL,
  range_id int NOT NULL,
  chunk_no int NOT NULL,
  after_key text[],
  last_key text[],
  rows bigint NOT NULL,
  bytes bigint NOT NULL,
  checksum text NOT NULL,
  checksum_kind text NOT NULL,
  attempt int NOT NULL,
  committed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (table_name, range_id, chunk_no)
);
-- Added later (NULL in chunks an older version wrote; validation then re-reads those chunks cold):
-- the checksum of the chunk's rows read back from the target inside the transaction that wrote
-- them, and that transaction's id (txid_current(), 64-bit), for the xmin census of validation.
ALTER TABLE _tmig.chunk ADD COLUMN IF NOT EXISTS target_checksum text;
ALTER TABLE _tmig.chunk ADD COLUMN IF NOT EXISTS xact bigint;
`;
