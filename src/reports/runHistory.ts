/**
 * The runs kept for a tenant or wave (`runs/<runKey>/` beside the latest report), newest first, for
 * `tmig report` to list earlier runs next to the latest one.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface KeptRun {
  runKey: string;
  json: string;
  verdict?: string;
  alreadyComplete?: boolean;
  rowsCopied?: number;
  generatedAt?: string;
}

/** Runs under `<dir of latestJson>/runs/`, newest first (run keys end in their start time). */
export function keptRuns(latestJson: string): KeptRun[] {
  const root = join(dirname(latestJson), 'runs');
  if (!existsSync(root)) return [];
  const file = latestJson.endsWith('wave.json') ? 'wave.json' : 'report.json';
  const runs: KeptRun[] = [];
  for (const runKey of readdirSync(root)) {
    const json = join(root, runKey, file);
    if (!existsSync(json)) continue;
    try {
      const r = JSON.parse(readFileSync(json, 'utf8')) as { verdict?: string; alreadyComplete?: boolean; generatedAt?: string; summary?: { rowsCopied?: number } };
      runs.push({ runKey, json, verdict: r.verdict, alreadyComplete: r.alreadyComplete, rowsCopied: r.summary?.rowsCopied, generatedAt: r.generatedAt });
    } catch {
      runs.push({ runKey, json });
    }
  }
  return runs.sort((a, b) => (b.generatedAt ?? b.runKey).localeCompare(a.generatedAt ?? a.runKey));
}

export function keptRunsText(runs: KeptRun[], latestGeneratedAt: string | undefined): string[] {
  const earlier = runs.filter((r) => r.generatedAt !== latestGeneratedAt);
  if (earlier.length === 0) return [];
  return [`  earlier runs (${earlier.length}):`, ...earlier.slice(0, 20).map((r) =>
    `    ${r.runKey.padEnd(40)} ${(r.verdict ?? '?').toUpperCase()}${r.alreadyComplete ? ' (already complete)' : ''}`
    + `${r.rowsCopied !== undefined ? `  rows ${r.rowsCopied}` : ''}  ${r.json}`)];
}
