// `npm run demo:lazy` as a newcomer runs it (its own Temporal dev server, FerretDB and worker, the
// local MariaDB), smaller: the report it prints must add up and say the migration held.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');

describe('lazy demo', () => {
  it('runs every stage with the shipments application and reports lazily vs backfill, validation and time per stage', async () => {
    const db = `${process.env.TMIG_LAZY_TEST_DB_PREFIX ?? 'tmig_lazy'}_demo_${process.pid}`;
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/demo/run-lazy-demo.ts'),
      '--docs', '800', '--ttl', '500', '--mysql-database', db, '--state-dir', mkdtempSync(join(tmpdir(), 'tmig-lazy-demo-')), '--drop'], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { out += d; });
    // A deadline of its own, so a hang fails with the demo's output rather than a bare test timeout.
    const timer = setTimeout(() => { out += '\n[test: demo still running after 540 s, killed]'; child.kill('SIGKILL'); }, 540_000);
    const code = await new Promise<number | null>((res) => child.once('exit', res));
    clearTimeout(timer);
    expect(out, out).toContain('RESULT: ok');
    expect(code, out).toBe(0);
    for (const line of ['moved lazily by the application:', 'moved by the backfill:', 'validation: passed', 'time per stage:', '5 cleanup']) expect(out).toContain(line);
    const report = JSON.parse(/LAZY_DEMO_REPORT (.*)/.exec(out)![1]!);
    expect(report.app).toMatchObject({ errors: 0, missing: 0 });
    expect(report.app.inserts).toBeGreaterThan(0);
    expect(report.app.updates).toBeGreaterThan(0);
    expect(report.app.reads).toBeGreaterThan(0);
    // Both ways of moving happened, and together they account for every shipment MySQL holds.
    expect(report.readThrough).toBeGreaterThan(0);
    expect(report.movedByBackfill).toBeGreaterThan(0);
    expect(report.movedByApplication).toBe(report.readThrough + report.dualWritten + report.writtenInMysql);
    expect(report.movedByApplication + report.movedByBackfill).toBe(report.final.mysqlRows);
    expect(report.final).toMatchObject({ expected: report.final.mysqlRows, differ: 0, cancelledFound: 0 });
    expect(report.validation).toMatchObject({ passed: true, mismatches: 0 });
    expect(report.stageTimes.map((t: { stage: number }) => t.stage)).toEqual([1, 2, 3, 4, 5]);
    for (const t of report.stageTimes) expect(t.seconds).toBeGreaterThan(0);
    expect(report.archived).toBeGreaterThan(0);
  }, 600_000);
});
