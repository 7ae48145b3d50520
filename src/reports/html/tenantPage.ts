import type { TenantReport } from '../reportSchema';
import { escapeHtml as e } from './escape';
import { formatBytes, formatDuration, formatInt } from './format';
import { renderPage } from './layout';

/** Tables shown in the row-count chart (the largest); the table below lists all of them. */
export const CHART_MAX_TABLES = 60;

function card(key: string, label: string, value: number | string, shown: string, cls = ''): string {
  return `<div class="card" data-summary="${e(key)}"><div class="label">${e(label)}</div>` +
    `<div class="value ${cls}" data-value="${e(value)}">${e(shown)}</div></div>`;
}

function num(field: string, value: number | null | undefined, shown = formatInt(value)): string {
  return `<td class="num" data-field="${e(field)}" data-value="${e(value ?? '')}">${e(shown)}</td>`;
}

function summary(r: TenantReport): string {
  const s = r.summary;
  return `<section id="summary"><h2>Summary</h2><div class="cards">
${card('tables', 'Tables', s.tables, formatInt(s.tables))}
${card('sourceRows', 'Source rows', s.sourceRows, formatInt(s.sourceRows))}
${card('targetRows', 'Target rows', s.targetRows, formatInt(s.targetRows), s.sourceRows === s.targetRows ? 'ok' : 'bad')}
${card('rowsCopied', 'Rows copied', s.rowsCopied, formatInt(s.rowsCopied))}
${card('bytesCopied', 'Bytes copied', s.bytesCopied, formatBytes(s.bytesCopied))}
${card('durationMs', 'Duration', s.durationMs, formatDuration(s.durationMs))}
${card('validationMode', 'Validation', s.validationMode, s.validationMode + (s.validationOk === null ? '' : s.validationOk ? ' · ok' : ' · failed'), s.validationOk === false ? 'bad' : '')}
${card('countMismatches', 'Count mismatches', s.countMismatches, formatInt(s.countMismatches), s.countMismatches ? 'bad' : 'ok')}
${card('checksumMismatches', 'Checksum mismatches', s.checksumMismatches, formatInt(s.checksumMismatches), s.checksumMismatches ? 'bad' : 'ok')}
${card('integrityFailures', 'Integrity failures', s.integrityFailures, formatInt(s.integrityFailures), s.integrityFailures ? 'bad' : 'ok')}
${card('auditFindings', 'Audit findings', s.auditFindings, formatInt(s.auditFindings) + (s.auditBlocked ? ' · blocking' : ''), s.auditBlocked ? 'bad' : s.auditFindings ? 'warn' : '')}
</div></section>`;
}

function tables(r: TenantReport): string {
  const rows = r.tables.map((t) => `<tr data-table="${e(t.table)}">
<td>${e(t.table)}</td><td><code>${e(t.key ? t.key.join(', ') : 'none (copied whole)')}</code></td>
${num('sourceRows', t.sourceRows)}${num('targetRows', t.targetRows)}
<td data-field="countsMatch" class="${t.countsMatch ? 'ok' : 'bad'}">${t.countsMatch ? 'equal' : 'DIFFERENT'}</td>
${num('chunks', t.chunks)}${num('chunksVerified', t.chunksVerified)}
<td data-field="checksum" class="${t.checksum === 'ok' ? 'ok' : t.checksum === 'mismatch' ? 'bad' : 'warn'}">${e(t.checksum)}</td>
${num('copyMs', t.copyMs, formatDuration(t.copyMs))}${num('bytes', t.bytes, formatBytes(t.bytes))}${num('ranges', t.ranges)}
</tr>`).join('\n');
  const note = r.tables.length > CHART_MAX_TABLES ? `<p class="muted">The chart shows the ${CHART_MAX_TABLES} largest tables.</p>` : '';
  return `<section id="tables"><h2>Tables: source and target rows</h2>
<div class="chart" style="height:${Math.max(260, Math.min(r.tables.length, CHART_MAX_TABLES) * 14 + 120)}px"><canvas id="chart-rows" aria-label="rows per table"></canvas></div>${note}
<table id="table-list"><thead><tr><th>Table</th><th>Key</th><th class="num">Source rows</th><th class="num">Target rows</th><th>Counts</th>
<th class="num">Chunks</th><th class="num">Verified</th><th>Checksum</th><th class="num">Copy time</th><th class="num">Size</th><th class="num">Ranges</th></tr></thead>
<tbody>${rows || '<tr><td colspan="11" class="muted">No tables.</td></tr>'}</tbody></table></section>`;
}

