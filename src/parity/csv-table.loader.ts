import { parse } from 'csv-parse';
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { badInput } from '../errors/domain-error';
import { Cell, CellNormalizer } from './cell.normalizer';
import { CsvDialect } from './csv-dialect.detector';
import { CsvFile } from './csv-file.reader';
import type { FileSide } from './parity.types';

/** One column of a loaded file: its raw cells in `c<i>`, normalized ones in `n<i>` when it has steps. */
export interface LoadedColumn {
  name: string;
  raw: string;
  /** The column compared: `n<i>` when normalized, else the raw one. */
  compared: string;
  normalizer: CellNormalizer | null;
}

/** A file COPY'd into a temporary table: what the summary reports of it, and its columns there. */
export interface LoadedFile extends Omit<FileSide, 'columns'> {
  table: string;
  columns: LoadedColumn[];
}

/** COPY's text format: backslash, tab and line breaks escaped; \N is null. */
function copyText(cell: Cell): string {
  if (cell === null) return '\\N';
  return /[\\\t\n\r]/.test(cell) ? cell.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : cell;
}

/**
 * Streams a CSV file into a temporary table of this transaction (gone at its end): bytes hashed on
 * the way in, decoded, parsed by csv-parse and sent with COPY, so memory holds a few batches
 * whatever the file's size. Each row gets its line number (`rn`), its key (the key columns'
 * normalized cells as a JSON array, so ("a,b") and ("a","b") cannot collide) and its cells.
 */
export async function loadCsvTable(client: PoolClient, file: CsvFile, table: string, dialect: CsvDialect,
  header: string[], keyColumns: string[], normalizers: (CellNormalizer | null)[]): Promise<LoadedFile> {
  const keyIdx = keyColumns.map((k) => header.indexOf(k));
  const columns: LoadedColumn[] = header.map((name, i) => ({
    name, raw: `c${i}`, compared: normalizers[i] ? `n${i}` : `c${i}`, normalizer: normalizers[i],
  }));
  const defs = ['rn bigint NOT NULL', 'k text', 'dup boolean NOT NULL DEFAULT false',
    ...columns.flatMap((c) => [`${c.raw} text`, ...(c.normalizer ? [`${c.compared} text`] : [])])];
  await client.query(`CREATE TEMP TABLE ${table} (${defs.join(', ')}) ON COMMIT DROP`);
  const names = ['rn', 'k', ...columns.flatMap((c) => (c.normalizer ? [c.raw, c.compared] : [c.raw]))];

  const hash = createHash('sha256');
  let bytes = 0;
  let rows = 0;
  let longRows = 0;
  let shortRows = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _e, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const decoder = new TextDecoder(dialect.encoding, { fatal: true });
  const decode = new Transform({
    readableObjectMode: false,
    transform(chunk: Buffer, _e, done) {
      try {
        done(null, decoder.decode(chunk, { stream: true }));
      } catch {
        done(badInput(`${file.uri} is not valid ${dialect.encoding} near byte ${bytes}; give its encoding (e.g. windows-1252)`));
      }
    },
    flush(done) {
      try {
        done(null, decoder.decode());
      } catch {
        done(badInput(`${file.uri} ends inside a ${dialect.encoding} character`));
      }
    },
  });
  const parser = parse({
    delimiter: dialect.delimiter, quote: dialect.quote, relax_column_count: true, skip_empty_lines: true, from_line: dialect.header ? 2 : 1,
  });
  const width = header.length;
  // Lines go out in chunks of ~256 KiB: one COPY message per row would cost more than the parsing.
  let pending = '';
  const toCopy = new Transform({
    writableObjectMode: true,
    writableHighWaterMark: 1024,
    flush(done) {
      done(null, pending || undefined);
    },
    transform(record: string[], _e, done) {
      rows++;
      if (record.length > width) longRows++;
      else if (record.length < width) shortRows++;
      const cells: Cell[] = header.map((_, i) => (i < record.length ? record[i] : null));
      const normalized = cells.map((c, i) => (normalizers[i] ? normalizers[i]!(c) : c));
      const key = JSON.stringify(keyIdx.map((i) => normalized[i]));
      let line = `${rows}\t${copyText(key)}`;
      for (let i = 0; i < width; i++) {
        line += `\t${copyText(cells[i])}`;
        if (normalizers[i]) line += `\t${copyText(normalized[i])}`;
      }
      pending += `${line}\n`;
      if (pending.length < 256 * 1024) return done();
      const chunk = pending;
      pending = '';
      done(null, chunk);
    },
  });
  try {
    await pipeline(await file.open(), tap, decode, parser, toCopy, client.query(copyFrom(`COPY ${table} (${names.join(', ')}) FROM STDIN`)));
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('CSV_')) throw badInput(`${file.uri} is not CSV as detected or given (${describe(dialect)}): ${(err as Error).message}`);
    throw err;
  }
  // Temporary tables are never analyzed by autovacuum: without statistics of the key the joins are
  // planned for a handful of rows (nested loops over whole tables).
  await client.query(`ANALYZE ${table} (k)`);
  return { table, uri: file.uri, sha256: hash.digest('hex'), bytes, rows, longRows, shortRows, columns, dialect };
}

export function describe(d: CsvDialect): string {
  return `delimiter ${JSON.stringify(d.delimiter)}, quote ${JSON.stringify(d.quote)}, ${d.encoding}${d.bom ? ' with BOM' : ''}, ${d.lineEnding}, ${d.header ? 'header' : 'no header'}`;
}
