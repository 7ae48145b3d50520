/** Shapes shared by the benchmark harness: one result row per tool and data set. */

export const TOOLS = ['raw-pipe', 'pg-dump', 'pgcopydb', 'pgloader', 'tmig'] as const;
export type ToolName = (typeof TOOLS)[number] | 'tmig-before';

export const SCALES = ['tiny', 'small', 'full'] as const;
export type Scale = (typeof SCALES)[number];

/** Peak memory of a measured run, in kilobytes. */
export interface PeakMemory {
  /** Largest resident set of any single process of the tool (VmHWM / ru_maxrss). */
  peakRssKb: number;
  /** Largest sum of resident sets of all the tool's processes seen at one instant (sampled). */
  treeRssKb: number;
}

export interface BenchResult {
  tool: ToolName;
  dataset: string;
  /** Wall time of the whole copy, schema and indexes included. */
  seconds: number | null;
  /** Source data size (heap + TOAST of the user tables, indexes excluded). */
  bytes: number;
  mbPerSec: number | null;
  /** This tool's throughput divided by the raw pipe's on the same data set (>1 = faster). */
  ratioToRawPipe: number | null;
  /** This tool's throughput divided by pgcopydb's on the same data set (>1 = faster). */
  ratioToPgcopydb?: number | null;
  peakRssMb: number | null;
  treeRssMb: number | null;
  /** Busy CPU seconds of the whole machine during the timed run (the tool and everything it drives). */
  machineCpuSeconds?: number | null;
  /** Every source table exists in the target with the same row count. */
  verified: boolean;
  /** Why the tool did not run or failed, or a note on how it ran. */
  note?: string;
  /** Tool-specific figures for machine comparison (tmig: worker memory by role, phases, tables, crash). */
  detail?: Record<string, unknown>;
}

/** Per-tenant timing of a fleet run through tmig. */
export interface FleetTenantTiming {
  tenantId: string;
  wallMs: number;
  copyMs: number;
  overheadMs: number;
  phaseMs: Record<string, number>;
}

export interface FleetSummary {
  tenants: number;
  succeeded: number;
  seconds: number;
  medianOverheadMs: number | null;
  p90OverheadMs: number | null;
  medianWallMs: number | null;
  /** Median ms per phase across tenants: where the non-copy time goes. */
  medianPhaseMs: Record<string, number>;
}

export interface BenchReport {
  startedAt: string;
  /** cpuModel: absolute times differ between VM hosts (the same fleet took 27 s one day, 61 s another): compare ratios within a run. */
  host: { cpus: number; cpuModel?: string; memMb: number; postgres: string; /** e.g. shared with other work: absolute times inflated */ note?: string };
  scale: Scale;
  jobs: number;
  tmigWorkers: 'all' | 'split';
  results: BenchResult[];
  fleet?: FleetSummary;
  /** The split scenario (bench/runners/tmigSplit.ts). */
  split?: SplitSummary;
  /** `--online`: the online (CDC) scenario, see bench/onlineScenario.ts. */
  online?: OnlineBenchResult;
  /** `--mssql`: the SQL Server source scenario, see bench/mssqlScenario.ts. */
  mssql?: MssqlBenchResult;
}

/** The split scenario's summary (bench/runners/tmigSplit.ts). */
export interface SplitSummary {
  tenants: number;
  sourceBytes: number;
  /**
   * Logical reads of the shared source's tables and indexes during the split (blocks x 8 KB, every
   * buffer access, shared-buffer hits included: each B-tree descent counts its root, inner and leaf page).
   */
  bytesRead: number;
  readAmplification: number;
  /** Of those block accesses: found in shared buffers, and read from outside them (the OS page cache or disk). */
  blocksHit?: number;
  blocksRead?: number;
  /** Blocks read from outside shared buffers x 8 KB, and that / the database's size. */
  physicalBytesRead?: number;
  physicalReadAmplification?: number;
  /**
   * Rows read (sequential scans' rows + rows fetched through indexes) / live rows of the source.
   * Block reads count each B-tree descent (about 3 blocks per probed key, hot pages); rows do not.
   */
  rowsRead: number;
  sourceRows: number;
  rowReadAmplification: number;
  splitSeconds: number | null;
  separateSeconds: number | null;
  /** split wall time / separate databases wall time. */
  ratioToSeparate: number | null;
  split?: FleetSummary;
  separate?: FleetSummary;
  /** Median over tenants of (split wall time - separate wall time) of the same tenant. */
  medianExtraMsPerTenant: number | null;
  /** Sequential scans of each source table during the split (none expected on indexed tenant tables). */
  seqScans: Record<string, { seqScans: number; seqRowsRead: number; indexScans: number; indexRowsFetched: number; rows: number;
    /** Block accesses of the heap and of the indexes, blocks read from outside shared buffers, and the table's and its indexes' pages. */
    heapBlocks?: number; indexBlocks?: number; blocksRead?: number; tablePages?: number; indexPages?: number }>;
}

/** See onlineScenario.ts. */
export interface OnlineBenchResult {
  sizeMb: number;
  writerTargetPerSecond: number;
  /** What the writer achieved (this machine may not sustain the target). */
  writerActualPerSecond: number;
  copySeconds: number | null;
  catchUpSeconds: number | null;
  lagSecondsP50: number | null;
  lagSecondsP99: number | null;
  lagBytesP50: number | null;
  /** Best apply rate of one slice (the first slices after the copy apply a backlog: saturation). */
  appliedPerSecondMax: number;
  appliedPerSecondSteady: number | null;
  writeBlockedMs: number | null;
  workerPeakRssMb: number;
  cutoverSteps: { step: string; ms: number }[];
  verdict: string;
}

/** See mssqlScenario.ts. */
export interface MssqlBenchResult {
  endpoint: 'MSSQL_URL' | 'babelfish';
  sizeMbRequested: number;
  /** COPY-text bytes of the data set (as the plain loop encoded it): the MB of MB/s. */
  bytes: number | null;
  sourceRows: Record<string, number>;
  fillSeconds: number;
  plain: MssqlSideResult;
  tmig: MssqlSideResult;
  /** tmig MB/s divided by the plain loop's (>1 = tmig faster). */
  ratioTmigToPlain: number | null;
  /** 1-minute load average before the plain loop and after tmig: the machine may be shared (absolute figures inflated). */
  loadAverage: { before: number; after: number };
}

export interface MssqlSideResult {
  seconds: number | null;
  mbPerSec: number | null;
  rowsPerSec: number | null;
  peakRssMb: number | null;
  /** Target row counts equal the source's for every table. */
  verified: boolean;
  targetRows: Record<string, number>;
  /** tmig: wall ms per phase (discovery, schema, copy, indexes, validation, ...). */
  phasesMs?: Record<string, number>;
  note?: string;
}