function phases(r: TenantReport): string {
  const rows = r.phases.map((p) => `<tr data-phase="${e(p.phase)}"><td>${e(p.phase)}</td><td>${e(p.startedAt)}</td><td>${e(p.endedAt ?? '')}</td>${num('ms', p.ms, formatDuration(p.ms))}</tr>`).join('\n');
  return `<section id="phases"><h2>Time per phase</h2>
${r.phases.length ? '<div class="chart" style="height:240px"><canvas id="chart-phases" aria-label="time per phase"></canvas></div>' : ''}
<table><thead><tr><th>Phase</th><th>Started</th><th>Ended</th><th class="num">Duration</th></tr></thead>
<tbody>${rows || '<tr><td colspan="4" class="muted">No phases recorded.</td></tr>'}</tbody></table></section>`;
}

function throughput(r: TenantReport): string {
  const body = r.throughput.length >= 2
    ? '<div class="chart" style="height:260px"><canvas id="chart-throughput" aria-label="throughput over time"></canvas></div>'
    : '<p class="muted">Not enough throughput samples for a chart.</p>';
  return `<section id="throughput"><h2>Throughput over time</h2>${body}</section>`;
}

function validation(r: TenantReport): string {
  if (!r.validation) return '<section id="validation"><h2>Validation</h2><p class="muted">Not run.</p></section>';
  const sorted = [...r.validation.findings].sort((a, b) => Number(a.ok) - Number(b.ok));
  const rows = sorted.map((f) => `<tr class="finding" data-ok="${f.ok}"><td class="${f.ok ? 'ok' : 'bad'}">${f.ok ? 'ok' : 'FAILED'}</td>` +
    `<td>${e(f.check)}</td><td>${e(f.table ?? '')}</td><td>${e(f.message)}</td></tr>`).join('\n');
  return `<section id="validation"><h2>Validation (${e(r.validation.mode)}): <span class="${r.validation.ok ? 'ok' : 'bad'}">${r.validation.ok ? 'passed' : 'failed'}</span></h2>
<table><thead><tr><th>Result</th><th>Check</th><th>Table</th><th>Detail</th></tr></thead>
<tbody>${rows || '<tr><td colspan="4" class="muted">No findings.</td></tr>'}</tbody></table></section>`;
}

function online(r: TenantReport): string {
  const o = r.online;
  if (!o) return '';
  const rows = o.cutovers.map((c, i) => `<tr><td>${i + 1}</td><td class="${c.ok ? 'ok' : 'bad'}">${c.ok ? 'ok' : `failed at ${e(c.failedStep ?? '?')}`}</td>
    <td>${formatInt(c.writeBlockedMs)} ms</td><td>${formatInt(c.terminatedSessions)}</td><td>${c.steps.map((s) => `${e(s.step)} ${formatInt(s.ms)} ms${s.detail ? ` (${e(s.detail)})` : ''}`).join('<br>')}${c.error ? `<br>${e(c.error)}` : ''}</td></tr>`).join('');
  return `<section id="online"><h2>Online migration: ${e(o.outcome)}</h2>
<p>${formatInt(o.changesApplied)} changes applied; last applied commit ${e(o.lastAppliedCommitTime ?? '-')}${o.catchUpMs !== undefined ? `; caught up ${formatInt(o.catchUpMs)} ms after the copy` : ''}${o.reverseChangesApplied !== undefined ? `; ${formatInt(o.reverseChangesApplied)} changes streamed back to the source` : ''}.</p>
<table><thead><tr><th>cutover</th><th>result</th><th>write-blocked</th><th>sessions ended</th><th>steps</th></tr></thead><tbody>${rows}</tbody></table>
${o.rollback ? `<p>Rollback: writes blocked ${formatInt(o.rollback.writeBlockedMs)} ms.</p>` : ''}</section>`;
}

function audit(r: TenantReport): string {
  if (!r.audit) return '<section id="audit"><h2>Audit</h2><p class="muted">Not run.</p></section>';
  const a = r.audit;
  const rows = a.findings.map((f) => `<tr class="audit-finding" data-check="${e(f.check)}" data-table="${e(f.table)}">
<td class="${f.policy === 'block' ? 'bad' : 'warn'}">${e(f.policy)}</td><td>${e(f.check)}</td><td>${e(f.table)}</td><td>${e(f.column ?? '')}</td>
${num('count', f.count)}<td><code>${e(f.sampleKeys.join(' | '))}</code></td><td>${e(f.message)}</td></tr>`).join('\n');
  return `<section id="audit"><h2>Audit: ${a.findings.length} findings${a.blocked ? ' <span class="bad">(blocking)</span>' : ''}</h2>
<p class="muted">${formatInt(a.checksRun)} checks in ${e(formatDuration(a.ms))} on a ${e(a.sourceKind)} source.</p>
<table><thead><tr><th>Policy</th><th>Check</th><th>Table</th><th>Column</th><th class="num">Rows</th><th>Sample keys</th><th>Detail</th></tr></thead>
<tbody>${rows || '<tr><td colspan="7" class="muted">No findings.</td></tr>'}</tbody></table></section>`;
}

