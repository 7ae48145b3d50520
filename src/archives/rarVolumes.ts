/** Multi-volume RAR sets named `<stem>.partN.rar`; the set is addressed by its first volume. */
import { parseVolumeName } from '../contract/volumeSet';

export { parseVolumeName, volumeNameFor, type VolumeName } from '../contract/volumeSet';

/** True for volumes 2..N of a set: intake starts one migration per set, at its first volume. */
export function isLaterVolume(name: string): boolean {
  const v = parseVolumeName(name);
  return v !== undefined && v.number > 1;
}

/** The names among `names` that belong to the set of `first`, in volume order. */
export function volumeSet(first: string, names: string[]): string[] {
  const v = parseVolumeName(first);
  if (!v) return [first];
  return names
    .map((n) => ({ n, p: parseVolumeName(n) }))
    .filter((x) => x.p && x.p.stem === v.stem)
    .sort((a, b) => a.p!.number - b.p!.number)
    .map((x) => x.n);
}
