import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { CsvEncoding, FormulaEscape, LineEnding, Quoting } from '../../entities/export-settings.types';
import { ExportSink } from './export-store';

export interface CsvFormat {
  delimiter: string;
  header: boolean;
  quoting: Quoting;
  lineEnding: LineEnding;
  encoding: CsvEncoding;
  /** Unset: none. */
  formulaEscape?: FormulaEscape;
}

export interface WrittenFile {
  /** Data rows, the header not counted. */
  rows: number;
  bytes: number;
  sha256: string;
}

/**
 * Cells starting with one of these make Excel, LibreOffice and Google Sheets evaluate a formula
 * (`=HYPERLINK(…)`, `=cmd|' /C calc'!A0`, `@SUM(…)`): the list of OWASP's CSV injection page.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
/**
 * A plain decimal number (`-5`, `+1.25`, `-2.5e-3`) is read as a number, never as a formula that
 * can call a function or reach another program, so it is left alone: a price or a temperature
 * stays numeric for whoever opens the file (OWASP's page escapes these as well).
 */
const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The cell with a leading `'` when a spreadsheet would take it for a formula (formula_escape `quote`). */
export function escapeFormula(f: string): string {
  return FORMULA_START.test(f) && !PLAIN_NUMBER.test(f) ? `'${f}` : f;
}

/**
 * RFC 4180 text of records: a field holding the delimiter, a quote, CR or LF is quoted, its quotes
 * doubled (`quoting: all` quotes every non-empty field); every record ends with the line ending.
 * Written here rather than with csv-stringify: its per-field option handling was the largest
 * cost of an export in Node (several times this for the same bytes); the tests read the output back with csv-parse.
 * With `formulaEscape: quote` a field is escaped (escapeFormula) before it is quoted; without it,
 * the per-field function has no escape step at all, so the default costs nothing (it is benchmarked).
 */
export function csvRecords(format: Pick<CsvFormat, 'delimiter' | 'quoting' | 'lineEnding' | 'formulaEscape'>): (records: readonly string[][]) => string {
  const eol = format.lineEnding === 'CRLF' ? '\r\n' : '\n';
  const delimiter = format.delimiter;
  const special = new RegExp(`["\r\n${delimiter.replace(/[\\\]^-]/g, '\\$&')}]`);
  const quote = (f: string) => `"${f.replace(/"/g, '""')}"`;
  const plain = format.quoting === 'all'
    ? (f: string) => (f === '' ? f : quote(f))
    : (f: string) => (special.test(f) ? quote(f) : f);
  const field = format.formulaEscape === 'quote' ? (f: string) => plain(escapeFormula(f)) : plain;
  return (records) => {
    let text = '';
    for (const record of records) {
      for (let i = 0; i < record.length; i++) text += (i === 0 ? '' : delimiter) + field(record[i]);
      text += eol;
    }
    return text;
  };
}

/**
 * Streams batches of records into a sink as CSV (csvRecords). Each batch becomes one chunk, and
 * the next batch is pulled only once the sink has taken it ("drain"), so memory stays flat; the
 * bytes are counted and hashed on their way out.
 */
export async function writeCsv(sink: ExportSink, format: CsvFormat, columns: string[], batches: AsyncIterable<string[][]>): Promise<WrittenFile> {
  const stringify = csvRecords(format);
  // The header is the template's own column names, written as configured: only data is escaped.
  const header = csvRecords({ ...format, formulaEscape: 'none' });
  const stream = sink.stream;
  // Only the writing side: an S3 sink's PassThrough is read by the upload, which commit() waits for.
  const done = finished(stream, { readable: false });
  done.catch(() => undefined);
  let rows = 0;
  let bytes = 0;
  const hash = createHash('sha256');
  const write = async (text: string) => {
    if (text === '') return;
    const chunk = Buffer.from(text, 'utf8');
    hash.update(chunk);
    bytes += chunk.length;
    if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), done]);
  };
  try {
    await write((format.encoding === 'UTF-8-BOM' ? '\ufeff' : '') + (format.header ? header([columns]) : ''));
    for await (const batch of batches) {
      rows += batch.length;
      await write(stringify(batch));
    }
    stream.end();
    await done;
    await sink.commit();
  } catch (err) {
    stream.destroy();
    await done.catch(() => undefined);
    await sink.abort();
    throw err;
  }
  return { rows, bytes, sha256: hash.digest('hex') };
}
