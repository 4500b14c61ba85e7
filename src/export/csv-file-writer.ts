import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { ExportSink } from './export-store';
import { CsvEncoding, LineEnding, Quoting } from './template-types';

export interface CsvFormat {
  delimiter: string;
  header: boolean;
  quoting: Quoting;
  lineEnding: LineEnding;
  encoding: CsvEncoding;
}

export interface WrittenFile {
  /** Data rows, the header not counted. */
  rows: number;
  bytes: number;
  sha256: string;
}

/**
 * RFC 4180 text of records: a field holding the delimiter, a quote, CR or LF is quoted, its quotes
 * doubled (`quoting: all` quotes every non-empty field); every record ends with the line ending.
 * Written here rather than with csv-stringify: its per-field option handling was the largest
 * cost of an export in Node (4x this for the same bytes); the tests read the output back with csv-parse.
 */
export function csvRecords(format: Pick<CsvFormat, 'delimiter' | 'quoting' | 'lineEnding'>): (records: readonly string[][]) => string {
  const eol = format.lineEnding === 'CRLF' ? '\r\n' : '\n';
  const delimiter = format.delimiter;
  const special = new RegExp(`["\r\n${delimiter.replace(/[\\\]^-]/g, '\\$&')}]`);
  const quote = (f: string) => `"${f.replace(/"/g, '""')}"`;
  const field = format.quoting === 'all'
    ? (f: string) => (f === '' ? f : quote(f))
    : (f: string) => (special.test(f) ? quote(f) : f);
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
    await write((format.encoding === 'UTF-8-BOM' ? '\ufeff' : '') + (format.header ? stringify([columns]) : ''));
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
