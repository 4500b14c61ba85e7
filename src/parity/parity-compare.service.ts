import type { PoolClient } from 'pg';
import { badInput } from '../errors/domain-error';
import { compileNormalizer, stepName, stepsFor } from './cell.normalizer';
import { detectDialect } from './csv-dialect.detector';
import { CsvFile } from './csv-file.reader';
import { LoadedFile, loadCsvTable } from './csv-table.loader';
import { ColumnResult, CompareOptions, DuplicateKeys, FileSide, KeyExample, ParitySummary } from './parity.types';

export const MAX_EXAMPLES_LIMIT = 100;

const LEGACY = 'parity_legacy';
const EXPORT = 'parity_export';

const parseKey = (k: string): (string | null)[] => JSON.parse(k) as (string | null)[];

function side(f: LoadedFile): FileSide {
  return {
    uri: f.uri, sha256: f.sha256, bytes: f.bytes, rows: f.rows, longRows: f.longRows, shortRows: f.shortRows,
    columns: f.columns.map((c) => c.name), dialect: f.dialect,
  };
}

export function checkOptions(o: CompareOptions): void {
  if (!o.key.length) throw badInput('name at least one key column');
  const dupes = o.key.filter((k, i) => o.key.indexOf(k) !== i);
  if (dupes.length) throw badInput(`key column ${dupes.join(', ')} named twice`);
  if (!Number.isInteger(o.maxExamples) || o.maxExamples < 0 || o.maxExamples > MAX_EXAMPLES_LIMIT) {
    throw badInput(`maxExamples must be 0 to ${MAX_EXAMPLES_LIMIT}`);
  }
  const ignoredKeys = o.key.filter((k) => o.ignore.includes(k));
  if (ignoredKeys.length) throw badInput(`key column ${ignoredKeys.join(', ')} cannot be ignored`);
}

/**
 * Compares an export file with a legacy file, by key, inside PostgreSQL: both files are COPY'd into
 * temporary tables of the caller's transaction (it must be read-write; they drop at its end) and
 * joined there, so Node holds a few batches and the examples, never a file. Rows whose key is
 * duplicated on either side are reported as such and not compared cell by cell: which of two rows
 * to pair would be a guess.
 */
