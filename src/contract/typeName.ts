/**
 * The grammar a column override's `targetType` must match: a PostgreSQL type name, optionally
 * schema-qualified, with optional modifiers, time zone clause and array brackets. Anything else
 * (quotes, semicolons, comments, expressions) is refused: the name is written into DDL and casts.
 * Pure and I/O-free: used by the manifest schema inside workflows and by the engine.
 */
const word = '[A-Za-z_][A-Za-z0-9_]*';
const typeName = new RegExp(
  `^(${word}\\.)?${word}( ${word})*` + // e.g. "double precision", "character varying", "public.money_amount"
  '( ?\\( ?\\d{1,4} ?(, ?\\d{1,4} ?)?\\))?' + // (n) or (p, s)
  '( (with|without) time zone)?' +
  '( ?\\[\\d{0,9}\\])*$', 'i');

/** Words that would turn the "type" into something else (a clause of the surrounding statement). */
const notInTypes = /\b(select|insert|update|delete|drop|create|alter|grant|revoke|copy|do|execute|call|truncate|using|collate|default|constraint|references|check|generated)\b/i;

/** True when `text` is acceptable as a column override target type. */
export function isTargetTypeName(text: string): boolean {
  const folded = text.trim().replace(/\s+/g, ' ');
  return folded.length > 0 && folded.length <= 100 && typeName.test(folded) && !notInTypes.test(folded);
}

export const TARGET_TYPE_RULE = 'must be a PostgreSQL type name such as varchar(100), numeric(12, 2), timestamp with time zone or text[]';
