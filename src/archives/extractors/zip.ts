import yauzl from 'yauzl';
import { crc32 } from 'node:zlib';
import { Transform } from 'node:stream';
import { FailureType, PermanentError } from '../../contract/failures';
import type { ExtractionSink } from '../extractionSink';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true, strictFileNames: false },
      (err, zip) => (err ? reject(err) : resolve(zip)));
  });
}

function readEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (e: yauzl.Entry) => {
      entries.push(e);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', reject);
    zip.readEntry();
  });
}

function openStream(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))));
}

/** yauzl's own name checks (traversal, absolute paths) surface as plain errors: give them their type. */
function classify(archive: string, err: unknown): unknown {
  if (err instanceof PermanentError) return err;
  const msg = (err as Error).message ?? String(err);
  if (/absolute path|invalid relative path|invalid characters in fileName/i.test(msg)) {
    return new PermanentError(FailureType.ArchiveRejected, `archive ${archive}: ${msg} (path traversal)`);
  }
  if (/unsupported compression method/i.test(msg)) {
    return new PermanentError(FailureType.ArchiveRejected, `archive ${archive}: ${msg}`);
  }
  // Local I/O trouble (disk full, ...) stays transient.
  if (/^E[A-Z]+$/.test((err as NodeJS.ErrnoException).code ?? '')) return err;
  return new PermanentError(FailureType.ArchiveCorrupt, `archive ${archive} is corrupt: ${msg}`);
}

/** Zip with yauzl: reads the central directory first (names, encryption, declared sizes), then streams each entry. */
export async function extractZip(path: string, archive: string, sink: ExtractionSink): Promise<void> {
  let zip: yauzl.ZipFile | undefined;
  try {
    zip = await openZip(path);
    const entries = await readEntries(zip);
    let declared = 0;
    for (const e of entries) {
      if (e.isEncrypted()) {
        throw new PermanentError(FailureType.ArchiveEncrypted, `archive ${archive} is encrypted (entry "${e.fileName}"); upload it without a password`);
      }
      sink.relativePath(e.fileName);
      declared += e.uncompressedSize;
    }
    sink.checkDeclared(declared);
    for (const e of entries) {
      const mode = (e.externalFileAttributes >>> 16) & S_IFMT;
      if (e.fileName.endsWith('/') || mode === S_IFDIR) {
        await sink.directory(e.fileName);
      } else if (mode === S_IFLNK) {
        const chunks: Buffer[] = [];
        for await (const c of await openStream(zip, e)) chunks.push(c as Buffer);
        sink.symlink(e.fileName, Buffer.concat(chunks).toString('utf8'));
      } else {
        // yauzl checks sizes, not the CRC: check it here so a damaged entry is not taken for a backup.
        let crc = 0;
        const check = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            crc = crc32(chunk, crc);
            cb(null, chunk);
          },
          flush(cb) {
            cb((crc >>> 0) === (e.crc32 >>> 0) ? null
              : new PermanentError(FailureType.ArchiveCorrupt, `archive ${archive} is corrupt: CRC mismatch in "${e.fileName}"`));
          },
        });
        const stream = await openStream(zip, e);
        await sink.file(e.fileName, stream.pipe(check));
      }
    }
  } catch (err) {
    throw classify(archive, err);
  } finally {
    zip?.close();
  }
}
