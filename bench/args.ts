import { SCALES, TOOLS, type Scale, type ToolName } from './types';

export interface BenchArgs {
  scale: Scale;
  jobs: number;
  only: ToolName[];
  fleet: boolean;
  /** Overrides the scale's fleet size. */
  fleetSize?: number;
  json?: string;
  /** Keep target databases after verification (default: drop them to save disk). */
  keepTargets: boolean;
  /** Rebuild the source data even when a marker says it is present. */
  regenerate: boolean;
  /** tmig worker processes: one (`all`) or a light and a heavy one (`split`). */
  tmigWorkers: 'all' | 'split';
  /** pgcopydb same-table split: off, auto, or a threshold in kB. */
  pgcopydbSplit: 'off' | 'auto' | number;
  /** Drop every tmig_bench_* database and exit. */
  clean: boolean;
  /** Run tmig a second time with its copying worker SIGKILLed mid-copy. */
  crash: boolean;
  /** Run the split scenario: a shared database split into per-tenant databases vs the same data as separate databases. */
  split: boolean;
  splitTenants: number;
  /** Approximate size of the shared database in MB. */
  splitMb: number;
  /** Run the online scenario (a tenant under a steady writer, migrated online, cut over). */
  online: boolean;
  onlineSizeMb: number;
  onlineRate: number;
  onlineSteadySeconds: number;
  /** The tiny-tenant scenario (the demo's hotel01) through every tool. */
  tenant: boolean;
  /** Another checkout (e.g. /work/main) whose tmig also runs, as tool `tmig-before`: before/after in one run. */
  tmigBefore?: string;
  /** Free text stored with the host in the JSON (e.g. that the machine was shared). */
  hostNote?: string;
  /** Run the SQL Server source scenario: tmig vs a plain mssql -> COPY loop. */
  mssql: boolean;
  mssqlSizeMb: number;
  /** Skip the main data set and the fleet: run only the scenarios asked for (--mssql, --online, --split). */
  scenariosOnly: boolean;
  /** Seconds before a tmig wave is given up (default by scale). */
  tmigTimeoutS?: number;
  help: boolean;
}

export const USAGE = `usage: npm run bench -- [options]
  --scale tiny|small|full   data set size (default tiny; full is ~2 GB + 500 tenant databases)
  --jobs N                  parallelism given to every tool (default 2)
  --only a,b                tools to run: ${TOOLS.join(', ')} (default all)
  --fleet / --no-fleet      migrate the tenant fleet through tmig (default: on when tmig runs)
  --fleet-size N            tenants in the fleet (default: tiny 5, small 50, full 500)
  --tenant / --no-tenant    the tiny-tenant scenario: the demo's hotel01 (2,000 bookings) through every tool (default on)
  --tmig-before DIR         also run tmig from another checkout (e.g. /work/main) as tool tmig-before, same data, same run
  --host-note TEXT          note stored with the host figures (e.g. "shared with other work")
  --json FILE               also write the results as JSON
  --tmig-workers all|split  one tmig worker process, or a light (workflows) and a heavy (copy) one
  --tmig-timeout S          give a tmig wave up after S seconds (default: tiny 300, small 1800, full 14400)
  --pgcopydb-split off|auto|SIZE  pgcopydb same-table concurrency (default auto: largest table in ~2 x jobs parts)
  --crash                   also run tmig with its copying worker SIGKILLed mid-chunk: exact resume,
                            rows copied again (at most one chunk per range)
  --online                  also run the online scenario: a tenant under a steady writer migrated
                            online (CDC), then cut over: catch-up, lag p50/p99, applied/s, write-blocked time
  --online-size-mb N        its tenant's size (default 50; 1024 for the 1 GB run)
  --online-rate N           its writer's writes per second (default 500)
  --online-steady S         seconds of steady-state streaming measured before the cutover (default 60)
  --mssql                   also run the SQL Server source scenario: a data set on MSSQL_URL (else a Babelfish started
                            from ../shared/tools/babelfish) copied by tmig and by a plain mssql stream -> COPY loop
  --mssql-size-mb N         its data set's size (default 50)
  --scenarios-only          skip the main data set and the fleet: run only --mssql / --online / --split
  --keep-targets            keep the target databases (default: dropped after verification)
  --clean                   drop every tmig_bench_* database (sources, fleet, targets) and exit
  --regenerate              rebuild the source data even if it is already there
  --split                   also split a shared database (Zipf-sized tenants) into one database per tenant,
                            against the same rows as separate databases: wall times, per-tenant overhead, read amplification
  --split-tenants N         tenants of the shared database (default 456)
  --split-mb N              approximate size of the shared database in MB (default 300)`;

