import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FailureType, PermanentError } from '../../contract/failures';
import type { ArchiveListing } from './rarInspect';

const run = promisify(execFile);

/** The 7za binary shipped by the 7zip-min package (7zip-bin). */
export function sevenZipBinary(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return process.env.TMIG_7ZA ?? (require('7zip-min') as { getConfig(): { binaryPath: string } }).getConfig().binaryPath;
}

/**
 * Lists a 7z archive's technical headers with 7za (`l -slt`): encryption per entry, encrypted headers, declared
 * sizes. A dummy password stops 7za from prompting when the headers are encrypted.
 */
export async function inspect7z(path: string, archive: string): Promise<ArchiveListing> {
  let stdout: string;
  try {
    ({ stdout } = await run(sevenZipBinary(), ['l', '-slt', '-ba', '-p-', '--', path], { maxBuffer: 64 * 1024 * 1024 }));
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number | string; message: string };
    if (typeof e.code === 'string') throw new Error(`cannot run 7za: ${e.message}`);
    const text = `${e.stdout ?? ''} ${e.stderr ?? ''}`.replace(/\s+/g, ' ').trim();
    if (/encrypted|wrong password/i.test(text)) {
      throw new PermanentError(FailureType.ArchiveEncrypted, `archive ${archive} has encrypted headers; upload it without a password`);
    }
    throw new PermanentError(FailureType.ArchiveCorrupt, `archive ${archive} is corrupt: ${text.slice(0, 500)}`);
  }
  const names: string[] = [];
  let declaredBytes = 0;
  for (const block of stdout.split(/\n\s*\n/)) {
    const field = (k: string) => new RegExp(`^${k} = (.*)$`, 'm').exec(block)?.[1];
    const name = field('Path');
    if (name === undefined) continue;
    if (field('Encrypted') === '+') {
      throw new PermanentError(FailureType.ArchiveEncrypted, `archive ${archive} is encrypted (entry "${name}"); upload it without a password`);
    }
    names.push(name);
    declaredBytes += Number(field('Size') ?? 0);
  }
  return { names, declaredBytes };
}
