import { from as copyFrom } from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { QueryRunner } from 'typeorm';
import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { badInput } from '../errors/domain-error';
import { readDefaultLocale } from '../repositories/export-settings.repository';
import { cursorBatches } from '../export/job/cursor-batches';
import { TemplateInvalidError, compileTemplate } from '../export/template/template-compiler';
import { ColumnConfig, TemplateConfig } from '../entities/export-settings.types';
import { EvalContext } from '../export/template/template-types';
import { CsvDialect, DialectHint, detectDialect } from './csv-dialect.detector';
import { CsvFile } from './csv-file.reader';
import { loadCsvTable } from './csv-table.loader';
import { Candidate, ProposeRowSource, buildCandidates } from './propose-candidate.builder';
import { pgClientOf } from '../db/queryable';

export interface ProposeOptions {
  /** The legacy column that identifies a row … */
  keyColumn: string;
  /** … and the inRiver field it equals (`EntityId`, `ItemWatscoItemNo`). */
  keyField: string;
  rowSource: ProposeRowSource;
  /** The proposed template's (file) name. */
  templateName: string;
  /** Legacy rows scored (the first ones): enough to rank sources, bounded so a huge file proposes quickly. */
  sampleRows: number;
  /** A column whose best source matches fewer rows than this needs data inRiver lacks. */
  minMatchRate: number;
  legacyDialect: DialectHint;
}

export interface ScoredSource { field: string; transformation: string | null; matchRate: number }

export interface ColumnProposal {
  column: string;
  /** How the proposed template fills it: a source, a static value, or nothing (needs data). */
  kind: 'key' | 'source' | 'static' | 'needs-data';
  sourceValue: string | null;
  transformation: string | null;
  /** Share of the rows compared that the proposal reproduces. */
  matchRate: number;
  /** The best sources, best first (at most 3). */
  ranked: ScoredSource[];
}

export interface Proposal {
  legacy: { uri: string; sha256: string; rows: number; dialect: CsvDialect };
  key: { column: string; field: string };
  /** Legacy rows scored, and of those the ones whose key names an entity (the denominator of every rate). */
  sampledRows: number;
  matchedRows: number;
  columns: ColumnProposal[];
  /** In the `npm run config -- import` file format (one entry of `templates`). */
  template: Omit<TemplateConfig, 'version'>;
  warnings: string[];
}

/** Candidate columns rendered per pass: PostgreSQL allows 1,664 columns in a select list, and wide passes cost memory. */
const CHUNK = 200;
const LEGACY = 'parity_legacy';
const CANDIDATES = 'parity_candidates';

const column = (columnName: string, sourceType: string, sourceValue: string | null, transformation: string | null, notes: string | null,
  required = false): ColumnConfig => ({ columnName, sourceType, sourceValue, defaultValue: null, transformation, required, notes });

function template(name: string, rowSource: string, dialect: CsvDialect, columns: ColumnConfig[]): Omit<TemplateConfig, 'version'> {
  return {
    name, rowSource, delimiter: dialect.delimiter, enabled: true, header: dialect.header, quoting: 'minimal',
    lineEnding: dialect.lineEnding === 'CRLF' ? 'CRLF' : 'LF', encoding: dialect.bom && dialect.encoding === 'utf-8' ? 'UTF-8-BOM' : 'UTF-8',
    formulaEscape: 'none', notes: null, columns,
  };
}

/** COPY text of a cell (see csv-table.loader.ts). */
const copyText = (s: string) => (/[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!) : s);

/**
 * Proposes a template that reproduces a legacy file: every candidate source (each attribute of the
 * row and of its parent product, in each rendering the export knows: CVL key or value, locales,
 * decimals, booleans, dates) is rendered with the export's own compiler for the entities the
 * legacy rows name, COPY'd next to the legacy file in PostgreSQL, and counted against each legacy
 * column there. The source reproducing the most rows wins (the simpler one on a tie); a column
 * with one value everywhere becomes a static value; one nothing reproduces well enough is listed
 * as needing decorator data or a mapping.
 */
export class ParityProposeService {
  constructor(private readonly db: Database) {}

