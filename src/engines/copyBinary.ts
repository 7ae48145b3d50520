/**
 * PostgreSQL binary COPY between PostgreSQL databases. Where every copied column has the same
 * built-in type on both sides, a chunk travels as `COPY ... (FORMAT binary)`: the target parses
 * no text (numeric, timestamp, float, jsonb and bytea input functions are most of a text COPY's
 * cost), and the read-back and validation hash the same binary bytes. The chunk's checksum kind
 * (`ordered-sha256-binary`) records the format, so validation reads both sides the same way.
 *
 * Only built-in types qualify: the binary form of arrays, composites and records carries type
 * OIDs, which differ between databases for user-defined types (enums, domains' arrays,
 * composites); those tables stay in canonical text.
 */

/** Scalar built-in types (as `format_type` spells them) whose binary form holds no OID. */
const SCALAR = [
  /^smallint$/, /^integer$/, /^bigint$/, /^real$/, /^double precision$/, /^numeric(\(\d+(,\s*-?\d+)?\))?$/, /^money$/,
  /^boolean$/, /^text$/, /^character varying(\(\d+\))?$/, /^character(\(\d+\))?$/, /^bytea$/,
  /^date$/, /^time(\(\d\))? (with|without) time zone$/, /^timestamp(\(\d\))? (with|without) time zone$/,
  /^interval( (year|month|day|hour|minute|second)( to (month|hour|minute|second))?)?(\(\d\))?$/,
  /^uuid$/, /^json$/, /^jsonb$/, /^inet$/, /^cidr$/, /^macaddr8?$/, /^bit(\(\d+\))?$/, /^bit varying(\(\d+\))?$/,
];

