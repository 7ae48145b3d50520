/**
 * The compose stack's init service: creates the MinIO bucket, creates the sample SQL Server
 * database from deploy/init/sample-hotel.sql, backs it up to a .bak on the shared backups volume,
 * zips it (bsdtar) and uploads it, so the compose manifest (deploy/wave.compose.json) can migrate
 * the live database and restore the uploaded backup. Idempotent; run by `docker compose up`.
 */
import { execFile } from 'node:child_process';
import { chmodSync, createReadStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { loadConfig, serverConfig } from '../config/loadConfig';
import { openPool } from '../engines/mssql/connection';
import { s3ClientFromConfig } from '../storage/s3Client';
import { BSDTAR } from '../archives/extractors/libarchive';

const run = promisify(execFile);

/** Splits a T-SQL script into batches at `GO` lines, as sqlcmd and SSMS do. */
export function splitBatches(script: string): string[] {
  return script.split(/^\s*GO\s*(?:--.*)?$/gim).map((b) => b.trim()).filter((b) => b && !/^(--[^\n]*\n?\s*)+$/.test(b + '\n'));
}

export interface SeedOptions {
  server: string;
  database: string;
  sqlFile: string;
  bucket: string;
  key: string;
}

export async function seed(o: SeedOptions): Promise<void> {
  const config = loadConfig();
  const server = serverConfig(config, o.server);
  if (server.kind !== 'mssql' || !server.backupDir) throw new Error(`seed: server "${o.server}" must be kind mssql with a backupDir`);

  const s3 = s3ClientFromConfig(config.s3);
  try {
    await s3.send(new HeadBucketCommand({ Bucket: o.bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: o.bucket }));
    console.log(`seed: bucket ${o.bucket} created`);
  }

  const pool = await openPool(o.server, server, 'master');
  const bakName = `${o.database}.bak`;
  const workerDir = join(server.backupDir.worker, 'seed');
  try {
    for (const batch of splitBatches(readFileSync(o.sqlFile, 'utf8'))) await pool.request().batch(batch);
    console.log(`seed: database ${o.database} created from ${o.sqlFile}`);
    // SQL Server runs as uid 10001: let it write into the shared volume's folder.
    mkdirSync(workerDir, { recursive: true });
    chmodSync(workerDir, 0o777);
    const serverPath = posix.join(server.backupDir.server, 'seed', bakName);
    await pool.request().batch(`BACKUP DATABASE [${o.database}] TO DISK = N'${serverPath.replace(/'/g, "''")}' WITH INIT, FORMAT, CHECKSUM`);
    console.log(`seed: backed up to ${serverPath}`);
  } finally {
    await pool.close();
  }

  const zip = join(workerDir, `${o.database}.zip`);
  rmSync(zip, { force: true });
  await run(BSDTAR, ['-a', '-c', '-f', zip, '-C', workerDir, bakName]);
  await new Upload({ client: s3, params: { Bucket: o.bucket, Key: o.key, Body: createReadStream(zip) } }).done();
  rmSync(join(workerDir, bakName), { force: true });
  rmSync(zip, { force: true });
  console.log(`seed: uploaded s3://${o.bucket}/${o.key}`);
}

if (require.main === module) {
  seed({
    server: process.env.SEED_SERVER ?? 'sqlserver',
    database: process.env.SEED_DATABASE ?? 'tmig_sample',
    sqlFile: process.env.SEED_SQL ?? 'deploy/init/sample-hotel.sql',
    bucket: process.env.SEED_BUCKET ?? 'tmig-backups',
    key: process.env.SEED_KEY ?? 'incoming/hotel-bak/tmig_sample.zip',
  }).catch((err) => {
    console.error(`seed failed: ${(err as Error).message}`);
    process.exit(1);
  });
}