  async propose(bu: BusinessUnit, legacy: CsvFile, o: ProposeOptions): Promise<Proposal> {
    if (!Number.isInteger(o.sampleRows) || o.sampleRows < 1) throw badInput('the sample must be at least one row');
    if (!(o.minMatchRate > 0 && o.minMatchRate <= 1)) throw badInput('the minimum match rate is above 0 and at most 1');
    const { dialect, columns } = detectDialect(await legacy.head(), o.legacyDialect);
    if (!columns.includes(o.keyColumn)) throw badInput(`the legacy file has no column ${o.keyColumn}; its columns: ${columns.join(', ')}`);
    return this.db.withBu(bu, async (m) => {
      const runner = m.queryRunner as QueryRunner;
      const client = await pgClientOf(runner);
      const loaded = await loadCsvTable(client, legacy, LEGACY, dialect, columns, [o.keyColumn], columns.map(() => null));
      await client.query(`DELETE FROM ${LEGACY} WHERE rn > $1`, [o.sampleRows]);
      await client.query(`UPDATE ${LEGACY} SET dup = true WHERE k IN (SELECT k FROM ${LEGACY} GROUP BY k HAVING count(*) > 1)`);
      await client.query(`CREATE INDEX ON ${LEGACY} (k); ANALYZE ${LEGACY}`);
      const keys = new Set<string>((await client.query(`SELECT k FROM ${LEGACY} WHERE NOT dup`)).rows.map((r) => r.k as string));
      const sampledRows = Math.min(loaded.rows, o.sampleRows);
      const defaultLocale = await readDefaultLocale(runner);
      const candidates = await buildCandidates(runner, o.rowSource, defaultLocale);
      const scored = columns.map((c) => ({ c, i: columns.indexOf(c) })).filter((x) => x.c !== o.keyColumn);
      const hits = scored.map(() => new Array<number>(candidates.length).fill(0));
      let matchedRows = 0;
      const ctx: EvalContext = { defaultLocale, jobId: 'propose', snapshotEventId: null, exportDate: new Date().toISOString().slice(0, 10), tree: null, mappingRules: new Map() };
      for (let start = 0; start < candidates.length; start += CHUNK) {
        const chunk = candidates.slice(start, start + CHUNK);
        const t = template('propose.csv', o.rowSource, dialect, [column('k', 'inriver_field', o.keyField, null, null),
          ...chunk.map((c, i) => column(`v${i}`, 'inriver_field', c.field, c.transformation, null))]);
        let compiled: ReturnType<typeof compileTemplate>;
        try {
          compiled = compileTemplate({ ...t, version: 1 });
        } catch (err) {
          if (err instanceof TemplateInvalidError) throw badInput(`cannot render the candidates (key field ${o.keyField}?): ${err.message}`);
          throw err;
        }
        await client.query(`CREATE TEMP TABLE ${CANDIDATES} (k text, ${chunk.map((_, i) => `v${i} text`).join(', ')}) ON COMMIT DROP`);
        const { sql, params, selects, columns: cols } = compiled;
        // The cursor and COPY cannot share the connection at once, and the temporary tables live on this one: the rendered
        // rows of the sampled keys are held first (bounded by the sample), then sent.
        const lines: string[] = [];
        for await (const batch of cursorBatches(runner, sql, params, selects.length, new AbortController().signal)) {
          let text = '';
          for (const row of batch) {
            const k = JSON.stringify([cols[0].render(row, ctx)]);
            if (!keys.has(k)) continue;
            text += copyText(k);
            for (let i = 1; i < cols.length; i++) text += `\t${copyText(cols[i].render(row, ctx))}`;
            text += '\n';
          }
          if (text) lines.push(text);
        }
        await pipeline(Readable.from(lines), client.query(copyFrom(`COPY ${CANDIDATES} FROM STDIN`)));
        await client.query(`ANALYZE ${CANDIDATES}`);
        for (const [j, { i }] of scored.entries()) {
          const r = (await client.query(`SELECT count(*)::int AS n${chunk.map((_, x) => `, count(*) FILTER (WHERE coalesce(l.c${i}, '') = c.v${x})::int AS m${x}`).join('')}
            FROM ${LEGACY} l JOIN ${CANDIDATES} c ON c.k = l.k WHERE NOT l.dup`)).rows[0];
          matchedRows = r.n;
          chunk.forEach((_, x) => { hits[j][start + x] = r[`m${x}`]; });
        }
        await client.query(`DROP TABLE ${CANDIDATES}`);
      }
      const constants = new Map<number, string>();
      for (const { i } of scored) {
        const [r] = (await client.query(`SELECT count(DISTINCT coalesce(c${i}, ''))::int AS n, min(coalesce(c${i}, '')) AS v FROM ${LEGACY}`)).rows;
        if (r.n === 1 && sampledRows > 1) constants.set(i, r.v);
      }
      await client.query(`DROP TABLE ${LEGACY}`);
      return this.assemble(o, loaded, dialect, columns, scored.map((s, j) => ({ ...s, hits: hits[j] })), candidates, constants, sampledRows, matchedRows);
    }, { isolation: 'REPEATABLE READ' });
  }