export async function compareCsvFiles(client: PoolClient, legacy: CsvFile, exported: CsvFile, options: CompareOptions): Promise<ParitySummary> {
  checkOptions(options);
  const started = Date.now();
  const l = detectDialect(await legacy.head(), options.legacyDialect);
  const e = detectDialect(await exported.head(), options.exportDialect);
  for (const [name, cols, uri] of [['legacy', l.columns, legacy.uri], ['export', e.columns, exported.uri]] as const) {
    const missing = options.key.filter((k) => !cols.includes(k));
    if (missing.length) throw badInput(`the ${name} file ${uri} has no key column ${missing.join(', ')}; its columns: ${cols.join(', ') || 'none'}`);
  }
  const named = Object.keys(options.normalize).filter((c) => c !== '*' && !l.columns.includes(c) && !e.columns.includes(c));
  if (named.length) throw badInput(`normalization for column(s) in neither file: ${named.join(', ')}`);
  const normalizersOf = (cols: string[]) => cols.map((c) => compileNormalizer(stepsFor(options.normalize, c)));
  const lf = await loadCsvTable(client, legacy, LEGACY, l.dialect, l.columns, options.key, normalizersOf(l.columns));
  const ef = await loadCsvTable(client, exported, EXPORT, e.dialect, e.columns, options.key, normalizersOf(e.columns));
  // Every statement below reads whole tables once: hash joins and aggregates in memory, no indexes to build.
  await client.query(`SET LOCAL work_mem = '256MB'`);
  for (const t of [LEGACY, EXPORT]) {
    await client.query(`UPDATE ${t} SET dup = true WHERE k IN (SELECT k FROM ${t} GROUP BY k HAVING count(*) > 1)`);
  }
  const n = options.maxExamples;
  const common = lf.columns.filter((c) => !options.ignore.includes(c.name) && ef.columns.some((x) => x.name === c.name));
  const pairs = common.map((c) => ({ name: c.name, l: c, e: ef.columns.find((x) => x.name === c.name)! }));

  // One pass each: the totals ride on the example rows (windows over all rows, taken before LIMIT); no row, none at all.
  const onlyIn = async (a: string, b: string) => {
    const rows = (await client.query(`SELECT a.k, a.rn::int AS rn, count(*) OVER ()::int AS total
      FROM ${a} a WHERE NOT EXISTS (SELECT 1 FROM ${b} b WHERE b.k = a.k) ORDER BY a.rn LIMIT greatest($1::int, 1)`, [n])).rows;
    const examples: KeyExample[] = rows.slice(0, n).map((r) => ({ key: parseKey(r.k), row: r.rn }));
    return { count: (rows[0]?.total as number | undefined) ?? 0, examples };
  };
  const duplicates = async (t: string): Promise<DuplicateKeys> => {
    const rows = (await client.query(
      `SELECT k, min(rn)::int AS rn, count(*)::int AS count, count(*) OVER ()::int AS keys, (sum(count(*)) OVER ())::int AS rows
         FROM ${t} WHERE dup GROUP BY k ORDER BY min(rn) LIMIT greatest($1::int, 1)`, [n])).rows;
    const examples = rows.slice(0, n).map((r) => ({ key: parseKey(r.k), row: r.rn, count: r.count }));
    return { keys: rows[0]?.keys ?? 0, rows: rows[0]?.rows ?? 0, examples };
  };

  const joined = `FROM ${LEGACY} l JOIN ${EXPORT} e ON e.k = l.k AND NOT e.dup WHERE NOT l.dup`;
  const counts = (await client.query(`SELECT count(*)::int AS matched${pairs.map((p, i) =>
    `, count(*) FILTER (WHERE l.${p.l.compared} IS DISTINCT FROM e.${p.e.compared})::int AS d${i}`).join('')} ${joined}`)).rows[0];
  const matchedRows = counts.matched as number;
  const differing = pairs.map((p, i) => ({ ...p, i, different: counts[`d${i}`] as number })).filter((p) => p.different > 0);
  // The first examples of every differing column in one pass: the differing rows in file order, each
  // column's running count of differences beside them, kept while a count is within the limit.
  const examples = new Map<number, ColumnResult['examples']>(differing.map((p) => [p.i, []]));
  if (differing.length && n > 0) {
    const diff = (p: typeof differing[number]) => `l.${p.l.compared} IS DISTINCT FROM e.${p.e.compared}`;
    const rows = (await client.query(`SELECT * FROM (SELECT l.k${differing.map((p) => `, l.${p.l.raw} AS l${p.i}, e.${p.e.raw} AS e${p.i},
        ${diff(p)} AS f${p.i}, count(*) FILTER (WHERE ${diff(p)}) OVER (ORDER BY l.rn ROWS UNBOUNDED PRECEDING) AS r${p.i}`).join('')}
      ${joined} AND (${differing.map(diff).join(' OR ')})) x
      WHERE ${differing.map((p) => `(f${p.i} AND r${p.i} <= $1)`).join(' OR ')}`, [n])).rows;
    for (const r of rows) {
      for (const p of differing) if (r[`f${p.i}`] && r[`r${p.i}`] <= n) examples.get(p.i)!.push({ key: parseKey(r.k), legacy: r[`l${p.i}`], export: r[`e${p.i}`] });
    }
  }
  const columns: ColumnResult[] = pairs.map((p, i) => {
    const different = counts[`d${i}`] as number;
    return {
      name: p.name, normalization: stepsFor(options.normalize, p.name).map(stepName), equal: matchedRows - different, different,
      matchRate: matchedRows ? (matchedRows - different) / matchedRows : null, examples: examples.get(i) ?? [],
    };
  });
  const rowsOnlyInLegacy = await onlyIn(LEGACY, EXPORT);
  const rowsOnlyInExport = await onlyIn(EXPORT, LEGACY);
  const duplicateKeys = { legacy: await duplicates(LEGACY), export: await duplicates(EXPORT) };
  const columnsOnlyInLegacy = l.columns.filter((c) => !options.ignore.includes(c) && !e.columns.includes(c));
  const columnsOnlyInExport = e.columns.filter((c) => !options.ignore.includes(c) && !l.columns.includes(c));
  const differentCells = columns.reduce((s, c) => s + c.different, 0);
  const identical = differentCells === 0 && rowsOnlyInLegacy.count === 0 && rowsOnlyInExport.count === 0
    && duplicateKeys.legacy.keys === 0 && duplicateKeys.export.keys === 0 && !columnsOnlyInLegacy.length && !columnsOnlyInExport.length
    && lf.longRows === 0 && ef.longRows === 0;
  await client.query(`DROP TABLE ${LEGACY}; DROP TABLE ${EXPORT}`);
  return {
    identical, key: options.key, legacy: side(lf), export: side(ef), matchedRows, rowsOnlyInLegacy, rowsOnlyInExport, duplicateKeys,
    columnsOnlyInLegacy, columnsOnlyInExport, ignoredColumns: options.ignore.filter((c) => l.columns.includes(c) || e.columns.includes(c)),
    columns, differentCells, durationMs: Date.now() - started,
  };
}
