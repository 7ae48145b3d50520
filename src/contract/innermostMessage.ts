/**
 * The innermost cause's message: Temporal wraps activity and child failures, and the
 * operator wants the real error. Pure, so workflows may use it.
 */
export function innermostMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  let msg = e?.message ?? String(err);
  while (e?.cause) {
    e = e.cause as typeof e;
    if (e?.message) msg = e.message;
  }
  return msg;
}
