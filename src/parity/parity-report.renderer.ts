import type { ParityRun } from './parity.types';
import type { CellExample, KeyExample, ParitySummary } from './parity.types';

/**
 * One parity run as a single HTML page that needs nothing else (no script, font or stylesheet from
 * anywhere: it is mailed around and opened offline): the verdict, the counts, a match-rate bar per
 * column, the differing cells side by side and the options the run used. Numbers carry
 * `data-metric` / `data-column` attributes so a test can read them back and hold them against the
 * JSON summary.
 */

const esc = (v: unknown): string => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A cell as it was, with a visible mark for missing (null) and for an empty or blank one. */
function cell(v: string | null): string {
  if (v === null) return '<span class="none">missing</span>';
  if (v === '') return '<span class="none">empty</span>';
  return /^\s|\s$/.test(v) ? `<code>${esc(v).replace(/^\s+|\s+$/g, (w) => '·'.repeat(w.length))}</code>` : `<code>${esc(v)}</code>`;
}

const keyText = (k: (string | null)[]) => k.map((p) => (p === null ? '∅' : p)).join(' | ');
const pct = (rate: number | null) => (rate === null ? '–' : `${(Math.floor(rate * 10000) / 100).toFixed(2)} %`);

function metric(name: string, label: string, value: number | string, bad = false): string {
  return `<div class="metric${bad ? ' bad' : ''}"><span class="value" data-metric="${esc(name)}">${esc(value)}</span><span class="label">${esc(label)}</span></div>`;
}

function keyList(title: string, id: string, found: { count: number; examples: KeyExample[] }, key: string[]): string {
  if (!found.count) return '';
  return `<section id="${id}"><h2>${esc(title)} <small>(${found.count})</small></h2><table><thead><tr><th>${esc(key.join(' | '))}</th><th>line</th></tr></thead><tbody>${
    found.examples.map((e) => `<tr><td>${esc(keyText(e.key))}</td><td>${e.row}</td></tr>`).join('')}</tbody></table>${
    found.count > found.examples.length ? `<p class="more">and ${found.count - found.examples.length} more</p>` : ''}</section>`;
}

function examples(name: string, list: CellExample[], different: number, key: string[]): string {
  if (!list.length) return '';
  return `<section class="examples" data-column="${esc(name)}"><h3>${esc(name)} <small>${different} differing</small></h3>
<table><thead><tr><th>${esc(key.join(' | '))}</th><th>legacy</th><th>export</th></tr></thead><tbody>${list.map((e) =>
    `<tr><td>${esc(keyText(e.key))}</td><td class="legacy">${cell(e.legacy)}</td><td class="export">${cell(e.export)}</td></tr>`).join('')}</tbody></table>${
    different > list.length ? `<p class="more">and ${different - list.length} more</p>` : ''}</section>`;
}

