import { createExtractorFromFile } from 'node-unrar-js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailureType, PermanentError } from '../../contract/failures';

export interface ArchiveListing {
  names: string[];
  declaredBytes: number;
}

/**
 * Reads a RAR's headers with node-unrar-js (RARLAB's unrar, compiled to WebAssembly, file-based so the archive is
 * not loaded into memory) to find encryption and declared sizes before anything is extracted. libarchive cannot
 * tell an encrypted RAR from a broken one, unrar can.
 */
export async function inspectRar(firstVolume: string, archive: string): Promise<ArchiveListing> {
  const scratch = await mkdtemp(join(tmpdir(), 'tmig-rar-'));
  try {
    const extractor = await createExtractorFromFile({ filepath: firstVolume, targetPath: scratch });
    const list = extractor.getFileList();
    if (list.arcHeader.flags.headerEncrypted) {
      throw new PermanentError(FailureType.ArchiveEncrypted, `archive ${archive} has encrypted headers; upload it without a password`);
    }
    const names: string[] = [];
    let declaredBytes = 0;
    for (const h of list.fileHeaders) {
      if (h.flags.encrypted) {
        throw new PermanentError(FailureType.ArchiveEncrypted, `archive ${archive} is encrypted (entry "${h.name}"); upload it without a password`);
      }
      names.push(h.name);
      declaredBytes += h.unpSize;
    }
    return { names, declaredBytes };
  } catch (err) {
    if (err instanceof PermanentError) throw err;
    const reason = (err as { reason?: string }).reason ?? (err as Error).message;
    if (reason === 'ERAR_MISSING_PASSWORD' || reason === 'ERAR_BAD_PASSWORD') {
      throw new PermanentError(FailureType.ArchiveEncrypted, `archive ${archive} is encrypted (${reason}); upload it without a password`);
    }
    if (reason === 'ERAR_EOPEN' && /volume/i.test((err as Error).message ?? '')) {
      throw new PermanentError(FailureType.ArchiveCorrupt, `archive ${archive}: a volume of the set is missing (${reason})`);
    }
    throw new PermanentError(FailureType.ArchiveCorrupt, `archive ${archive} is corrupt (${reason})`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
