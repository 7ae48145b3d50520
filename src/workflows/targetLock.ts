/** The governor pool that serializes migrations into one target database (a permit of limit 1). */

/** Pool name for a target database (pool names: letters, digits, _ . -). */
export function targetLockPool(target: { server: string; database: string }): string {
  const raw = `${target.server}.${target.database}`;
  const safe = raw.replace(/[^A-Za-z0-9_.-]/g, '_');
  if (safe === raw) return `target.${safe}`;
  // Different names must not collapse into one pool: add a deterministic hash of the original.
  let h = 0;
  for (const ch of raw) h = (Math.imul(h, 31) + ch.codePointAt(0)!) >>> 0;
  return `target.${safe}.${h.toString(36)}`;
}
