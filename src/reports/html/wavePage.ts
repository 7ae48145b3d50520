import type { WaveReport } from '../reportSchema';
import { escapeHtml as e, safeHref } from './escape';
import { formatDuration, formatInt } from './format';
import { renderPage } from './layout';

/** Tenants shown in the duration chart (the slowest); the table lists all of them. */
export const WAVE_CHART_MAX_TENANTS = 200;

function card(key: string, label: string, value: number, shown: string, cls = ''): string {
  return `<div class="card" data-summary="${e(key)}"><div class="label">${e(label)}</div>` +
    `<div class="value ${cls}" data-value="${e(value)}">${e(shown)}</div></div>`;
}

const SCRIPT = `
  var s = report.summary;
  new Chart(document.getElementById('chart-status'), { type: 'doughnut',
    data: { labels: ['succeeded', 'failed'], datasets: [{ data: [s.succeeded, s.failed], backgroundColor: ['#1a7f37', '#cf222e'] }] },
    options: { plugins: { legend: { position: 'right' } } } });
  var slow = report.tenants.slice().sort(function (a, b) { return (b.durationMs || 0) - (a.durationMs || 0); }).slice(0, ${WAVE_CHART_MAX_TENANTS});
  new Chart(document.getElementById('chart-durations'), { type: 'bar',
    data: { labels: slow.map(function (t) { return t.tenantId; }), datasets: [{ label: 'minutes',
      data: slow.map(function (t) { return (t.durationMs || 0) / 60000; }),
      backgroundColor: slow.map(function (t) { return t.status === 'succeeded' ? '#1a7f37' : '#cf222e'; }) }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, title: { display: true, text: 'minutes' } } } } });
`;

/** The wave dashboard: every tenant's status, duration, rows, failure reason and a link to its report. */
export function renderWaveHtml(r: WaveReport): string {
  const s = r.summary;
  const rows = r.tenants.map((t) => `<tr class="tenant" data-tenant="${e(t.tenantId)}" data-status="${t.status}">
<td>${t.report ? `<a href="${e(safeHref(t.report.html))}">${e(t.tenantId)}</a>` : e(t.tenantId)}</td>
<td class="${t.status === 'succeeded' ? 'ok' : 'bad'}" data-field="status">${e(t.status)}</td>
<td class="num" data-field="durationMs" data-value="${e(t.durationMs ?? '')}">${e(formatDuration(t.durationMs))}</td>
<td class="num" data-field="rowsCopied" data-value="${e(t.rowsCopied ?? '')}">${e(formatInt(t.rowsCopied))}</td>
<td class="num" data-field="tables" data-value="${e(t.tables ?? '')}">${e(formatInt(t.tables))}</td>
<td class="num" data-field="checksumMismatches" data-value="${e(t.checksumMismatches ?? '')}">${e(formatInt(t.checksumMismatches))}</td>
<td class="num" data-field="auditFindings" data-value="${e(t.auditFindings ?? '')}">${e(formatInt(t.auditFindings))}</td>
<td data-field="error">${e(t.error ?? '')}</td>
<td>${t.report ? `<a href="${e(safeHref(t.report.json))}">json</a>` : '<span class="muted">no report</span>'}</td></tr>`).join('\n');
  const failures = r.tenants.filter((t) => t.status === 'failed');
  const failureList = failures.length
    ? `<section id="failures"><h2>Failures (${failures.length})</h2><ul>${failures.map((t) =>
      `<li data-tenant="${e(t.tenantId)}"><strong>${e(t.tenantId)}</strong>: <span class="error-reason">${e(t.error ?? 'no reason recorded')}</span></li>`).join('')}</ul></section>`
    : '';
  const split = (r.splitAccounting ?? []).map((a) => `<section class="split-accounting" data-complete="${a.complete}"><h2>Split accounting: ${e(a.source.server)}/${e(a.source.database)} (plan ${e(a.plan)})
<span class="${a.complete ? 'ok' : 'bad'}">${a.complete ? 'every row accounted for' : 'INCOMPLETE'}</span></h2>
${a.failures.length ? `<ul>${a.failures.slice(0, 50).map((f) => `<li class="bad">${e(f)}</li>`).join('')}</ul>` : ''}${a.warnings.length ? `<ul>${a.warnings.map((w) => `<li>${e(w)}</li>`).join('')}</ul>` : ''}
<table><thead><tr><th>Table</th><th>Role</th><th class="num">Source rows</th><th class="num">This wave's tenants</th><th class="num">In targets</th><th class="num">Other phases</th>
<th class="num">No tenant</th><th class="num">Unknown tenant</th><th class="num">Two tenants</th></tr></thead><tbody>
${a.tables.map((t) => `<tr data-table="${e(t.table)}"><td>${e(t.table)}</td><td>${e(t.role)}</td><td class="num">${formatInt(t.sourceRows)}</td><td class="num">${formatInt(t.waveTenantRows)}</td>
<td class="num">${formatInt(t.targetRows)}</td><td class="num">${formatInt(t.otherPhaseRows)}</td><td class="num">${formatInt(t.noTenantRows)}</td><td class="num">${formatInt(t.unknownTenantRows)}</td><td class="num">${formatInt(t.twoTenantRows)}</td></tr>`).join('\n')}
</tbody></table></section>`).join('\n');
  const header = `<h1><span class="verdict ${r.verdict}" id="verdict" data-verdict="${r.verdict}">${r.verdict.toUpperCase()}</span>Wave ${e(r.waveId)}</h1>
<div class="muted">generated ${e(r.generatedAt)} · report schema v${r.schemaVersion}</div>`;
  const body = `<section id="summary"><h2>Summary</h2><div class="cards">
${card('tenants', 'Tenants', s.tenants, formatInt(s.tenants))}
${card('succeeded', 'Succeeded', s.succeeded, formatInt(s.succeeded), 'ok')}
${card('failed', 'Failed', s.failed, formatInt(s.failed), s.failed ? 'bad' : 'ok')}
${card('rowsCopied', 'Rows copied', s.rowsCopied, formatInt(s.rowsCopied))}
${card('tenantMs', 'Tenant time (sum)', s.tenantMs, formatDuration(s.tenantMs))}
</div>
<div style="display:grid;grid-template-columns:minmax(220px,1fr) 3fr;gap:16px;margin-top:14px">
<div class="chart" style="height:240px"><canvas id="chart-status" aria-label="tenant status"></canvas></div>
<div class="chart" style="height:240px"><canvas id="chart-durations" aria-label="duration per tenant"></canvas></div></div></section>
${failureList}
${split}
<section id="tenants"><h2>Tenants</h2><table id="tenant-list"><thead><tr><th>Tenant</th><th>Status</th><th class="num">Duration</th><th class="num">Rows</th>
<th class="num">Tables</th><th class="num">Checksum mismatches</th><th class="num">Audit findings</th><th>Failure reason</th><th>Data</th></tr></thead>
<tbody>${rows || '<tr><td colspan="9" class="muted">No tenants.</td></tr>'}</tbody></table></section>`;
  return renderPage({ title: `tmig report: wave ${r.waveId} (${r.verdict})`, header, body, data: r, script: SCRIPT });
}
