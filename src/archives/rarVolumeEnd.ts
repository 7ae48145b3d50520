/**
 * Whether a RAR volume is the last of its set, read from its end-of-archive block (RAR4 and RAR5 both
 * write one, with a "more volumes follow" flag). Only the volume's first and last bytes are needed, so
 * the intake can tell an incomplete upload from a complete one without downloading the set.
 */
import { crc32 } from 'node:zlib';

const RAR5_SIGNATURE = Buffer.from([0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x01, 0x00]);
const RAR4_SIGNATURE = Buffer.from([0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x00]);

/** Bytes of a volume's end that are searched for the end-of-archive block (it may be followed by zero padding). */
export const VOLUME_TAIL_BYTES = 4096;

export type VolumeEnd = 'last' | 'more-follow' | 'unknown';

function zerosFrom(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i += 1) if (buf[i] !== 0) return false;
  return true;
}

/** A RAR5 variable-length integer at `pos`: [value, bytes], or undefined past the end. */
function vint(buf: Buffer, pos: number): [number, number] | undefined {
  let value = 0;
  for (let n = 0; n < 10 && pos + n < buf.length; n += 1) {
    const b = buf[pos + n];
    value += (b & 0x7f) * 2 ** (7 * n);
    if ((b & 0x80) === 0) return [value, n + 1];
  }
  return undefined;
}

/** RAR5 end-of-archive header (type 5) at `i`, CRC-checked; its flag 0x1 says "volume, not the last". */
function rar5EndAt(buf: Buffer, i: number): VolumeEnd | undefined {
  const size = vint(buf, i + 4);
  if (!size || size[0] < 3 || size[0] > 64) return undefined;
  const end = i + 4 + size[1] + size[0];
  if (end > buf.length || !zerosFrom(buf, end)) return undefined;
  if ((crc32(buf.subarray(i + 4, end)) >>> 0) !== buf.readUInt32LE(i)) return undefined;
  let p = i + 4 + size[1];
  const type = vint(buf, p);
  if (!type || type[0] !== 5) return undefined;
  p += type[1];
  const flags = vint(buf, p);
  if (!flags) return undefined;
  p += flags[1];
  for (const bit of [1, 2]) {
    if (flags[0] & bit) {
      const skip = vint(buf, p);
      if (!skip) return undefined;
      p += skip[1];
    }
  }
  const eoa = vint(buf, p);
  if (!eoa) return undefined;
  return eoa[0] & 1 ? 'more-follow' : 'last';
}

/** RAR4 ENDARC_HEAD (type 0x7b) at `i`, CRC-checked; its flag 0x0001 is EARC_NEXT_VOLUME. */
function rar4EndAt(buf: Buffer, i: number): VolumeEnd | undefined {
  if (i + 7 > buf.length || buf[i + 2] !== 0x7b) return undefined;
  const flags = buf.readUInt16LE(i + 3);
  const size = buf.readUInt16LE(i + 5);
  const end = i + size;
  if (size < 7 || end > buf.length || !zerosFrom(buf, end)) return undefined;
  if ((crc32(buf.subarray(i + 2, end)) & 0xffff) !== buf.readUInt16LE(i)) return undefined;
  return flags & 1 ? 'more-follow' : 'last';
}

/**
 * `head`: the volume's first bytes (its signature); `tail`: its last bytes. 'unknown' when the volume
 * is not RAR or has no end block (RAR can be told to omit it): the caller then trusts the listing.
 */
export function rarVolumeEnd(head: Buffer, tail: Buffer): VolumeEnd {
  const rar5 = head.subarray(0, RAR5_SIGNATURE.length).equals(RAR5_SIGNATURE);
  const rar4 = !rar5 && head.subarray(0, RAR4_SIGNATURE.length).equals(RAR4_SIGNATURE);
  if (!rar5 && !rar4) return 'unknown';
  // The last block wins: search backwards from the end.
  for (let i = tail.length - 7; i >= 0; i -= 1) {
    const found = rar5 ? rar5EndAt(tail, i) : rar4EndAt(tail, i);
    if (found) return found;
  }
  return 'unknown';
}
