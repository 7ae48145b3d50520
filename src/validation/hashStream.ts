import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { ChunkChecksum, type ChecksumKind } from '../engines/copyText';

export interface StreamDigest {
  checksum: string;
  rows: number;
  bytes: number;
}

/** Consumes a canonical COPY stream and returns its checksum, with bounded memory. */
export async function hashStream(stream: Readable, kind: ChecksumKind): Promise<StreamDigest> {
  const sum = new ChunkChecksum(kind);
  await pipeline(stream, new Writable({
    write(chunk: Buffer, _enc, cb) {
      sum.update(chunk);
      cb();
    },
  }));
  return { checksum: sum.digest(), rows: sum.rows, bytes: sum.bytes };
}