function summaryHtml(s: ParitySummary): string {
  const dupes = s.duplicateKeys;
  const columns = s.columns.map((c) => {
    const width = c.matchRate === null ? 0 : c.matchRate * 100;
    return `<tr data-column="${esc(c.name)}"><td>${esc(c.name)}</td><td>${esc(c.normalization.join(', ') || '–')}</td>
<td class="num" data-field="equal">${c.equal}</td><td class="num" data-field="different">${c.different}</td>
<td><div class="bar" title="${pct(c.matchRate)}"><div class="fill${c.different ? ' partial' : ''}" data-field="matchRate" data-rate="${c.matchRate ?? ''}" style="width:${width}%"></div></div></td>
<td class="num">${pct(c.matchRate)}</td></tr>`;
  }).join('\n');
  return `<section class="metrics">
${metric('legacyRows', 'legacy rows', s.legacy.rows)}${metric('exportRows', 'export rows', s.export.rows)}${metric('matchedRows', 'rows compared', s.matchedRows)}
${metric('rowsOnlyInLegacy', 'only in legacy', s.rowsOnlyInLegacy.count, s.rowsOnlyInLegacy.count > 0)}${metric('rowsOnlyInExport', 'only in export', s.rowsOnlyInExport.count, s.rowsOnlyInExport.count > 0)}
${metric('duplicateKeysInLegacy', 'duplicate keys (legacy)', dupes.legacy.keys, dupes.legacy.keys > 0)}${metric('duplicateKeysInExport', 'duplicate keys (export)', dupes.export.keys, dupes.export.keys > 0)}
${metric('differentCells', 'differing cells', s.differentCells, s.differentCells > 0)}
</section>
${s.columnsOnlyInLegacy.length || s.columnsOnlyInExport.length ? `<section id="columns-one-side"><h2>Columns on one side only</h2>
<p>legacy only: <span data-metric="columnsOnlyInLegacy">${esc(s.columnsOnlyInLegacy.join(', ') || '–')}</span></p>
<p>export only: <span data-metric="columnsOnlyInExport">${esc(s.columnsOnlyInExport.join(', ') || '–')}</span></p></section>` : ''}
<section id="columns"><h2>Columns <small>match rate over the ${s.matchedRows} rows compared</small></h2>
<table><thead><tr><th>column</th><th>normalization</th><th>equal</th><th>different</th><th class="barcol">match rate</th><th></th></tr></thead><tbody>
${columns}
</tbody></table></section>
<section id="examples"><h2>Differing cells</h2>${s.columns.map((c) => examples(c.name, c.examples, c.different, s.key)).join('\n') || '<p>none</p>'}</section>
${keyList('Rows only in the legacy file', 'only-legacy', s.rowsOnlyInLegacy, s.key)}
${keyList('Rows only in the export', 'only-export', s.rowsOnlyInExport, s.key)}
${keyList('Duplicate keys in the legacy file', 'dupes-legacy', { count: dupes.legacy.keys, examples: dupes.legacy.examples }, s.key)}
${keyList('Duplicate keys in the export', 'dupes-export', { count: dupes.export.keys, examples: dupes.export.examples }, s.key)}`;
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
h3{font-size:14px;margin:16px 0 4px}small{color:#666;font-weight:normal}table{border-collapse:collapse;margin:4px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}.num{text-align:right}.status{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:bold}
.IDENTICAL{background:#2e7d32}.DIFFERENT{background:#c62828}.FAILED{background:#6d4c41}.RUNNING{background:#1565c0}
.metrics{display:flex;flex-wrap:wrap;gap:8px;margin-top:16px}.metric{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:110px}
.metric .value{display:block;font-size:20px;font-weight:bold}.metric .label{color:#666;font-size:12px}.metric.bad .value{color:#c62828}
.bar{width:220px;height:12px;background:#f3d6d6;border-radius:3px;overflow:hidden}.fill{height:100%;background:#2e7d32}.fill.partial{background:#ef6c00}
code{background:#f6f6f6;padding:0 3px;white-space:pre-wrap}.none{color:#999;font-style:italic}td.legacy{background:#fff5f5}td.export{background:#f5fff5}
.more{color:#666}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:8px 0}dt{color:#666}dd{margin:0;word-break:break-all}pre{background:#f6f6f6;padding:8px;overflow:auto}`;

export function renderParityReport(run: ParityRun): string {
  const s = run.summary;
  const facts: [string, string | null][] = [
    ['legacy file', run.legacyUri], ['legacy sha256', run.legacySha256], ['export', `${run.exportSource}${run.exportUri ? `: ${run.exportUri}` : ''}`],
    ['export sha256', run.exportSha256], ['export job', run.exportJobId], ['template', run.templateName], ['load event reflected', run.snapshotEventId],
    ['requested by', run.requestedBy], ['started', run.startedAt.toISOString()], ['finished', run.finishedAt?.toISOString() ?? null],
    ['key', s ? s.key.join(', ') : null], ['compared in', s ? `${s.durationMs} ms` : null],
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Parity run ${esc(run.id)} (${esc(run.businessUnit)}): ${esc(run.status)}</title><style>${STYLE}</style></head>
<body>
<h1>Parity run ${esc(run.id)} of ${esc(run.businessUnit)} <span class="status ${esc(run.status)}" data-metric="status">${esc(run.status)}</span></h1>
<dl>${facts.filter(([, v]) => v !== null && v !== '').map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>
${run.error ? `<section id="error"><h2>Error</h2><pre>${esc(run.error)}</pre></section>` : ''}
${s ? summaryHtml(s) : ''}
<section id="options"><h2>Options used</h2><pre>${esc(JSON.stringify(run.options, null, 2))}</pre>
${s ? `<h3>Dialects</h3><pre>${esc(JSON.stringify({ legacy: s.legacy.dialect, export: s.export.dialect }, null, 2))}</pre>` : ''}</section>
</body></html>
`;
}