/** Key column types whose binary value this module decodes into the text form a checkpoint stores. */
const KEY_DECODERS: { match: RegExp; decode: (b: Buffer) => string }[] = [
  { match: /^smallint$/, decode: (b) => String(b.readInt16BE(0)) },
  { match: /^integer$/, decode: (b) => String(b.readInt32BE(0)) },
  { match: /^bigint$/, decode: (b) => b.readBigInt64BE(0).toString() },
  { match: /^(text|character varying(\(\d+\))?)$/, decode: (b) => b.toString('utf8') },
  { match: /^uuid$/, decode: (b) => { const h = b.toString('hex'); return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`; } },
];

function builtinType(type: string): boolean {
  // One array level of a built-in scalar: its element type OID is the same in every database.
  const scalar = type.endsWith('[]') ? type.slice(0, -2) : type;
  return SCALAR.some((r) => r.test(scalar));
}

export interface BinaryColumn { sourceType: string; targetType: string; generated: boolean; name: string }

/**
 * Why a table cannot travel in binary COPY, or null when it can: every copied column is a built-in
 * type, the same on both sides, and every key column is of a type whose value is decoded here.
 */
export function binaryCopyRefusal(columns: BinaryColumn[], key: string[] | null): string | null {
  if (!key) return 'no key (keyless tables use the order-independent text checksum)';
  for (const c of columns) {
    if (c.generated) continue;
    if (c.sourceType !== c.targetType) return `column ${c.name} changes type (${c.sourceType} -> ${c.targetType})`;
    if (!builtinType(c.sourceType)) return `column ${c.name} has type ${c.sourceType}`;
  }
  for (const k of key) {
    const c = columns.find((x) => x.name === k);
    if (!c || !KEY_DECODERS.some((d) => d.match.test(c.targetType))) return `key column ${k} has type ${c?.targetType ?? 'unknown'}`;
  }
  return null;
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_FIXED = 19;

const enum State { Header, HeaderExt, Tuple, FieldLen, FieldData, Trailer }

/**
 * Walks a binary COPY stream tuple by tuple without decoding values: counts rows and keeps the raw
 * bytes of chosen fields of the last complete row (the chunk's last key). Bounded memory: field
 * data is skipped, never buffered, except the chosen (key) fields.
 */
export class BinaryCopyWalker {
  rows = 0;
  private state = State.Header;
  /** Bytes of a fixed-size item (header, count, length) split across stream chunks. */
  private carry: Buffer[] = [];
  private carryLen = 0;
  private skip = 0;
  private fields = 0;
  private field = 0;
  private value = 0;
  /** capture, in field order (values arrive in that order). */
  private readonly captureSorted: number[];
  private current: Buffer[] = [];
  private last: Buffer[] | null = null;
  /** Where the fast path's last complete row starts (its fields are read from there when asked). */
  private lastRowBuf: Buffer | null = null;
  private lastRowAt = 0;

  /** capture: field positions whose values of the last row are kept (key columns). */
  constructor(private readonly expectedFields: number | null, private readonly capture: number[] = []) {
    this.captureSorted = [...capture].sort((a, b) => a - b);
  }

  /** Raw values of the captured fields of the last complete row, or null when no row passed. */
  lastFields(): Buffer[] | null {
    if (this.lastRowBuf !== null) return this.fieldsAt(this.lastRowBuf, this.lastRowAt);
    // Captured in field order; returned in the caller's (key) order.
    const got = this.last;
    return got === null ? null : this.capture.map((p) => got[this.captureSorted.indexOf(p)]);
  }

  /**
   * Walks the complete rows that start at i and lie wholly inside buf; returns where the first
   * incomplete (or unusual: trailer, wrong field count, bad length) row starts, which the state
   * machine then takes over. The last complete row is remembered by position, not copied.
   */
  private wholeRows(buf: Buffer, i: number): number {
    const n = buf.length;
    const expected = this.expectedFields;
    for (;;) {
      if (i + 2 > n) return i;
      const count = buf.readInt16BE(i);
      if (count <= 0 || (expected !== null && count !== expected)) return i;
      let j = i + 2;
      let f = 0;
      for (; f < count && j + 4 <= n; f++) {
        const len = buf.readInt32BE(j);
        if (len < -1) return i;
        j += len > 0 ? 4 + len : 4;
      }
      if (f < count || j > n) return i;
      this.rows++;
      if (this.capture.length) {
        this.lastRowBuf = buf;
        this.lastRowAt = i;
      }
      i = j;
    }
  }

  /** The captured fields (caller's order) of the complete row at `at` in buf. */
  private fieldsAt(buf: Buffer, at: number): Buffer[] {
    const found: Buffer[] = [];
    let j = at + 2;
    const last = this.captureSorted[this.captureSorted.length - 1];
    for (let f = 0; f <= last; f++) {
      const len = buf.readInt32BE(j);
      j += 4;
      if (this.capture.includes(f)) {
        if (len === -1) throw new Error(`key field ${f + 1} is NULL in binary COPY row ${this.rows}`);
        found.push(buf.subarray(j, j + len));
      }
      if (len > 0) j += len;
    }
    return this.capture.map((p) => found[this.captureSorted.indexOf(p)]);
  }

  update(buf: Buffer): void {
    let i = 0;
    const n = buf.length;
    while (i < n) {
      switch (this.state) {
        case State.Header: {
          const need = HEADER_FIXED - this.carryLen;
          const take = Math.min(need, n - i);
          this.carry.push(buf.subarray(i, i + take));
          this.carryLen += take;
          i += take;
          if (this.carryLen < HEADER_FIXED) return;
          const h = Buffer.concat(this.carry);
          this.carry = [];
          this.carryLen = 0;
          if (!h.subarray(0, 11).equals(SIGNATURE)) throw new Error('binary COPY stream does not start with the PGCOPY signature');
          this.skip = h.readUInt32BE(15);
          this.state = State.HeaderExt;
          break;
        }
        case State.HeaderExt: {
          const take = Math.min(this.skip, n - i);
          i += take;
          this.skip -= take;
          if (this.skip === 0) this.state = State.Tuple;
          break;
        }
        case State.Tuple: {
          // Fast path: whole rows inside this piece, walked without state changes or allocation.
          if (this.carryLen === 0) {
            const end = this.wholeRows(buf, i);
            if (end !== i) { i = end; break; }
          }
          const next = this.fixed(buf, i, 2);
          if (next < 0) return;
          i = next;
          const count = this.value;
          if (count === -1) { this.state = State.Trailer; break; }
          if (this.expectedFields !== null && count !== this.expectedFields) {
            throw new Error(`binary COPY row ${this.rows + 1} has ${count} fields, expected ${this.expectedFields}`);
          }
          this.fields = count;
          this.field = 0;
          if (this.capture.length) this.current = [];
          if (count === 0) this.rows++;
          else this.state = State.FieldLen;
          break;
        }
        case State.FieldLen: {
          const next = this.fixed(buf, i, 4);
          if (next < 0) return;
          i = next;
          const len = this.value;
          if (len === -1) {
            if (this.capturing()) throw new Error(`key field ${this.field + 1} is NULL in binary COPY row ${this.rows + 1}`);
            this.endField();
          } else if (len < -1) {
            throw new Error(`binary COPY row ${this.rows + 1} field ${this.field + 1} has length ${len}`);
          } else {
            this.skip = len;
            this.state = State.FieldData;
            if (this.skip === 0) { if (this.capturing()) this.current.push(Buffer.alloc(0)); this.endField(); }
          }
          break;
        }
        case State.FieldData: {
          const take = Math.min(this.skip, n - i);
          if (this.capturing()) this.carryField(buf.subarray(i, i + take));
          i += take;
          this.skip -= take;
          if (this.skip === 0) {
            if (this.capturing()) { this.current.push(Buffer.concat(this.carry)); this.carry = []; this.carryLen = 0; }
            this.endField();
          }
          break;
        }
        case State.Trailer:
          throw new Error('binary COPY stream has data after its trailer');
      }
    }
  }

  /** Throws when the stream stopped inside the header, a row, or before its trailer. */
  finish(): void {
    if (this.state !== State.Trailer) throw new Error(`binary COPY stream ended ${this.state === State.Tuple ? 'without its trailer' : 'in the middle of a row'} (after ${this.rows} rows)`);
  }

  private capturing(): boolean { return this.capture.length > 0 && this.capture.includes(this.field); }

  private carryField(part: Buffer): void { this.carry.push(part); this.carryLen += part.length; }

  private endField(): void {
    this.field++;
    if (this.field < this.fields) { this.state = State.FieldLen; return; }
    this.rows++;
    if (this.capture.length) {
      this.last = this.current;
      this.lastRowBuf = null;
    }
    this.state = State.Tuple;
  }

  /**
   * Reads a big-endian int16/int32 at i (possibly split across chunks) into this.value and returns
   * the index after it, or -1 when the chunk ends first (no allocation on the common path).
   */
  private fixed(buf: Buffer, i: number, size: 2 | 4): number {
    if (this.carryLen === 0 && i + size <= buf.length) {
      this.value = size === 2 ? buf.readInt16BE(i) : buf.readInt32BE(i);
      return i + size;
    }
    const take = Math.min(size - this.carryLen, buf.length - i);
    this.carry.push(buf.subarray(i, i + take));
    this.carryLen += take;
    if (this.carryLen < size) return -1;
    const b = Buffer.concat(this.carry);
    this.carry = [];
    this.carryLen = 0;
    this.value = size === 2 ? b.readInt16BE(0) : b.readInt32BE(0);
    return i + take;
  }
}

/** The text form (as a checkpoint stores it) of raw binary key values, by the key columns' types. */
export function decodeBinaryKey(values: Buffer[], keyTypes: string[]): string[] {
  return values.map((b, i) => {
    const d = KEY_DECODERS.find((x) => x.match.test(keyTypes[i]));
    if (!d) throw new Error(`key type ${keyTypes[i]} cannot be decoded from binary COPY`);
    return d.decode(b);
  });
}
