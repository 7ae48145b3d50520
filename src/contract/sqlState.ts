/**
 * Classifies PostgreSQL errors by SQLSTATE: which can succeed when tried again (connection lost,
 * deadlock, server shutting down, out of resources) and which never will (syntax, undefined
 * object, bad data, constraint violation, permission). Also redacts statements for messages.
 */

export type SqlErrorClass = 'transient' | 'permanent';

/** Whole SQLSTATE classes that are transient. */
const transientClasses = new Set([
  '08', // connection exception
  '40', // transaction rollback: deadlock 40P01, serialization failure 40001
  '53', // insufficient resources: disk full 53100, out of memory 53200, too many connections 53300
  '57', // operator intervention: 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now, 57014 canceled
  '58', // system error (I/O) outside PostgreSQL
]);

/** Single SQLSTATEs in otherwise permanent classes that are transient. */
const transientCodes = new Set([
  '55P03', // lock_not_available (lock_timeout)
  '55006', // object_in_use
  '25P03', // idle_in_transaction_session_timeout
  '25P02', // in_failed_sql_transaction: a consequence of an earlier error
  'XX000', // internal error: unknown, keep retrying as before
]);

/** Whole SQLSTATE classes that can never succeed by trying again. */
const permanentClasses = new Set([
  '0A', // feature not supported
  '22', // data exception
  '23', // integrity constraint violation
  '28', // invalid authorization
  '2B', '2F', '38', '39', '3D', '3F', '44', // dependent objects, routines, catalog/schema names, WITH CHECK OPTION
  '42', // syntax error or access rule violation (42501 includes row-level security refusals)
  'P0', // PL/pgSQL RAISE
  'XX', // internal errors other than XX000 (data corrupted, index corrupted)
]);

/** The SQLSTATE of a PostgreSQL error (searching `cause`), or undefined for other errors. */
export function sqlStateOf(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    // Node's own codes (EPIPE, ECONNRESET) start with E; no SQLSTATE class does.
    if (typeof e.code === 'string' && /^[0-9A-DF-Z][0-9A-Z]{4}$/.test(e.code)) return e.code;
  }
  return undefined;
}

/** transient / permanent, or undefined when the SQLSTATE says nothing either way (treated as transient). */
export function classifySqlState(code: string | undefined): SqlErrorClass | undefined {
  if (!code) return undefined;
  if (transientCodes.has(code) || transientClasses.has(code.slice(0, 2))) return 'transient';
  if (permanentClasses.has(code.slice(0, 2))) return 'permanent';
  return undefined;
}

/**
 * A statement as it may appear in a message: string literals (key values and other row data are
 * always sent as quoted literals) replaced by `'…'`, whitespace folded, length capped.
 */
export function redactStatement(sql: string, max = 300): string {
  const folded = sql.replace(/[Ee]?'(?:[^']|'')*'/g, "'…'").replace(/\s+/g, ' ').trim();
  return folded.length > max ? `${folded.slice(0, max)}…` : folded;
}

/** The statement attached to an error by the connection that ran it (see connectPg). */
export function statementOf(err: unknown): string | undefined {
  for (let e = err as { statement?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.statement === 'string') return e.statement;
  }
  return undefined;
}

/** Data exceptions (class 22) quote the offending value: keep row data out of messages and history. */
export function redactDataMessage(code: string, message: string): string {
  return code.startsWith('22') ? message.replace(/"(?:[^"]|"")*"/g, '"…"') : message;
}
