import { createHash, hash as hashOnce, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { BinaryCopyWalker, decodeBinaryKey } from './copyBinary';

/**
 * The canonical row encoding: PostgreSQL COPY text format (tab-separated, `\N` for NULL,
 * backslash escapes) of the target column types, produced under fixed session settings
 * (see CANONICAL_SESSION_SETTINGS). The same bytes feed COPY FROM STDIN and the chunk
 * checksums, on the source side and when the target is read back.
 */

export const CANONICAL_SESSION_SETTINGS: Record<string, string> = {
  DateStyle: 'ISO, YMD',
  IntervalStyle: 'postgres',
  TimeZone: 'UTC',
  extra_float_digits: '1',
  bytea_output: 'hex',
  client_encoding: 'UTF8',
  standard_conforming_strings: 'on',
};

export const NULL_FIELD = '\\N';

/** Escapes one text value for COPY text format. */
export function escapeCopyText(value: string): string {
  // Fast path: most values need no escaping.
  if (!/[\\\t\n\r\b\f\v]/.test(value)) return value;
  let out = '';
  for (const ch of value) {
    switch (ch) {
      case '\\': out += '\\\\'; break;
      case '\t': out += '\\t'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\b': out += '\\b'; break;
      case '\f': out += '\\f'; break;
      case '\v': out += '\\v'; break;
      default: out += ch;
    }
  }
  return out;
}

/** Decodes one COPY text field; returns null for `\N`. */
export function decodeCopyField(field: string): string | null {
  if (field === NULL_FIELD) return null;
  if (!field.includes('\\')) return field;
  let out = '';
  for (let i = 0; i < field.length; i++) {
    const ch = field[i];
    if (ch !== '\\' || i === field.length - 1) { out += ch; continue; }
    const next = field[++i];
    switch (next) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case 'x': {
        const hex = /^[0-9a-fA-F]{1,2}/.exec(field.slice(i + 1))?.[0] ?? '';
        out += String.fromCharCode(parseInt(hex, 16));
        i += hex.length;
        break;
      }
      default:
        if (next >= '0' && next <= '7') {
          const oct = /^[0-7]{1,3}/.exec(field.slice(i))?.[0] ?? next;
          out += String.fromCharCode(parseInt(oct, 8));
          i += oct.length - 1;
        } else {
          out += next;
        }
    }
  }
  return out;
}

/** Encodes one row (already-canonical text values, null for NULL) as a COPY text line with newline. */
export function encodeCopyLine(values: (string | null)[]): string {
  return values.map((v) => (v === null ? NULL_FIELD : escapeCopyText(v))).join('\t') + '\n';
}

/** Splits a COPY text line (without its newline) into raw fields. Tabs inside values are escaped, so split is exact. */
export function splitCopyLine(line: string): string[] {
  return line.split('\t');
}

/** ordered-sha256-binary: as ordered-sha256, over PostgreSQL binary COPY bytes (copyBinary.ts). */
export type ChecksumKind = 'ordered-sha256' | 'multiset-sha256' | 'ordered-sha256-binary';

/** True when chunks of this kind are read and written as binary COPY. */
export const isBinaryKind = (kind: string): boolean => kind === 'ordered-sha256-binary';

/**
 * Chunk checksum over canonical bytes.
 * - ordered: sha256 of the byte stream (rows in key order);
 * - multiset: order-independent (for tables without a key): sum mod 2^64 of the first
 *   8 bytes of sha256(line), combined with the row count.
 */
export class ChunkChecksum {
  private readonly ordered?: Hash;
  /** Multiset sum mod 2^64 as two 32-bit halves: no BigInt per row. */
  private sumHi = 0;
  private sumLo = 0;
  private pending: Buffer[] = [];
  /** Binary kind: rows are counted by walking the tuples (values may contain any byte). */
  readonly walker?: BinaryCopyWalker;
  private textRows = 0;
  bytes = 0;
  constructor(readonly kind: ChecksumKind, binary?: { expectedFields: number | null; capture?: number[] }) {
    if (kind === 'ordered-sha256' || kind === 'ordered-sha256-binary') this.ordered = createHash('sha256');
    if (kind === 'ordered-sha256-binary') this.walker = new BinaryCopyWalker(binary?.expectedFields ?? null, binary?.capture);
  }

  get rows(): number { return this.walker ? this.walker.rows : this.textRows; }