  private assemble(o: ProposeOptions, loaded: { uri: string; sha256: string; rows: number }, dialect: CsvDialect, columns: string[],
    scored: { c: string; i: number; hits: number[] }[], candidates: Candidate[], constants: Map<number, string>, sampledRows: number, matchedRows: number): Proposal {
    const warnings: string[] = [];
    if (matchedRows === 0) warnings.push(`no legacy row's ${o.keyColumn} equals the ${o.keyField} of a live ${o.rowSource.toLowerCase()}: check the key`);
    if (dialect.encoding !== 'utf-8') warnings.push(`the legacy file is ${dialect.encoding}; exports are UTF-8`);
    const proposals: ColumnProposal[] = columns.map((name, i) => {
      if (name === o.keyColumn) return { column: name, kind: 'key', sourceValue: o.keyField, transformation: null, matchRate: 1, ranked: [] };
      const s = scored.find((x) => x.i === i)!;
      const ranked = candidates.map((c, x) => ({ c, x, hits: s.hits[x] }))
        .sort((a, b) => b.hits - a.hits || a.c.cost - b.c.cost || a.x - b.x)
        .slice(0, 3).map((r) => ({ field: r.c.field, transformation: r.c.transformation, matchRate: matchedRows ? r.hits / matchedRows : 0 }));
      const best = ranked[0];
      // One value everywhere: a static value says so, even where some field happens to hold it in every row.
      if (constants.has(i)) {
        return { column: name, kind: 'static', sourceValue: constants.get(i)!, transformation: null, matchRate: 1, ranked };
      }
      if (best && best.matchRate >= o.minMatchRate) {
        return { column: name, kind: 'source', sourceValue: best.field, transformation: best.transformation, matchRate: best.matchRate, ranked };
      }
      return { column: name, kind: 'needs-data', sourceValue: null, transformation: null, matchRate: best?.matchRate ?? 0, ranked };
    });
    const pct = (r: number) => `${(r * 100).toFixed(1)} %`;
    const configColumns = proposals.map((p) => {
      switch (p.kind) {
        case 'key': return column(p.column, 'inriver_field', p.sourceValue, null, `key (${o.keyColumn} = ${o.keyField})`, true);
        case 'static': return column(p.column, 'static', p.sourceValue, null, `one value in every sampled legacy row`);
        case 'source': return column(p.column, 'inriver_field', p.sourceValue, p.transformation, `proposed: matches ${pct(p.matchRate)} of ${matchedRows} rows`);
        default: return column(p.column, 'static', '', null,
          `NEEDS decorator data or a mapping: nothing matches ${pct(o.minMatchRate)}${p.ranked[0] ? ` (best: ${p.ranked[0].field}${p.ranked[0].transformation ? ` | ${p.ranked[0].transformation}` : ''}, ${pct(p.matchRate)})` : ''}`);
      }
    });
    return {
      legacy: { uri: loaded.uri, sha256: loaded.sha256, rows: loaded.rows, dialect }, key: { column: o.keyColumn, field: o.keyField },
      sampledRows, matchedRows, columns: proposals, template: template(o.templateName, o.rowSource, dialect, configColumns), warnings,
    };
  }
}
