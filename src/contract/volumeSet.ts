/**
 * Multi-volume RAR sets (`<stem>.partN.rar`, addressed by their first volume): the naming rules, and
 * what the workflow's wait for missing volumes exchanges with its activity. Here, not in archives/,
 * because the tenant workflow decides whether to wait (workflows import only the contract).
 */
import type { BackupRef } from './migration';

const partPattern = /^(.*)\.part(\d+)\.rar$/i;

export interface VolumeName {
  /** Everything before `.partN.rar` (with the key's folders when parsing a key). */
  stem: string;
  number: number;
  /** Digits in the part number as written (`part01` -> 2), so missing volumes are named as the uploader names them. */
  width: number;
}

export function parseVolumeName(name: string): VolumeName | undefined {
  const m = partPattern.exec(name);
  return m ? { stem: m[1], number: Number(m[2]), width: m[2].length } : undefined;
}

/** The name (or key) of volume `number` of the set `first` belongs to. */
export function volumeNameFor(first: VolumeName, number: number): string {
  return `${first.stem}.part${String(number).padStart(first.width, '0')}.rar`;
}

/** One volume as first seen: its ETag is pinned for the rest of the run. */
export interface VolumePin {
  key: string;
  etag: string;
}

export interface InspectVolumesInput {
  tenantId: string;
  backup: BackupRef;
}

/** What one look at the bucket found for a set. */
export interface VolumeSetState {
  /** The volumes present, in order, with their current ETags. */
  volumes: (VolumePin & { size: number })[];
  /** Keys of volumes known to be missing (gaps, and the next one after a volume that says more follow). */
  missing: string[];
}

/** Volume wait defaults: how long an incomplete set is waited for, and how often the bucket is looked at. */
export const DEFAULT_VOLUME_WAIT_SECONDS = 3600;
export const DEFAULT_VOLUME_POLL_SECONDS = 30;
