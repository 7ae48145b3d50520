/** The shape of one `tmig doctor` finding: what was checked, its verdict, and a message naming the failing part. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Check family, e.g. `config`, `server`, `temporal`, `search-attributes`, `online`, `disk`, `tools`. */
  check: string;
  /** What it was about: a server name, a path, a tool. */
  subject: string;
  status: CheckStatus;
  message: string;
}

export const ok = (check: string, subject: string, message: string): CheckResult => ({ check, subject, status: 'ok', message });
export const warn = (check: string, subject: string, message: string): CheckResult => ({ check, subject, status: 'warn', message });
export const fail = (check: string, subject: string, message: string): CheckResult => ({ check, subject, status: 'fail', message });
export const skip = (check: string, subject: string, message: string): CheckResult => ({ check, subject, status: 'skip', message });

/** One line of a driver error without secrets: the password never appears in driver messages, URLs are not echoed. */
export function reason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const msg = (e?.message ?? String(err)).split('\n')[0].replace(/\/\/[^@/\s]*@/g, '//***@');
  return e?.code && !msg.includes(e.code) ? `${msg} (${e.code})` : msg;
}
