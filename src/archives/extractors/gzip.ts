import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { FailureType, PermanentError } from '../../contract/failures';
import type { ExtractionSink } from '../extractionSink';
import { extractTarStream } from './tarStream';

/** True when the first 512 decompressed bytes are a ustar header (a .tar.gz whatever its name). */
async function gzipHoldsTar(path: string): Promise<boolean> {
  const head: Buffer[] = [];
  let got = 0;
  const stream = createReadStream(path).pipe(createGunzip());
  try {
    for await (const c of stream) {
      head.push(c as Buffer);
      got += (c as Buffer).length;
      if (got >= 512) break;
    }
  } catch {
    // a damaged stream is reported by the real pass
  } finally {
    stream.destroy();
  }
  const buf = Buffer.concat(head);
  return buf.length >= 262 && buf.subarray(257, 262).toString('latin1') === 'ustar';
}

function corrupt(archive: string, err: unknown): unknown {
  if (err instanceof PermanentError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code && /^E[A-Z]+$/.test(code)) return err;
  return new PermanentError(FailureType.ArchiveCorrupt, `archive ${archive} is corrupt: ${(err as Error).message}`);
}

/** .gz / .tar.gz / .tgz with Node's zlib, streamed; a gzipped tar goes through the tar parser, anything else is one file. */
export async function extractGzip(path: string, archive: string, outputName: string, sink: ExtractionSink): Promise<void> {
  if (await gzipHoldsTar(path)) {
    await extractTarStream(createReadStream(path).pipe(createGunzip()), archive, sink);
    return;
  }
  try {
    await sink.file(outputName, createReadStream(path).pipe(createGunzip()));
  } catch (err) {
    throw corrupt(archive, err);
  }
}
