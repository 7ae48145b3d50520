/**
 * The innermost cause of an error and its type, as operators should see it: Temporal wraps
 * activity, child and client failures several levels deep. Pure (workflows use it too).
 */

export interface CauseLink {
  /** ApplicationFailure type (`SourceMissing`), error class (`CancelledFailure`) or code (`ECONNREFUSED`). */
  type: string;
  message: string;
}

export interface FailureCause extends CauseLink {
  /** Outermost first; the last entry is the innermost cause. */
  chain: CauseLink[];
  cancelled: boolean;
}

/** The message every cancelled run reports, whatever wrapped the cancellation. */
export const CANCELLED_BY_OPERATOR = 'cancelled by operator';

interface ErrorLike {
  name?: string;
  type?: string | null;
  code?: string | number;
  message?: string;
  cause?: unknown;
  details?: string;
  errors?: unknown[];
}

function linkOf(e: ErrorLike): CauseLink {
  const type = (typeof e.type === 'string' && e.type) || (e.name && e.name !== 'Error' ? e.name : undefined)
    || (typeof e.code === 'string' ? e.code : undefined) || 'Error';
  // gRPC errors keep the server's words in `details`.
  const message = e.message || (typeof e.details === 'string' ? e.details : '') || '';
  return { type, message };
}

export function failureCause(err: unknown): FailureCause {
  if (!err || typeof err !== 'object') {
    const link = { type: 'Error', message: String(err) };
    return { ...link, chain: [link], cancelled: false };
  }
  const chain: CauseLink[] = [];
  const seen = new Set<unknown>();
  let cancelled = false;
  let e: ErrorLike | undefined = err as ErrorLike;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    chain.push(linkOf(e));
    if (e.name === 'CancelledFailure') cancelled = true;
    // AggregateError (e.g. a connection tried on IPv4 and IPv6): follow the first.
    e = (e.cause ?? (Array.isArray(e.errors) && e.errors.length ? e.errors[0] : undefined)) as ErrorLike | undefined;
  }
  if (cancelled) return { type: 'Cancelled', message: CANCELLED_BY_OPERATOR, chain, cancelled };
  // The innermost link that says something (a bare wrapper with no message is skipped).
  const inner = [...chain].reverse().find((l) => l.message) ?? chain[chain.length - 1];
  // The most specific type: the innermost that is not a generic wrapper.
  const generic = new Set(['Error', 'ActivityFailure', 'ChildWorkflowFailure', 'WorkflowFailedError', 'ServiceError']);
  const type = [...chain].reverse().find((l) => !generic.has(l.type))?.type ?? inner.type;
  return { type, message: inner.message, chain, cancelled };
}

/** One line: `message [Type]`. */
export function oneLineCause(err: unknown): string {
  const c = failureCause(err);
  return c.type === 'Error' || c.message.includes(c.type) ? c.message : `${c.message} [${c.type}]`;
}

/** The whole chain, outermost first, one line per link (for --verbose). */
export function causeChainText(err: unknown): string {
  return failureCause(err).chain.map((l, i) => `${'  '.repeat(i)}${i ? 'caused by ' : ''}${l.type}: ${l.message}`).join('\n');
}
