/**
 * Wave-level batch cutover: a `cutover` signal on the wave (`tmig cutover --wave`), or the time
 * in the wave's options.online.cutoverAt, cuts the wave's online tenants over `batch` at a time.
 * Each streaming tenant gets its own `cutover` signal; its batch slot frees when the tenant reports
 * the attempt's end (ok or failed, with the write-blocked time) or ends. Tenants still copying are
 * cut over once they stream. A failed attempt is not retried until the next wave signal.
 *
 * Deterministic workflow code. Nothing here issues a command until a cutover is asked for, and
 * then only behind the WAVE_CUTOVER_PATCH, so histories recorded before it replay unchanged (a
 * `cutover` signal buffered in such a history is ignored on replay, as it was then).
 */
import { condition, getExternalWorkflowHandle, isCancellation, log, patched, setHandler, sleep } from '@temporalio/workflow';
import type { MigrationWaveInput, TenantProgress } from '../contract/migration';
import type { WaveCutoverOutcome, WaveCutoverProgress, WaveCutoverRequest } from '../contract/online';
import { cutoverConfirmSignal, cutoverSignal, waveCutoverSignal } from '../contract/signals';
import { innermostMessage } from '../contract/innermostMessage';
import { isoNow, workflowNow } from './clock';
import { mergeOptions } from './options';

export const WAVE_CUTOVER_PATCH = 'wave-batch-cutover';
/** Outcomes kept in the carry and the result (counts stay exact). */
const MAX_OUTCOMES = 500;
/** Outcomes shown in the wave's progress query. */
const PROGRESS_OUTCOMES = 50;

/** Carried across continue-as-new. */
export interface WaveCutoverCarry {
  request: (WaveCutoverRequest & { by: 'signal' | 'schedule' }) | null;
  /** Bumped by each request: a new request retries tenants whose attempt failed. */
  round: number;
  /** Tenant ids cut over (never asked twice). */
  cutOver: string[];
  scheduleFired?: boolean;
  counts: { ok: number; failed: number };
  outcomes: WaveCutoverOutcome[];
}

export interface WaveCutoverDeps {
  input: MigrationWaveInput;
  carry: WaveCutoverCarry | undefined;
  /** Last progress each running tenant reported, by workflow id. */
  live: Map<string, TenantProgress>;
  /** Running tenant runs, [workflowId, tenantId], in start order. */
  runningTenants: () => [string, string][];
  /** Tenants of the manifest not started yet (by this run or an earlier one). */
  notStarted: () => MigrationWaveInput['tenants'];
  /** Something shown in the wave's progress changed. */
  changed: () => void;
}

export interface WaveCutovers {
  carry: WaveCutoverCarry;
  progress(): WaveCutoverProgress | undefined;
  /** A tenant run ended (result or failure): a cutover waiting on it is settled. */
  tenantEnded(workflowId: string, end: { cutovers?: { ok: boolean; writeBlockedMs: number; failedStep?: string; error?: string }[]; error?: string }): void;
  /** Cutovers in flight (the wave waits for them before it finishes or continues as new). */
  busy(): boolean;
  resultFields(): { cutovers?: WaveCutoverOutcome[]; cutoverCounts?: { ok: number; failed: number } };
}

interface Flight {
  tenantId: string;
  /** The tenant's attempt count when it was asked: a higher one is this cutover's outcome. */
  before: number;
  outcome?: WaveCutoverOutcome;
}

