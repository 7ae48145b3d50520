import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import { FailureType, PermanentError } from '../../contract/failures';
import type { ExtractionSink } from '../extractionSink';
import { extractTarStream } from './tarStream';

export const BSDTAR = process.env.TMIG_BSDTAR ?? 'bsdtar';

/** Concatenates files into one stream (the volumes of a multi-volume RAR set, as libarchive wants them). */
function concatFiles(paths: string[]): PassThrough {
  const out = new PassThrough();
  (async () => {
    for (const p of paths) {
      for await (const c of createReadStream(p)) if (!out.write(c)) await new Promise((r) => out.once('drain', r));
    }
    out.end();
  })().catch((err) => out.destroy(err));
  return out;
}

/**
 * RAR and 7z through libarchive's bsdtar: it reads the archive and re-emits it as a pax tar stream
 * (`bsdtar -cf - @archive`), which the tar parser feeds to the sink. So libarchive decodes, but never writes a
 * file: every name, link and byte still passes the sink's checks.
 *
 * `stream`: the archive (all volumes, in order) is piped to stdin. RAR needs this: multi-volume sets must come
 * as one stream, and on a seekable file libarchive's zip reader can mistake a RAR that stores a zip for that zip.
 * `file`: bsdtar opens the file itself; 7z needs this (its header is at the end: it must seek).
 */
export async function extractViaLibarchive(paths: string[], archive: string, sink: ExtractionSink, mode: 'stream' | 'file'): Promise<void> {
  const source = mode === 'stream' ? '@-' : `@${paths[0]}`;
  const child = spawn(BSDTAR, ['-c', '-f', '-', '--format', 'pax', source], { stdio: [mode === 'stream' ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString('utf8')).slice(-4000); });
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', (err) => reject(new Error(`cannot run ${BSDTAR} (Debian package libarchive-tools): ${err.message}`)));
    child.on('close', (code) => resolve(code ?? 1));
  });
  if (mode === 'stream') {
    const input = concatFiles(paths);
    input.on('error', (err) => child.stdin!.destroy(err));
    child.stdin!.on('error', () => { /* bsdtar stopped reading: its exit status says why */ });
    input.pipe(child.stdin!);
  }
  let parseError: unknown;
  try {
    await extractTarStream(child.stdout!, archive, sink);
  } catch (err) {
    parseError = err;
    child.kill('SIGKILL');
  }
  const code = await exited;
  if (parseError instanceof PermanentError && parseError.type !== FailureType.ArchiveCorrupt) throw parseError;
  if (code !== 0) {
    const msg = stderr.replace(/bsdtar: Error exit delayed from previous errors\.?/g, '').replace(/\s+/g, ' ').trim();
    if (/encrypt|password/i.test(msg)) {
      throw new PermanentError(FailureType.ArchiveEncrypted, `archive ${archive} is encrypted; upload it without a password (${msg})`);
    }
    if (parseError && !(parseError instanceof PermanentError)) throw parseError;
    throw new PermanentError(FailureType.ArchiveCorrupt, `archive ${archive} is corrupt or unreadable: ${msg || `bsdtar exit ${code}`}`);
  }
  if (parseError) throw parseError;
}
