/**
 * "Did you mean": the closest known names to a mistyped one (server names, pool names). Pure.
 */
import { distance } from 'fastest-levenshtein';

/** Known names within a small edit distance of `name`, closest first (at most 3). */
export function closestNames(name: string, known: Iterable<string>): string[] {
  const limit = Math.max(2, Math.floor(name.length / 3));
  return [...new Set(known)]
    .map((k) => ({ k, d: distance(name.toLowerCase(), k.toLowerCase()) }))
    .filter((x) => x.d <= limit || x.k.toLowerCase().includes(name.toLowerCase()))
    .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k))
    .slice(0, 3)
    .map((x) => x.k);
}

/** ` (did you mean "a" or "b"?)`, or '' when nothing is close. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const close = closestNames(name, known);
  return close.length ? ` (did you mean ${close.map((c) => `"${c}"`).join(' or ')}?)` : '';
}
