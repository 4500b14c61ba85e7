import { stringify } from 'csv-stringify';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
 * Streams records into a sink as RFC 4180 CSV: fields holding the delimiter, a quote, CR or LF
 * are quoted, quotes doubled (`quoting: all` quotes every non-empty field). Batches are pulled
 * from `batches` only as fast as the sink takes bytes (each write waits for "drain" when the
 * stream is full), so memory stays flat; the bytes are counted and hashed on their way out.
 */
export async function writeCsv(sink: ExportSink, format: CsvFormat, columns: string[], batches: AsyncIterable<string[][]>): Promise<WrittenFile> {
  let rows = 0;
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  const csv = stringify({
    delimiter: format.delimiter,
    record_delimiter: format.lineEnding === 'CRLF' ? 'windows' : 'unix',
    quoted: format.quoting === 'all',
    // csv-stringify quotes the record delimiter, but a lone CR or LF must be quoted too (RFC 4180).
    quoted_match: /[\r\n]/,
    bom: format.encoding === 'UTF-8-BOM',
    eof: true,
  });
  const piping = pipeline(csv, meter, sink.stream);
  piping.catch(() => undefined);
  const write = async (record: string[]) => {
    if (!csv.write(record)) await Promise.race([once(csv, 'drain'), piping]);
  };
  try {
    if (format.header) await write(columns);
    for await (const batch of batches) {
      for (const record of batch) {
        rows++;
        await write(record);
      }
    }
    csv.end();
    await piping;
    await sink.commit();
  } catch (err) {
    csv.destroy();
    await piping.catch(() => undefined);
    await sink.abort();
    throw err;
  }
  return { rows, bytes, sha256: hash.digest('hex') };
}