function conversion(r: TenantReport): string {
  const notes = r.conversion.notes.map((n) => `<tr class="note"><td class="${n.severity === 'unsupported' ? 'bad' : n.severity === 'lossy' ? 'warn' : ''}">${e(n.severity)}</td>` +
    `<td>${e(n.object)}</td><td>${e(n.message)}</td></tr>`).join('\n');
  const skipped = r.conversion.notMigrated.map((n) => `<tr class="not-migrated"><td>${e(n.kind)}</td><td>${e(n.name)}</td><td>${e(n.reason)}</td></tr>`).join('\n');
  return `<section id="conversion"><h2>Conversion notes</h2>
<table><thead><tr><th>Severity</th><th>Object</th><th>Note</th></tr></thead>
<tbody>${notes || '<tr><td colspan="3" class="muted">No notes.</td></tr>'}</tbody></table>
<h2 style="margin-top:16px">Objects not migrated</h2>
<table><thead><tr><th>Kind</th><th>Name</th><th>Reason</th></tr></thead>
<tbody>${skipped || '<tr><td colspan="3" class="muted">None.</td></tr>'}</tbody></table></section>`;
}

const SCRIPT = `
  var largest = report.tables.slice().sort(function (a, b) { return b.sourceRows - a.sourceRows; }).slice(0, ${CHART_MAX_TABLES});
  var el = document.getElementById('chart-rows');
  // Log scale: a zero count has no bar (log 0 is undefined); the table lists it.
  function pos(v) { return v > 0 ? v : null; }
  if (el) new Chart(el, { type: 'bar', data: { labels: largest.map(function (t) { return t.table; }), datasets: [
      { label: 'source rows', data: largest.map(function (t) { return pos(t.sourceRows); }), backgroundColor: '#0969da' },
      { label: 'target rows', data: largest.map(function (t) { return pos(t.targetRows); }),
        backgroundColor: largest.map(function (t) { return t.countsMatch && t.checksum !== 'mismatch' ? '#1a7f37' : '#cf222e'; }) }] },
    options: { indexAxis: 'y', scales: { x: { type: 'logarithmic', min: 1, title: { display: true, text: 'rows (log scale)' },
      ticks: { callback: function (v) { var l = Math.log10(v); return Math.abs(l - Math.round(l)) < 1e-9 ? Number(v).toLocaleString('en-US') : ''; } } } } } });
  el = document.getElementById('chart-phases');
  if (el) new Chart(el, { type: 'bar', data: { labels: report.phases.map(function (p) { return p.phase; }),
      datasets: [{ label: 'seconds', data: report.phases.map(function (p) { return (p.ms || 0) / 1000; }), backgroundColor: '#8250df' }] },
    options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: 'seconds' } } } } });
  el = document.getElementById('chart-throughput');
  if (el) new Chart(el, { type: 'line', data: { labels: report.throughput.map(function (s) { return s.at.slice(11, 19); }),
      datasets: [{ label: 'rows/s', data: report.throughput.map(function (s) { return s.rowsPerSecond; }), borderColor: '#0969da',
        backgroundColor: 'rgba(9,105,218,0.15)', fill: true, yAxisID: 'y' },
        { label: 'MiB/s', data: report.throughput.map(function (s) { return s.bytesPerSecond / 1048576; }), borderColor: '#bf8700', yAxisID: 'y2' }] },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'rows/s' } },
      y2: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'MiB/s' } } } } });
`;

/** The tenant's self-contained HTML report. */
export function renderTenantHtml(r: TenantReport, links: { wave?: string } = {}): string {
  const header = `<h1><span class="verdict ${r.verdict}" id="verdict" data-verdict="${r.verdict}">${r.verdict.toUpperCase()}</span>Tenant ${e(r.tenantId)}</h1>
<div class="muted">${r.waveId ? `wave ${links.wave ? `<a href="${e(links.wave)}">${e(r.waveId)}</a>` : e(r.waveId)} · ` : ''}` +
    `${r.source ? `source ${e(r.source.server)}/${e(r.source.database)} · ` : ''}${r.target ? `target ${e(r.target.server)}/${e(r.target.database)} · ` : ''}` +
    `generated ${e(r.generatedAt)} · report schema v${r.schemaVersion}${r.alreadyComplete ? ' · already complete (nothing to do)' : ''}${r.replacedDatabase ? ` · replaced the completed database, kept as ${e(r.replacedDatabase)}` : ''}</div>`;
  const error = r.error ? `<section id="error"><h2>Failure: ${e(r.error.type)}</h2><div class="error">${e(r.error.message)}</div></section>` : '';
  return renderPage({
    title: `tmig report: tenant ${r.tenantId} (${r.verdict})`,
    header,
    body: [error, summary(r), tables(r), phases(r), throughput(r), validation(r), online(r), audit(r), conversion(r)].join('\n'),
    data: r,
    script: SCRIPT,
  });
}
