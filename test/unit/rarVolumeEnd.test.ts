import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rarVolumeEnd, VOLUME_TAIL_BYTES } from '../../src/archives/rarVolumeEnd';
import { parseVolumeName, volumeNameFor } from '../../src/contract/volumeSet';
import { rarFixturesDir } from '../helpers/fixtureArchives';

const fixtures = rarFixturesDir();
if (!fixtures) console.warn('SKIPPING RAR end-of-archive tests: ../shared/fixtures/archives is absent (outside this workplace)');

const endOf = (path: string) => {
  const b = readFileSync(path);
  return rarVolumeEnd(b.subarray(0, 8), b.subarray(Math.max(0, b.length - VOLUME_TAIL_BYTES)));
};

describe('volume names', () => {
  it('keeps the width of the part number, so a missing volume is named as the uploader names it', () => {
    const first = parseVolumeName('hotel7/db.part01.rar')!;
    expect(first).toEqual({ stem: 'hotel7/db', number: 1, width: 2 });
    expect(volumeNameFor(first, 8)).toBe('hotel7/db.part08.rar');
    expect(volumeNameFor(parseVolumeName('x.part1.rar')!, 12)).toBe('x.part12.rar');
    expect(parseVolumeName('x.rar')).toBeUndefined();
  });
});

describe.skipIf(!fixtures)('RAR end-of-archive block (real RAR4 and RAR5 volumes)', () => {
  it('says "more follow" for every volume but the last of a set', () => {
    const rar5 = Array.from({ length: 8 }, (_, i) => endOf(join(fixtures!, 'rar5', `multiarchive.part0${i + 1}.rar`)));
    expect(rar5).toEqual([...Array(7).fill('more-follow'), 'last']);
    const rar4 = [1, 2, 3].map((n) => endOf(join(fixtures!, 'rar4', `multivolume_single_file.part${n}.rar`)));
    expect(rar4).toEqual(['more-follow', 'more-follow', 'last']);
  });

  it('single archives are "last"; a damaged end block or a non-RAR file is "unknown" (the listing is trusted)', () => {
    expect(endOf(join(fixtures!, 'rar5', 'stored.rar'))).toBe('last');
    expect(endOf(join(fixtures!, 'rar4', 'libarchive_basic.rar'))).toBe('last');
    const last = readFileSync(join(fixtures!, 'rar5', 'multiarchive.part08.rar'));
    const damaged = Buffer.from(last);
    damaged[damaged.length - 1] ^= 0x01; // the end block's flags no longer match its CRC
    expect(rarVolumeEnd(damaged.subarray(0, 8), damaged.subarray(damaged.length - 64))).toBe('unknown');
    expect(rarVolumeEnd(Buffer.from('PK\u0003\u0004xxxx'), last.subarray(last.length - 64))).toBe('unknown');
  });
});
