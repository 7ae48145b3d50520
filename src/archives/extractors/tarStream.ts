import { Parser, type ReadEntry } from 'tar';
import type { Readable } from 'node:stream';
import { FailureType, PermanentError } from '../../contract/failures';
import type { ExtractionSink } from '../extractionSink';

async function writeEntry(entry: ReadEntry, sink: ExtractionSink): Promise<void> {
  switch (entry.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      await sink.file(entry.path, entry as unknown as AsyncIterable<Buffer>);
      return;
    case 'Directory':
      entry.resume();
      await sink.directory(entry.path);
      return;
    case 'SymbolicLink':
      entry.resume();
      sink.symlink(entry.path, entry.linkpath ?? '');
      return;
    case 'Link':
      entry.resume();
      await sink.hardlink(entry.path, entry.linkpath ?? '');
      return;
    default:
      sink.unsupported(entry.path, entry.type);
  }
}

/**
 * Parses a tar stream (plain, from gunzip, or converted by bsdtar) with node-tar and hands every entry to the
 * sink, one at a time and in order, so nothing is buffered beyond the stream's own chunks.
 */
export function extractTarStream(input: Readable, archive: string, sink: ExtractionSink): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed: unknown;
    let chain = Promise.resolve();
    let entries = 0;
    let allZero = true;
    input.on('data', (c: Buffer) => { if (allZero && c.some((b) => b !== 0)) allZero = false; });
    const fail = (err: unknown) => {
      if (failed) return;
      // node-tar calls a tar of nothing but end blocks "unrecognized"; it is a valid, empty archive.
      if ((err as { code?: string }).code === 'TAR_BAD_ARCHIVE' && entries === 0 && allZero) {
        chain.then(() => resolve(), reject);
        return;
      }
      const code = (err as NodeJS.ErrnoException).code;
      // Local I/O trouble (disk full, ...) stays transient; anything the decoder says is about the archive.
      failed = err instanceof PermanentError || (code !== undefined && /^E[A-Z]+$/.test(code)) ? err
        : new PermanentError(FailureType.ArchiveCorrupt, `archive ${archive} is corrupt: ${(err as Error).message ?? String(err)}`);
      input.unpipe();
      input.destroy();
      reject(failed);
    };
    const parser = new Parser({
      strict: true,
      noResume: true,
      onReadEntry: (entry: ReadEntry) => {
        entries += 1;
        chain = chain.then(() => (failed ? entry.resume() as unknown as void : writeEntry(entry, sink))).catch((err) => {
          entry.resume();
          fail(err);
        });
      },
    });
    parser.on('error', fail);
    parser.on('end', () => chain.then(() => { if (!failed) resolve(); }, fail));
    input.on('error', fail);
    input.pipe(parser as unknown as NodeJS.WritableStream);
  });
}
