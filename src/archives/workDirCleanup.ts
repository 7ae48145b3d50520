import { rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { backupDirOf, serverConfig } from '../config/loadConfig';
import type { MigratorConfig } from '../config/configSchema';
import { dirSize, listFiles, tenantWorkDir } from './workDir';

export const DEFAULT_KEEP_BYTES = 2 * 1024 ** 3;

export interface CleanupWorkDirInput {
  tenantId: string;
  /** True after a successful migration: everything goes. False: the directory is kept for diagnosis. */
  ok: boolean;
  /** Also remove the .bak placed on this server's backup share (on success only). */
  sourceServer?: string;
  /** Failed runs keep at most this many bytes (largest files are dropped first). Default 2 GiB. */
  keepBytes?: number;
}

export interface CleanupWorkDirResult {
  removed: boolean;
  keptBytes: number;
  /** Files dropped from a kept directory to fit the size limit. */
  pruned: string[];
}

export async function cleanTenantWorkDir(config: MigratorConfig, input: CleanupWorkDirInput): Promise<CleanupWorkDirResult> {
  const dir = tenantWorkDir(config, input.tenantId);
  if (input.ok) {
    await rm(dir, { recursive: true, force: true });
    const backupDir = input.sourceServer ? backupDirOf(serverConfig(config, input.sourceServer)) : undefined;
    if (backupDir) await rm(join(backupDir.worker, input.tenantId), { recursive: true, force: true });
    return { removed: true, keptBytes: 0, pruned: [] };
  }
  const limit = input.keepBytes ?? DEFAULT_KEEP_BYTES;
  let size = await dirSize(dir);
  const pruned: string[] = [];
  if (size > limit) {
    const files = await Promise.all((await listFiles(dir)).map(async (f) => ({ f, size: (await stat(join(dir, f))).size })));
    files.sort((a, b) => b.size - a.size);
    for (const { f, size: s } of files) {
      if (size <= limit) break;
      await rm(join(dir, f), { force: true });
      size -= s;
      pruned.push(f);
    }
    await writeFile(join(dir, 'PRUNED.txt'),
      `Kept for diagnosis after a failed migration; to stay under ${limit} bytes these files were removed:\n${pruned.join('\n')}\n`);
  }
  return { removed: false, keptBytes: size, pruned };
}
