import { describe, expect, it } from 'vitest';
import { runMeasured } from '../../bench/measure';

describe('runMeasured', () => {
  it('reports the peak RSS of a child that touches 80 MB, and its exit status', async () => {
    const script = 'const b = Buffer.alloc(80 * 1024 * 1024, 1); setTimeout(() => process.exit(b[0] === 1 ? 3 : 0), 300);';
    const run = await runMeasured(process.execPath, ['-e', script]);
    expect(run.exitCode).toBe(3);
    expect(run.peakRssKb).toBeGreaterThan(80 * 1024);
    expect(run.seconds).toBeGreaterThan(0.25);
  });

  it('sums concurrent processes of a pipeline in the tree RSS, and keeps the largest single one as peak', async () => {
    const hog = (mb: number) => `${process.execPath} -e "const b = Buffer.alloc(${mb} * 1024 * 1024, 1); setTimeout(() => console.log(b[0]), 800)"`;
    const run = await runMeasured('bash', ['-c', `${hog(60)} | ${hog(60)} >/dev/null`]);
    expect(run.exitCode).toBe(0);
    expect(run.peakRssKb).toBeGreaterThan(60 * 1024);
    expect(run.peakRssKb).toBeLessThan(110 * 1024);
    expect(run.treeRssKb).toBeGreaterThan(120 * 1024);
  });
});
