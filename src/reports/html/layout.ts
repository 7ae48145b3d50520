import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { escapeHtml, jsonForScript } from './escape';

let chartJs: string | undefined;

/** The Chart.js UMD build, inlined so a report opens without network access. */
export function chartJsSource(): string {
  if (chartJs === undefined) {
    const file = join(dirname(require.resolve('chart.js')), 'chart.umd.js');
    const text = readFileSync(file, 'utf8');
    if (/<\/script/i.test(text)) throw new Error(`${file} contains "</script": cannot inline it`);
    chartJs = text;
  }
  return chartJs;
}

const CSS = `
:root { --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
header { padding: 20px 28px; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { margin: 0 0 4px; font-size: 22px; }
main { padding: 20px 28px; max-width: 1400px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 16px 20px; margin-bottom: 18px; }
section h2 { margin: 0 0 12px; font-size: 17px; }
.verdict { display: inline-block; padding: 3px 12px; border-radius: 12px; color: #fff; font-weight: 600; margin-right: 8px; }
.verdict.passed, .verdict.succeeded { background: var(--ok); } .verdict.failed { background: var(--bad); }
.muted { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; background: #fff; }
.card .label { color: var(--muted); font-size: 12px; } .card .value { font-size: 20px; font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f6f8fa; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.tenant td:first-child { white-space: nowrap; }
.ok { color: var(--ok); font-weight: 600; } .bad { color: var(--bad); font-weight: 600; } .warn { color: var(--warn); font-weight: 600; }
.error { border-left: 4px solid var(--bad); background: #ffebe9; padding: 10px 14px; white-space: pre-wrap; word-break: break-word; }
.chart { position: relative; height: 320px; }
code { font-size: 12px; }
`;

/** A complete, self-contained page: CSS, the report data and Chart.js inline; no external requests. */
export function renderPage(opts: { title: string; header: string; body: string; data: unknown; script: string }): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(opts.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>${opts.header}</header>
<main>
${opts.body}
</main>
<script type="application/json" id="report-data">${jsonForScript(opts.data)}</script>
<script>${chartJsSource()}</script>
<script>
"use strict";
(function () {
  var report = JSON.parse(document.getElementById('report-data').textContent);
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, sans-serif';
  ${opts.script}
  document.body.setAttribute('data-charts-ready', 'true');
})();
</script>
</body>
</html>
`;
}
