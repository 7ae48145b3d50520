/**
 * Cleanup of a migrated collection: export it (gzip Extended JSON lines, counted) to an archive
 * file, verify the count, then drop it. Never drops a collection whose export is short.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { BSON, type Collection } from 'mongodb';

export interface ArchiveResult {
  collection: string;
  file: string;
  documents: number;
  dropped: boolean;
}

export async function archiveAndDrop(coll: Collection, file: string): Promise<ArchiveResult> {
  mkdirSync(dirname(file), { recursive: true });
  const expected = await coll.countDocuments({});
  let written = 0;
  const cursor = coll.find({}, { sort: { _id: 1 }, promoteValues: false });
  async function* lines() {
    for await (const doc of cursor) {
      written++;
      yield `${BSON.EJSON.stringify(doc, { relaxed: false })}\n`;
    }
  }
  await pipeline(Readable.from(lines()), createGzip(), createWriteStream(file));
  if (written !== expected) {
    throw new Error(`collection ${coll.collectionName}: archive has ${written} documents, the collection ${expected}; not dropped`);
  }
  await coll.drop();
  return { collection: coll.collectionName, file, documents: written, dropped: true };
}
