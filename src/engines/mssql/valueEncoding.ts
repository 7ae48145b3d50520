import type { TypeMapping } from './typeMapping';

/**
 * Driver value (as read through the projections in projection.ts) -> the text PostgreSQL
 * prints for the target type under CANONICAL_SESSION_SETTINGS (DateStyle ISO, TimeZone UTC,
 * bytea hex, extra_float_digits 1). Returns null for SQL NULL. COPY escaping is applied later.
 */

export class ValueEncodingError extends Error {}

/** PostgreSQL's shortest-exact float output (float8out/float4out with extra_float_digits > 0). */
function formatShortest(digits: string, exp10: number, negative: boolean, fixedMaxExp: number): string {
  // digits: significant digits without leading/trailing zeros; value = 0.d1d2.. * 10^(exp10+1)
  const sign = negative ? '-' : '';
  if (exp10 >= -4 && exp10 < fixedMaxExp) {
    if (exp10 < 0) return `${sign}0.${'0'.repeat(-exp10 - 1)}${digits}`;
    if (digits.length <= exp10 + 1) return sign + digits + '0'.repeat(exp10 + 1 - digits.length);
    return `${sign}${digits.slice(0, exp10 + 1)}.${digits.slice(exp10 + 1)}`;
  }
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const e = Math.abs(exp10);
  return `${sign}${mant}e${exp10 < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
}

function splitExponential(s: string): { digits: string; exp10: number } {
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) throw new ValueEncodingError(`unexpected float form ${s}`);
  const digits = (m[1] + (m[2] ?? '')).replace(/0+$/, '') || '0';
  return { digits, exp10: Number(m[3]) };
}

function checkFinite(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  return undefined;
}

/** The exact binary value of a finite positive float as mantissa * 2^exp (float64 or float32). */
function exactBinary(a: number, single: boolean): { m: bigint; e: number; minNormalEdge: boolean } {
  const dv = new DataView(new ArrayBuffer(8));
  if (single) {
    dv.setFloat32(0, a);
    const bits = dv.getUint32(0);
    const be = (bits >>> 23) & 0xff;
    const frac = bits & 0x7fffff;
    return be === 0 ? { m: BigInt(frac), e: -149, minNormalEdge: false } : { m: BigInt(frac | 0x800000), e: be - 150, minNormalEdge: frac === 0 && be > 1 };
  }
  dv.setFloat64(0, a);
  const hi = dv.getUint32(0);
  const lo = dv.getUint32(4);
  const be = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  return be === 0 ? { m: frac, e: -1074, minNormalEdge: false } : { m: frac | (1n << 52n), e: be - 1075, minNormalEdge: frac === 0n && be > 1 };
}

/**
 * Shortest decimal digits strictly inside the rounding interval of `a`, closest to `a`, ties to
 * even: the choice PostgreSQL's Ryu-based float4out/float8out makes (exact BigInt arithmetic).
 */
function shortestDigits(a: number, single: boolean): { digits: string; exp10: number } {
  const { m, e, minNormalEdge } = exactBinary(a, single);
  // Scaled by 4 so both interval ends are integers: value(X) = X * 2^E.
  const E = e - 2;
  const A = 4n * m;
  const H = A + 2n;
  const L = A - (minNormalEdge ? 1n : 2n);
  const cmp = (c: bigint, k: number, x: bigint): number => {
    let l = c;
    let r = x;
    if (k >= 0) l *= 10n ** BigInt(k); else r *= 10n ** BigInt(-k);
    if (E >= 0) r <<= BigInt(E); else l <<= BigInt(-E);
    return l === r ? 0 : l < r ? -1 : 1;
  };
  // Exact decimal expansion of a: digits `exact`, first digit at 10^exp10.
  const exact = e >= 0 ? (m << BigInt(e)).toString() : (m * 5n ** BigInt(-e)).toString();
  const exp10 = exact.length - 1 + Math.min(e, 0);
  for (let p = 1; p <= 17; p++) {
    const k = exp10 - p + 1;
    const T = BigInt(exact.slice(0, p).padEnd(p, '0'));
    const inside = (c: bigint) => cmp(c, k, L) > 0 && cmp(c, k, H) < 0;
    const lo = inside(T);
    const hi = inside(T + 1n);
    if (!lo && !hi) continue;
    let c: bigint;
    if (lo && hi) {
      const d = cmp(2n * T + 1n, k, 2n * A);
      c = d < 0 ? T + 1n : d > 0 ? T : T % 2n === 0n ? T : T + 1n;
      if (cmp(T, k, A) === 0) c = T;
    } else c = lo ? T : T + 1n;
    const text = c.toString();
    const x10 = exp10 + (text.length - p);
    return { digits: text.replace(/0+$/, '') || '0', exp10: x10 };
  }
  return splitExponential(a.toExponential(16));
}

/**
 * Fast path: the engine's own shortest round-trip digits (closest to the value) are
 * PostgreSQL's unless (a) the value is >= 2^mantissa-bits, where a candidate can sit exactly on a
 * rounding boundary (Ryu excludes boundaries), or (b) the value lies exactly halfway between two
 * candidates (Ryu rounds ties to even, toExponential away from zero). Both take the exact BigInt
 * search, which costs about fifty times more.
 */
const FAST_LIMIT_8 = 2 ** 53;
const FAST_LIMIT_4 = 2 ** 24;
const bitsView = new DataView(new ArrayBuffer(8));

/** Fractional binary digits of a finite positive float: its exact decimal expansion has this many fractional digits. */
function fractionBits(a: number, single: boolean): number {
  let exp: number;
  let lo: number;
  let hi: number;
  if (single) {
    bitsView.setFloat32(0, a);
    const bits = bitsView.getUint32(0);
    const be = (bits >>> 23) & 0xff;
    lo = (bits & 0x7fffff) | (be === 0 ? 0 : 0x800000);
    hi = 0;
    exp = (be === 0 ? 1 : be) - 150;
  } else {
    bitsView.setFloat64(0, a);
    const h = bitsView.getUint32(0);
    const be = (h >>> 20) & 0x7ff;
    hi = (h & 0xfffff) | (be === 0 ? 0 : 0x100000);
    lo = bitsView.getUint32(4);
    exp = (be === 0 ? 1 : be) - 1075;
  }
  let tz = 0;
  if (lo === 0) { tz = 32; lo = hi; }
  while (lo !== 0 && (lo & 1) === 0) { lo >>>= 1; tz++; }
  return Math.max(0, -(exp + tz));
}

/** The value is exactly halfway between two candidates of this length: exact expansion one digit longer. */
function ambiguous(candidate: string, a: number, single: boolean): boolean {
  const m = /^\d(?:\.(\d+))?e([+-]\d+)$/.exec(candidate);
  if (!m) return true;
  const fractionDigits = Math.max(0, (m[1]?.length ?? 0) - Number(m[2]));
  return fractionBits(a, single) === fractionDigits + 1;
}

function fastShortest(a: number, single: boolean): string | undefined {
  if (a >= (single ? FAST_LIMIT_4 : FAST_LIMIT_8)) return undefined;
  let c: string | undefined;
  if (single) {
    for (let p = 1; p <= 9 && c === undefined; p++) {
      const t = a.toExponential(p - 1);
      if (Math.fround(Number(t)) === a) c = t;
    }
  } else c = a.toExponential();
  return c !== undefined && !ambiguous(c, a, single) ? c : undefined;
}

export function formatFloat8(v: number): string {
  const special = checkFinite(v);
  if (special) return special;
  const a = Math.abs(v);
  const fast = fastShortest(a, false);
  const { digits, exp10 } = fast !== undefined ? splitExponential(fast) : shortestDigits(a, false);
  return formatShortest(digits, exp10, v < 0, 15);
}

export function formatFloat4(v: number): string {
  const special = checkFinite(v);
  if (special) return special;
  const f = Math.fround(v);
  const a = Math.abs(f);
  const fast = fastShortest(a, true);
  const { digits, exp10 } = fast !== undefined ? splitExponential(fast) : shortestDigits(a, true);
  return formatShortest(digits, exp10, f < 0, 6);
}

/** Decimal text as SQL Server converts it (`-.5`, `12.3400`) -> PostgreSQL numeric output. */
export function normalizeDecimal(s: string): string {
  let t = s.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(t)) throw new ValueEncodingError(`not a decimal value: ${JSON.stringify(s)}`);
  let neg = false;
  if (t[0] === '+' || t[0] === '-') { neg = t[0] === '-'; t = t.slice(1); }
  if (t.startsWith('.')) t = '0' + t;
  if (t.endsWith('.')) t = t.slice(0, -1);
  const [int, frac] = t.split('.');
  const intPart = int.replace(/^0+(?=\d)/, '');
  const out = frac === undefined ? intPart : `${intPart}.${frac}`;
  return neg && /[1-9]/.test(out) ? '-' + out : out;
}

// ---- calendar arithmetic for datetimeoffset -> UTC (proleptic Gregorian, like SQL Server and PostgreSQL)

function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [era * 400 + yoe + (m <= 2 ? 1 : 0), m, d];
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

export interface ParsedDateTime {
  y: number; mo: number; d: number; h: number; mi: number; s: number;
  /** Fractional digits as written (up to 7). */
  frac: string;
  /** Offset in minutes east of UTC, when the text has one. */
  offsetMinutes?: number;
}

const dateTimeRe = /^(\d{4,5})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d*))?)?)?\s*(Z|[+-]\d{2}:?\d{2}|[+-]\d{2})?$/;

export function parseDateTime(text: string): ParsedDateTime {
  const m = dateTimeRe.exec(text.trim());
  if (!m) throw new ValueEncodingError(`not a date/time value: ${JSON.stringify(text)}`);
  let offsetMinutes: number | undefined;
  if (m[8] !== undefined) {
    if (m[8] === 'Z') offsetMinutes = 0;
    else {
      const sign = m[8][0] === '-' ? -1 : 1;
      const digits = m[8].slice(1).replace(':', '');
      offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'));
    }
  }
  return { y: Number(m[1]), mo: Number(m[2]), d: Number(m[3]), h: Number(m[4] ?? 0), mi: Number(m[5] ?? 0), s: Number(m[6] ?? 0), frac: m[7] ?? '', offsetMinutes };
}

/** Fraction truncated (never rounded) to `digits`, trailing zeros removed, with its dot; '' when zero. */
export function fractionText(frac: string, digits: number): string {
  const kept = frac.slice(0, digits).replace(/0+$/, '');
  return kept ? '.' + kept : '';
}

function dateText(y: number, mo: number, d: number): string {
  return `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}`;
}

function timeText(h: number, mi: number, s: number, frac: string, digits: number): string {
  return `${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${fractionText(frac, digits)}`;
}

/** `yyyy-mm-dd hh:mi:ss[.ffffff]` in the given offset -> the same instant in UTC. */
export function toUtc(p: ParsedDateTime): ParsedDateTime {
  const off = p.offsetMinutes ?? 0;
  if (off === 0) return { ...p, offsetMinutes: 0 };
  let days = daysFromCivil(p.y, p.mo, p.d);
  let minutes = p.h * 60 + p.mi - off;
  days += Math.floor(minutes / 1440);
  minutes = ((minutes % 1440) + 1440) % 1440;
  const [y, mo, d] = civilFromDays(days);
  return { ...p, y, mo, d, h: Math.floor(minutes / 60), mi: minutes % 60, offsetMinutes: 0 };
}

/** Adds one microsecond to a canonical timestamp/time text (used for keys whose source has 100 ns ticks). */
export function addMicrosecond(p: ParsedDateTime): ParsedDateTime {
  let micros = Number((p.frac + '000000').slice(0, 6)) + 1;
  let { s, mi, h } = p;
  let days = daysFromCivil(p.y, p.mo, p.d);
  if (micros === 1_000_000) {
    micros = 0; s++;
    if (s === 60) { s = 0; mi++; }
    if (mi === 60) { mi = 0; h++; }
    if (h === 24) { h = 0; days++; }
  }
  const [y, mo, d] = civilFromDays(days);
  return { ...p, y, mo, d, h, mi, s, frac: pad(micros, 6) };
}

export function formatTimestamp(p: ParsedDateTime, digits: number): string {
  return `${dateText(p.y, p.mo, p.d)} ${timeText(p.h, p.mi, p.s, p.frac, digits)}`;
}

function asString(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  throw new ValueEncodingError(`expected ${what} as text, got ${v instanceof Date ? 'Date' : typeof v}`);
}

function checkNoNul(s: string): string {
  if (s.includes('\0')) {
    throw new ValueEncodingError('contains a NUL character (U+0000), which PostgreSQL text cannot store; override the column to bytea');
  }
  return s;
}

/** Counts characters as PostgreSQL does (code points). */
function charCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Encodes one value read from SQL Server for the target type of `m`. */
export function encodeValue(v: unknown, m: Pick<TypeMapping, 'kind' | 'fraction' | 'charLength'>): string | null {
  if (v === null || v === undefined) return null;
  switch (m.kind) {
    case 'bool':
      if (typeof v === 'boolean') return v ? 't' : 'f';
      if (v === 1 || v === '1' || v === 0 || v === '0') return v === 1 || v === '1' ? 't' : 'f';
      throw new ValueEncodingError(`expected bit, got ${typeof v}`);
    case 'int': case 'bigint': {
      const s = asString(v, 'integer').trim();
      if (!/^-?\d+$/.test(s)) throw new ValueEncodingError(`not an integer: ${s}`);
      return s;
    }
    case 'numeric': case 'money':
      return normalizeDecimal(asString(v, 'decimal'));
    case 'float8':
      if (typeof v !== 'number') throw new ValueEncodingError(`expected float, got ${typeof v}`);
      return formatFloat8(v);
    case 'float4':
      if (typeof v !== 'number') throw new ValueEncodingError(`expected real, got ${typeof v}`);
      return formatFloat4(v);
    case 'date': {
      const p = parseDateTime(asString(v, 'date'));
      return dateText(p.y, p.mo, p.d);
    }
    case 'time': {
      const m2 = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d*))?$/.exec(asString(v, 'time').trim());
      if (!m2) throw new ValueEncodingError(`not a time value: ${String(v)}`);
      return timeText(Number(m2[1]), Number(m2[2]), Number(m2[3]), m2[4] ?? '', m.fraction ?? 6);
    }
    case 'timestamp': case 'smalldatetime':
      return formatTimestamp(parseDateTime(asString(v, 'datetime')), m.fraction ?? 6);
    case 'timestamptz': {
      const p = parseDateTime(asString(v, 'datetimeoffset'));
      return formatTimestamp(toUtc(p), m.fraction ?? 6) + '+00';
    }
    case 'char': {
      const s = checkNoNul(asString(v, 'char'));
      if (m.charLength === undefined) return s;
      // PostgreSQL character(n) strips trailing blanks on input and pads to n on output.
      const trimmed = s.replace(/ +$/, '');
      return trimmed + ' '.repeat(Math.max(0, m.charLength - charCount(trimmed)));
    }
    case 'text': case 'xml': case 'variant': case 'hierarchyid': case 'spatial':
      return checkNoNul(asString(v, 'text'));
    case 'uuid':
      return asString(v, 'uniqueidentifier').trim().toLowerCase();
    case 'bytea': case 'clr':
      if (!Buffer.isBuffer(v)) throw new ValueEncodingError(`expected binary, got ${typeof v}`);
      return '\\x' + v.toString('hex');
  }
}
