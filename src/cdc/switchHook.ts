/**
 * The operator's switch hook, run at cutover ("target") and rollback ("source"): a command
 * (argv, no shell) or an HTTP POST named in the worker config. It receives names only (tenant,
 * server and database names), never connection strings. A non-zero exit or non-2xx answer fails the step.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FailureType, PermanentError } from '../contract/failures';

const run = promisify(execFile);

export type SwitchHookConfig = { command: string[]; timeoutSeconds?: number } | { url: string; timeoutSeconds?: number };

export interface SwitchEvent {
  tenantId: string;
  /** Where the application must now write. */
  switchTo: 'target' | 'source';
  source: { server: string; database: string };
  target: { server: string; database: string };
}

export async function runSwitchHook(hook: SwitchHookConfig | undefined, ev: SwitchEvent): Promise<{ ran: boolean; detail: string }> {
  if (!hook) return { ran: false, detail: 'no switch hook configured (cutover.switchHook): the operator switches the application' };
  const timeout = (hook.timeoutSeconds ?? 60) * 1000;
  if ('command' in hook) {
    const [cmd, ...args] = hook.command;
    try {
      const { stdout } = await run(cmd, args, {
        timeout,
        env: {
          ...process.env, TMIG_TENANT: ev.tenantId, TMIG_SWITCH_TO: ev.switchTo,
          TMIG_SOURCE_SERVER: ev.source.server, TMIG_SOURCE_DATABASE: ev.source.database,
          TMIG_TARGET_SERVER: ev.target.server, TMIG_TARGET_DATABASE: ev.target.database,
        },
      });
      return { ran: true, detail: `command ${cmd} exited 0${stdout.trim() ? `: ${stdout.trim().slice(0, 200)}` : ''}` };
    } catch (err) {
      const e = err as { code?: number | string; stderr?: string; message: string };
      throw new PermanentError(FailureType.BadInput, `switch hook command ${cmd} failed (exit ${String(e.code)}): ${(e.stderr ?? e.message).trim().slice(0, 300)}`);
    }
  }
  const res = await fetch(hook.url, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ev), signal: AbortSignal.timeout(timeout),
  }).catch((err: Error) => { throw new Error(`switch hook ${new URL(hook.url).origin}: ${err.message}`); });
  if (!res.ok) throw new PermanentError(FailureType.BadInput, `switch hook ${new URL(hook.url).origin} answered HTTP ${res.status}`);
  return { ran: true, detail: `HTTP ${res.status} from ${new URL(hook.url).origin}` };
}
