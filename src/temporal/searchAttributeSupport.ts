/**
 * Whether a Temporal server refused a start because the TmigRole search attribute is not registered
 * there: starts then go ahead without it (the role is for the UI only).
 */
export function isUnregisteredSearchAttribute(err: unknown): boolean {
  const text = String((err as Error)?.message ?? err);
  return /search attribute/i.test(text) && /TmigRole/.test(text);
}