  update(buf: Buffer): void {
    this.bytes += buf.length;
    if (this.walker) {
      this.ordered!.update(buf);
      this.walker.update(buf);
      return;
    }
    if (this.ordered) {
      this.ordered.update(buf);
      this.textRows += countNewlines(buf);
      return;
    }
    let start = 0;
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, start)) {
      const piece = buf.subarray(start, i + 1);
      const line = this.pending.length ? Buffer.concat([...this.pending, piece]) : piece;
      this.pending = [];
      this.addLine(line);
      this.textRows++;
      start = i + 1;
    }
    if (start < buf.length) this.pending.push(Buffer.from(buf.subarray(start)));
  }

  /** Adds the first 8 bytes of sha256(line), mod 2^64 (a row of a keyless table costs one hash call). */
  private addLine(line: Buffer): void {
    const d = sha256Once(line);
    let lo = this.sumLo + d.readUInt32BE(4);
    let hi = this.sumHi + d.readUInt32BE(0);
    if (lo >= 0x100000000) { lo -= 0x100000000; hi++; }
    this.sumLo = lo;
    this.sumHi = hi >>> 0;
  }

  digest(): string {
    // A binary stream cut short (a row or the trailer missing) must not yield a checksum.
    this.walker?.finish();
    if (this.ordered) return this.ordered.digest('hex');
    return `${this.sumHi.toString(16).padStart(8, '0')}${this.sumLo.toString(16).padStart(8, '0')}:${this.rows}`;
  }
}

/** One-shot sha256 (Node 20.12+: no Hash object per call; measured ~25% faster per row than createHash; older Node has no `hash`). */
const sha256Once: (data: Buffer) => Buffer = typeof hashOnce === 'function'
  ? (data) => hashOnce('sha256', data, 'buffer')
  : (data) => createHash('sha256').update(data).digest();

/** Multiset checksums of disjoint parts (page ranges) combined into the checksum of their union. */
export function combineMultiset(digests: string[]): string {
  let sum = 0n;
  let rows = 0;
  for (const d of digests) {
    const [hex, n] = d.split(':');
    sum = (sum + BigInt(`0x${hex}`)) & 0xffffffffffffffffn;
    rows += Number(n);
  }
  return `${sum.toString(16).padStart(16, '0')}:${rows}`;
}

export function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * A pass-through tap on a canonical COPY stream: counts rows and bytes, computes the
 * chunk checksum, and remembers the last line (to derive the chunk's last key).
 */
export class CopyTap extends Transform {
  readonly checksum: ChunkChecksum;
  private tail: Buffer[] = [];
  private lastLine: Buffer | null = null;

  constructor(kind: ChecksumKind) {
    super();
    this.checksum = new ChunkChecksum(kind);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.checksum.update(chunk);
    const lastNl = chunk.lastIndexOf(10);
    if (lastNl === -1) {
      this.tail.push(chunk);
    } else {
      // Careful: lastIndexOf with a negative offset counts from the end, so guard lastNl === 0.
      const prevNl = lastNl > 0 ? chunk.lastIndexOf(10, lastNl - 1) : -1;
      const head = chunk.subarray(prevNl + 1, lastNl);
      this.lastLine = prevNl === -1 && this.tail.length ? Buffer.concat([...this.tail, head]) : Buffer.from(head);
      this.tail = lastNl + 1 < chunk.length ? [Buffer.from(chunk.subarray(lastNl + 1))] : [];
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.tail.length) cb(new Error('canonical COPY stream ended in the middle of a row'));
    else cb();
  }

  get rows(): number { return this.checksum.rows; }
  get bytes(): number { return this.checksum.bytes; }
  /** The last complete line (without newline), or null when no row passed. */
  lastRow(): string | null { return this.lastLine === null ? null : this.lastLine.toString('utf8'); }
}

/**
 * CopyTap's counterpart for binary COPY (copyBinary.ts): checksum, rows and bytes of the stream
 * passing through, and the last row's key decoded to the text form a checkpoint stores.
 */
export class BinaryCopyTap extends Transform {
  readonly checksum: ChunkChecksum;

  constructor(expectedFields: number, keyPositions: number[], private readonly keyTypes: string[]) {
    super();
    this.checksum = new ChunkChecksum('ordered-sha256-binary', { expectedFields, capture: keyPositions });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.checksum.update(chunk);
    } catch (err) {
      cb(err as Error);
      return;
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.checksum.walker!.finish();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  get rows(): number { return this.checksum.rows; }
  get bytes(): number { return this.checksum.bytes; }
  /** The last row's key values (text form), or null when no row passed. */
  lastKey(): string[] | null {
    const raw = this.checksum.walker!.lastFields();
    return raw === null ? null : decodeBinaryKey(raw, this.keyTypes);
  }
}

/** Key values (decoded text) at the given field positions of a COPY line. */
export function keyFromLine(line: string, keyPositions: number[], expectedFields?: number): string[] {
  const fields = splitCopyLine(line);
  // A checkpoint from a mangled line would skip or repeat rows: refuse rather than commit it.
  if (expectedFields !== undefined && fields.length !== expectedFields) {
    throw new Error(`last row of the chunk has ${fields.length} fields, expected ${expectedFields}: not committing its checkpoint`);
  }
  return keyPositions.map((p) => {
    const v = decodeCopyField(fields[p] ?? NULL_FIELD);
    if (v === null) throw new Error(`key column at position ${p} is NULL in a copied row`);
    return v;
  });
}
