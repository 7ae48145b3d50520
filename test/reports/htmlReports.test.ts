import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { writeTenantReport, writeWaveReport } from '../../src/reports/writeReports';
import type { TenantReport, WaveReport } from '../../src/reports/reportSchema';
import { failedTenant, passedAudit, passedModel, passedTenant, wave, XSS } from './fixtures';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`\n*** SKIPPED: HTML report rendering tests need Chromium at ${CHROMIUM} (apt-get install chromium) ***\n`);
const ARTIFACTS = resolve(__dirname, '../../test-artifacts/reports');

interface Loaded { page: Page; errors: string[]; requests: string[] }

describe.skipIf(!haveChromium)('HTML reports in headless Chromium', () => {
  let browser: Browser;
  let dir: string;
  let passed: { jsonPath: string; htmlPath: string; report: TenantReport };
  let failed: { jsonPath: string; htmlPath: string; report: TenantReport };
  let waveOut: { jsonPath: string; htmlPath: string; report: WaveReport };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tmig-reports-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    passed = await writeTenantReport(passedTenant, passedAudit, passedModel, dir,
      { waveId: wave.waveId, source: { server: 'mssql-main', database: 'hotel001' }, target: { server: 'pg-1', database: 'hotel_001' } });
    failed = await writeTenantReport(failedTenant, undefined, undefined, dir, { waveId: wave.waveId });
    waveOut = await writeWaveReport(wave, dir);
    browser = await chromium.launch({ executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'] });
  });
  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function load(htmlPath: string): Promise<Loaded> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('dialog', (d) => { errors.push(`dialog: ${d.message()}`); void d.dismiss(); });
    page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
    await page.goto(pathToFileURL(htmlPath).href);
    await page.waitForSelector('body[data-charts-ready="true"]', { timeout: 20_000 });
    return { page, errors, requests };
  }

  /** Share of non-transparent pixels in each canvas. */
  async function inkPerCanvas(page: Page): Promise<Record<string, number>> {
    // Runs in the page (no DOM types in this Node project: reach the page's globals untyped).
    return page.evaluate(() => Object.fromEntries([...(globalThis as any).document.querySelectorAll('canvas')].map((c: any) => {
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      let ink = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink++;
      return [c.id, ink / (c.width * c.height)];
    })));
  }

  const cardValue = (page: Page, key: string) => page.locator(`[data-summary="${key}"] .value`);
  const digits = (s: string) => Number(s.replace(/,/g, ''));

  it('renders the passed tenant report: no errors, charts drawn, numbers equal to the JSON', async () => {
    const json = JSON.parse(readFileSync(passed.jsonPath, 'utf8')) as TenantReport;
    expect(json.schemaVersion).toBe(1);
    const { page, errors, requests } = await load(passed.htmlPath);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(await page.locator('#verdict').textContent()).toBe('PASSED');

    const ink = await inkPerCanvas(page);
    expect(Object.keys(ink).sort()).toEqual(['chart-phases', 'chart-rows', 'chart-throughput']);
    for (const [id, share] of Object.entries(ink)) expect(share, `${id} is blank`).toBeGreaterThan(0.01);

    for (const key of ['tables', 'sourceRows', 'targetRows', 'rowsCopied', 'countMismatches', 'checksumMismatches', 'integrityFailures', 'auditFindings'] as const) {
      const el = cardValue(page, key);
      expect(Number(await el.getAttribute('data-value')), key).toBe(json.summary[key]);
      expect(digits((await el.textContent())!), key).toBe(json.summary[key]);
    }
    expect(json.summary.sourceRows).toBe(1_234_567 + 4_200 + 12);
    for (const t of json.tables) {
      const row = page.locator(`tr[data-table="${t.table}"]`);
      for (const f of ['sourceRows', 'targetRows', 'chunks', 'chunksVerified'] as const) {
        expect(digits((await row.locator(`[data-field="${f}"]`).textContent())!), `${t.table}.${f}`).toBe(t[f]);
      }
      expect(await row.locator('[data-field="checksum"]').textContent()).toBe(t.checksum);
    }
    expect(json.tables.find((t) => t.table === 'public.empty_log')!.checksum).toBe('not-verified');

    // The chart plots exactly the JSON's numbers (log scale: zero has no bar).
    const chart = await page.evaluate(() => {
      const c = (globalThis as any).Chart.getChart('chart-rows');
      return { labels: c.data.labels, source: c.data.datasets[0].data, target: c.data.datasets[1].data, scale: c.options.scales.x.type };
    });
    const bySize = [...json.tables].sort((a, b) => b.sourceRows - a.sourceRows);
    expect(chart.scale).toBe('logarithmic');
    expect(chart.labels).toEqual(bySize.map((t) => t.table));
    expect(chart.source).toEqual(bySize.map((t) => t.sourceRows || null));
    expect(chart.target).toEqual(bySize.map((t) => t.targetRows || null));
    const thr = await page.evaluate(() => (globalThis as any).Chart.getChart('chart-throughput').data.datasets[0].data);
    expect(thr).toEqual(json.throughput.map((s) => s.rowsPerSecond));
    expect(json.throughput[1].rowsPerSecond).toBe(12_400);

    expect(await page.locator('tr.audit-finding').count()).toBe(2);
    expect(digits((await page.locator('tr.audit-finding[data-check="pattern"] [data-field="count"]').textContent())!)).toBe(17);
    expect(await page.locator('#conversion').textContent()).toContain('nanoseconds cut');
    expect(await page.locator('#conversion').textContent()).toContain('dbo.usp_cleanup');
    await page.screenshot({ path: join(ARTIFACTS, 'tenant-passed.png'), fullPage: true });
    await page.close();
  });

  it('renders the failed tenant report with hostile text escaped', async () => {
    const { page, errors } = await load(failed.htmlPath);
    expect(errors).toEqual([]);
    expect(await page.locator('#verdict').textContent()).toBe('FAILED');
    expect(await page.evaluate(() => (globalThis as any).__xss)).toBeUndefined();
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.locator('#error .error').textContent()).toContain(XSS);
    expect(await page.locator('tr.finding[data-ok="false"]').textContent()).toContain('rooms_floor_idx');
    expect(digits((await cardValue(page, 'checksumMismatches').textContent())!)).toBe(1);
    expect(digits((await cardValue(page, 'countMismatches').textContent())!)).toBe(1);
    expect(await page.locator('#audit').textContent()).toContain('Not run');
    await page.screenshot({ path: join(ARTIFACTS, 'tenant-failed.png'), fullPage: true });
    await page.close();
  });

  it('renders the wave dashboard: every tenant, reasons, working links, numbers equal to the JSON', async () => {
    const json = JSON.parse(readFileSync(waveOut.jsonPath, 'utf8')) as WaveReport;
    const { page, errors, requests } = await load(waveOut.htmlPath);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(await page.locator('#verdict').textContent()).toBe('FAILED');
    const ink = await inkPerCanvas(page);
    expect(Object.keys(ink).sort()).toEqual(['chart-durations', 'chart-status']);
    for (const [id, share] of Object.entries(ink)) expect(share, `${id} is blank`).toBeGreaterThan(0.005);

    expect(json.summary).toEqual({ tenants: 3, succeeded: 1, alreadyComplete: 0, failed: 2, rowsCopied: passedTenant.rowsCopied + 5_099, tenantMs: 176_000 });
    for (const key of ['tenants', 'succeeded', 'failed', 'rowsCopied'] as const) {
      expect(digits((await cardValue(page, key).textContent())!), key).toBe(json.summary[key]);
    }
    expect(await page.locator('tr.tenant').count()).toBe(3);
    for (const t of json.tenants) {
      const row = page.locator(`tr.tenant[data-tenant="${t.tenantId}"]`);
      expect(await row.getAttribute('data-status')).toBe(t.status);
      expect(await row.locator('[data-field="rowsCopied"]').getAttribute('data-value')).toBe(t.rowsCopied === null ? '' : String(t.rowsCopied));
      expect(await row.locator('[data-field="error"]').textContent()).toBe(t.error ?? '');
    }
    expect(await page.locator('#failures li').count()).toBe(2);
    expect(await page.locator('#failures').textContent()).toContain('does not exist on server "mssql-main"');
    expect(await page.evaluate(() => (globalThis as any).__xss)).toBeUndefined();

    // Links to tenant reports resolve to the files written; the tenant without a report has none.
    const hrefs = await page.locator('tr.tenant a').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
    expect(hrefs).toHaveLength(4);
    for (const h of hrefs) expect(existsSync(resolve(dirname(waveOut.htmlPath), h)), h).toBe(true);
    expect(await page.locator('tr.tenant[data-tenant="hotel-003"] a').count()).toBe(0);
    await page.locator('tr.tenant[data-tenant="hotel-001"] a').first().click();
    await page.waitForSelector('body[data-charts-ready="true"]');
    expect(await page.locator('h1').textContent()).toContain('hotel-001');
    await page.goto(pathToFileURL(waveOut.htmlPath).href);
    await page.waitForSelector('body[data-charts-ready="true"]');
    await page.screenshot({ path: join(ARTIFACTS, 'wave.png'), fullPage: true });
    await page.close();
  });
});