export function startWaveCutovers(d: WaveCutoverDeps): WaveCutovers {
  const c: WaveCutoverCarry = d.carry ?? { request: null, round: 0, cutOver: [], counts: { ok: 0, failed: 0 }, outcomes: [] };
  const waveOnline = d.input.options?.online;
  const cutoverAt = typeof waveOnline === 'object' ? waveOnline.cutoverAt : undefined;
  const defaultBatch = typeof waveOnline === 'object' ? (waveOnline.cutoverBatch ?? waveOnline.cutoverConcurrency ?? 1) : 1;
  const online = new Set(d.input.tenants.filter((t) => mergeOptions(d.input.options, t.options).online).map((t) => t.tenantId));
  const cutOver = new Set(c.cutOver);
  const inFlight = new Map<string, Flight>();
  let attempted = new Set<string>();
  let roundSeen = c.round;
  let enabled: boolean | undefined;
  // Decided once, at the first use: false only when replaying a history from before this feature.
  const enable = () => (enabled ??= patched(WAVE_CUTOVER_PATCH));

  setHandler(waveCutoverSignal, (req?: WaveCutoverRequest) => {
    // Never throw in a handler: malformed fields are dropped.
    const batch = typeof req?.batch === 'number' && Number.isInteger(req.batch) && req.batch >= 1 ? req.batch : undefined;
    const lag = typeof req?.lagThresholdSeconds === 'number' && req.lagThresholdSeconds >= 0 ? req.lagThresholdSeconds : undefined;
    const tenants = Array.isArray(req?.tenants) ? req.tenants.filter((t): t is string => typeof t === 'string') : undefined;
    c.request = { by: 'signal', ...(batch ? { batch } : {}), ...(lag !== undefined ? { lagThresholdSeconds: lag } : {}), ...(tenants ? { tenants } : {}) };
    c.round++;
    d.changed();
  });
  setHandler(cutoverConfirmSignal, async () => {
    if (!enable()) return;
    for (const [id, p] of [...d.live]) {
      if (p.phase !== 'rollback-window') continue;
      await getExternalWorkflowHandle(id).signal(cutoverConfirmSignal).catch((err) => log.warn('could not forward cutover-confirm', { id, error: String(err) }));
    }
  });

  const wanted = (tenantId: string, req: WaveCutoverRequest) =>
    online.has(tenantId) && !cutOver.has(tenantId) && !attempted.has(tenantId) && (!req.tenants || req.tenants.includes(tenantId));
  /** The next tenant to cut over: streaming, wanted, not in flight. */
  const candidate = (req: WaveCutoverRequest) =>
    d.runningTenants().find(([id, t]) => !inFlight.has(id) && wanted(t, req) && d.live.get(id)?.phase === 'cdc');
  /** Online tenants of the request that will stream later (copying now, or not started). */
  const laterOnes = (req: WaveCutoverRequest) =>
    d.runningTenants().some(([id, t]) => !inFlight.has(id) && wanted(t, req) && !pastCutover(id))
    || d.notStarted().some((t) => wanted(t.tenantId, req));
  /** Cut over already (by `tmig cutover <tenant>`, say): nothing left for the wave to do. */
  const pastCutover = (id: string) => {
    const p = d.live.get(id);
    return p?.phase === 'rollback-window' || p?.phase === 'rollback' || p?.cdc?.lastCutover?.ok === true;
  };
  const attemptOf = (id: string) => d.live.get(id)?.cdc?.lastCutover?.attempt ?? 0;

  const record = (o: WaveCutoverOutcome) => {
    if (o.ok) {
      c.counts.ok++;
      cutOver.add(o.tenantId);
      c.cutOver.push(o.tenantId);
    } else {
      c.counts.failed++;
    }
    c.outcomes.push(o);
    if (c.outcomes.length > MAX_OUTCOMES) c.outcomes.splice(0, c.outcomes.length - MAX_OUTCOMES);
    log.info('wave cutover: tenant done', { tenantId: o.tenantId, ok: o.ok, writeBlockedMs: o.writeBlockedMs, ...(o.failedStep ? { failedStep: o.failedStep } : {}) });
    d.changed();
  };

  const cutOne = async (id: string, flight: Flight, lagThresholdSeconds: number | undefined) => {
    let outcome: WaveCutoverOutcome;
    try {
      await getExternalWorkflowHandle(id).signal(cutoverSignal, lagThresholdSeconds === undefined ? {} : { lagThresholdSeconds });
      await condition(() => flight.outcome !== undefined || attemptOf(id) > flight.before);
      const last = d.live.get(id)?.cdc?.lastCutover;
      outcome = flight.outcome ?? {
        tenantId: flight.tenantId, ok: last?.ok ?? false, writeBlockedMs: last?.writeBlockedMs ?? 0,
        ...(last?.failedStep ? { failedStep: last.failedStep } : {}), ...(last?.error ? { error: last.error } : {}), at: isoNow(),
      };
    } catch (err) {
      outcome = flight.outcome ?? { tenantId: flight.tenantId, ok: false, writeBlockedMs: 0, at: isoNow(),
        error: isCancellation(err) ? 'wave cancelled before the cutover finished' : `could not ask the tenant to cut over: ${innermostMessage(err)}` };
    } finally {
      inFlight.delete(id);
    }
    record(outcome);
  };

  const runRound = async () => {
    for (;;) {
      if (c.round !== roundSeen) {
        roundSeen = c.round;
        attempted = new Set();
      }
      const req = c.request;
      if (!req) return;
      const batch = req.batch ?? defaultBatch;
      const next = inFlight.size < batch ? candidate(req) : undefined;
      if (next) {
        const [id, tenantId] = next;
        attempted.add(tenantId);
        const flight: Flight = { tenantId, before: attemptOf(id) };
        inFlight.set(id, flight);
        d.changed();
        void cutOne(id, flight, req.lagThresholdSeconds);
        continue;
      }
      if (inFlight.size === 0 && !laterOnes(req)) {
        log.info('wave cutover finished', { ok: c.counts.ok, failed: c.counts.failed });
        c.request = null;
        d.changed();
        return;
      }
      // Something to wait for: a slot, a tenant reaching the stream, a new request.
      const round = c.round;
      const size = inFlight.size;
      await condition(() => c.request === null || c.round !== round || inFlight.size !== size
        || (inFlight.size < (c.request.batch ?? defaultBatch) && candidate(c.request) !== undefined)
        || (inFlight.size === 0 && !laterOnes(c.request)));
    }
  };

  const drive = async () => {
    try {
      if (cutoverAt && !c.scheduleFired && enable()) {
        void (async () => {
          const ms = Date.parse(cutoverAt) - workflowNow().getTime();
          if (ms > 0) await sleep(ms);
          c.scheduleFired = true;
          if (!c.request) {
            c.request = { by: 'schedule' };
            c.round++;
            d.changed();
          }
        })().catch((err) => {
          if (!isCancellation(err)) throw err;
        });
      }
      for (;;) {
        await condition(() => c.request !== null);
        if (!enable()) {
          log.warn('wave cutover requested on a wave recorded before wave cutovers existed: ignored');
          c.request = null;
          continue;
        }
        await runRound();
      }
    } catch (err) {
      if (!isCancellation(err)) throw err;
    }
  };
  // Started after the wave's own setup (its progress and details helpers) has run.
  void Promise.resolve().then(drive);

  return {
    carry: c,
    progress: () => (c.request || c.counts.ok + c.counts.failed > 0 || cutoverAt ? {
      active: c.request !== null, ...(c.request ? { by: c.request.by } : {}), batch: c.request?.batch ?? defaultBatch,
      inFlight: [...inFlight.values()].map((f) => f.tenantId), ...(cutoverAt ? { scheduledAt: cutoverAt } : {}),
      ok: c.counts.ok, failed: c.counts.failed, outcomes: c.outcomes.slice(-PROGRESS_OUTCOMES),
    } : undefined),
    tenantEnded: (id, end) => {
      const flight = inFlight.get(id);
      if (!flight || flight.outcome) return;
      const attempts = end.cutovers ?? [];
      const last = attempts.length > flight.before ? attempts[attempts.length - 1] : undefined;
      flight.outcome = last
        ? { tenantId: flight.tenantId, ok: last.ok, writeBlockedMs: last.writeBlockedMs, ...(last.failedStep ? { failedStep: last.failedStep } : {}),
          ...(last.error ? { error: last.error.slice(0, 300) } : {}), at: isoNow() }
        : { tenantId: flight.tenantId, ok: false, writeBlockedMs: 0, error: `the tenant ended before its cutover${end.error ? `: ${end.error.slice(0, 300)}` : ''}`, at: isoNow() };
    },
    busy: () => inFlight.size > 0,
    resultFields: () => (c.counts.ok + c.counts.failed > 0 ? { cutovers: [...c.outcomes], cutoverCounts: { ...c.counts } } : {}),
  };
}