function positiveInt(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < 1) throw new Error(`${flag} needs a positive integer, got ${value ?? 'nothing'}`);
  return n;
}

/** Parses the harness's command line; throws with the offending flag named. */
export function parseBenchArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = { scale: 'tiny', jobs: 2, only: [...TOOLS], fleet: true, keepTargets: false, regenerate: false, tmigWorkers: 'all', pgcopydbSplit: 'auto', crash: false, clean: false, help: false, split: false, splitTenants: 456, splitMb: 300, online: false, onlineSizeMb: 50, onlineRate: 500, onlineSteadySeconds: 60, tenant: true, mssql: false, mssqlSizeMb: 50, scenariosOnly: false };
  let fleetExplicit: boolean | undefined;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i];
    const eq = raw.indexOf('=');
    const flag = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith('--') && eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--scale': {
        const v = value();
        if (!SCALES.includes(v as Scale)) throw new Error(`--scale must be one of ${SCALES.join(', ')}, got ${v ?? 'nothing'}`);
        args.scale = v as Scale;
        break;
      }
      case '--jobs': args.jobs = positiveInt('--jobs', value()); break;
      case '--fleet-size': args.fleetSize = positiveInt('--fleet-size', value()); break;
      case '--only': {
        const names = (value() ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        const unknown = names.filter((n) => !(TOOLS as readonly string[]).includes(n));
        if (!names.length || unknown.length) throw new Error(`--only: unknown tool(s) ${unknown.join(', ') || '(none given)'}; known: ${TOOLS.join(', ')}`);
        args.only = TOOLS.filter((t) => names.includes(t));
        break;
      }
      case '--fleet': fleetExplicit = true; break;
      case '--no-fleet': fleetExplicit = false; break;
      case '--json': {
        const v = value();
        if (!v) throw new Error('--json needs a file name');
        args.json = v;
        break;
      }
      case '--tmig-workers': {
        const v = value();
        if (v !== 'all' && v !== 'split') throw new Error(`--tmig-workers must be all or split, got ${v ?? 'nothing'}`);
        args.tmigWorkers = v;
        break;
      }
      case '--tmig-timeout': args.tmigTimeoutS = positiveInt('--tmig-timeout', value()); break;
      case '--pgcopydb-split': {
        const v = value();
        if (v === 'off' || v === 'auto') args.pgcopydbSplit = v;
        else {
          const m = /^(\d+)\s*(kB|MB|GB)$/i.exec(v ?? '');
          if (!m || Number(m[1]) < 1) throw new Error(`--pgcopydb-split must be off, auto or a size like 256MB, got ${v ?? 'nothing'}`);
          args.pgcopydbSplit = Number(m[1]) * ({ kb: 1, mb: 1024, gb: 1024 * 1024 } as Record<string, number>)[m[2].toLowerCase()];
        }
        break;
      }
      case '--tenant': args.tenant = true; break;
      case '--no-tenant': args.tenant = false; break;
      case '--tmig-before': {
        const v = value();
        if (!v) throw new Error('--tmig-before needs a directory (a checkout of tmig)');
        args.tmigBefore = v;
        break;
      }
      case '--host-note': args.hostNote = value(); break;
      case '--crash': args.crash = true; break;
      case '--split': args.split = true; break;
      case '--split-tenants': args.splitTenants = positiveInt('--split-tenants', value()); break;
      case '--split-mb': args.splitMb = positiveInt('--split-mb', value()); break;
      case '--online': args.online = true; break;
      case '--online-size-mb': args.onlineSizeMb = positiveInt('--online-size-mb', value()); break;
      case '--online-rate': args.onlineRate = positiveInt('--online-rate', value()); break;
      case '--online-steady': args.onlineSteadySeconds = positiveInt('--online-steady', value()); break;
      case '--mssql': args.mssql = true; break;
      case '--mssql-size-mb': args.mssqlSizeMb = positiveInt('--mssql-size-mb', value()); break;
      case '--scenarios-only': args.scenariosOnly = true; break;
      case '--clean': args.clean = true; break;
      case '--keep-targets': args.keepTargets = true; break;
      case '--regenerate': args.regenerate = true; break;
      case '--help': case '-h': args.help = true; break;
      default: throw new Error(`unknown option ${raw}\n${USAGE}`);
    }
  }
  args.fleet = !args.scenariosOnly && (fleetExplicit ?? args.only.includes('tmig'));
  if (args.crash && !args.only.includes('tmig')) throw new Error('--crash needs tmig among the tools (--only ...,tmig)');
  if (args.fleet && !args.only.includes('tmig')) throw new Error('--fleet needs tmig among the tools (--only ...,tmig)');
  return args;
}
