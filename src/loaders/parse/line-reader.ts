import { Hash, createHash } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { deeperThan, nestingReason } from './json-limits';
import { Utf8Problem, cutAtCharBoundary, describeUtf8Problem, escapeInvalidUtf8, firstInvalidUtf8, isUtf8 } from './utf8-check';

export type LineRecord =
  | { lineNumber: number; text: string }
  | { lineNumber: number; tooLong: true; bytes: number; head: string }
  /** Not UTF-8: `raw` has every invalid byte as `\xNN` (see utf8-check.ts). */
  | { lineNumber: number; invalidUtf8: Utf8Problem; invalidBytes: number; raw: string };

export interface LineReaderOptions {
  /** true: must be gzip (fails otherwise); 'auto': gunzipped when it starts with the gzip magic bytes. */
  gzip: boolean | 'auto';
  maxLineBytes: number;
}

/**
 * A name ending in .gz promises gzip: such a file that is not gzip fails as unreadable rather than
 * being read as text (a wrongly named or half-written file). Other names are sniffed.
 */
export function gzipFor(key: string): true | 'auto' {
  return /\.gz$/i.test(key) ? true : 'auto';
}

const GZIP_MAGIC = [0x1f, 0x8b];
/** How much of a file that should be gzip but is not its error message shows. */
const SHOWN_BYTES = 24;
const isGzip = (start: Buffer) => start[0] === GZIP_MAGIC[0] && start[1] === GZIP_MAGIC[1];

/** Raised (already worded for the operator) when a file that must be gzip does not start like one. */
class NotGzipError extends Error {
  constructor(start: Buffer) {
    const seen = start.length === 0 ? 'it is empty'
      : `it starts with ${JSON.stringify(start.subarray(0, SHOWN_BYTES).toString('utf8'))}`;
    super(`gzip: the file is named .gz but is not gzip (${seen})`);
  }
}

function decideGzip(option: boolean | 'auto', start: Buffer): boolean {
  if (option === 'auto') return isGzip(start);
  if (option && !isGzip(start)) throw new NotGzipError(start);
  return option;
}

const HEAD_BYTES = 1024;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Streams the non-blank lines of a (possibly gzipped) object, holding at most one line plus a chunk.
 * The sha256 and byte count are of the raw bytes as stored, so they identify the object version read.
 */
export class LineReader {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;

  constructor(private readonly raw: Readable, private readonly opts: LineReaderOptions) {}

  sha256(): string {
    return this.hash.copy().digest('hex');
  }

  bytesRead(): number {
    return this.bytes;
  }

  async *lines(): AsyncGenerator<LineRecord> {
    const max = this.opts.maxLineBytes;
    let pieces: Buffer[] = [];
    let length = 0; // bytes of the current line, including any skipped ones
    let head: Buffer | null = null; // set while skipping a too-long line
    let lastByte = -1;
    let lineNumber = 0;

    const endLine = (): LineRecord | null => {
      lineNumber++;
      const crlf = lastByte === CR ? 1 : 0;
      const bytes = length - crlf;
      let record: LineRecord | null = null;
      if (head || bytes > max) {
        const h = head ?? Buffer.concat(pieces);
        const kept = Math.min(HEAD_BYTES, bytes);
        // Cut on a character boundary, so only bytes that really are invalid show as \xNN.
        record = { lineNumber, tooLong: true, bytes, head: escapeInvalidUtf8(h.subarray(0, kept < bytes ? cutAtCharBoundary(h, kept) : kept)).text };
      } else {
        const line = Buffer.concat(pieces, length).subarray(0, bytes);
        // A BOM (EF BB BF) is valid UTF-8: the offsets of line 1 count it, as a hex dump of the file does.
        const bom = (text: string) => (lineNumber === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
        if (isUtf8(line)) {
          const text = bom(line.toString('utf8'));
          if (text.trim() !== '') record = { lineNumber, text };
        } else {
          const { text, invalidBytes } = escapeInvalidUtf8(line);
          record = { lineNumber, invalidUtf8: firstInvalidUtf8(line)!, invalidBytes, raw: bom(text) };
        }
      }
      pieces = [];
      length = 0;
      head = null;
      lastByte = -1;
      return record;
    };

    const take = (chunk: Buffer) => {
      if (chunk.length === 0) return;
      length += chunk.length;
      lastByte = chunk[chunk.length - 1];
      if (head) {
        if (head.length < HEAD_BYTES) head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
        return;
      }
      pieces.push(chunk);
      // One extra byte of slack for a '\r' that the line end may strip.
      if (length > max + 1) {
        head = Buffer.from(Buffer.concat(pieces).subarray(0, HEAD_BYTES)); // a copy: the rest is freed
        pieces = [];
      }
    };

    try {
      for await (const chunk of this.decoded()) {
        let start = 0;
        for (let nl = chunk.indexOf(LF); nl >= 0; nl = chunk.indexOf(LF, start)) {
          take(chunk.subarray(start, nl));
          start = nl + 1;
          const record = endLine();
          if (record) yield record;
        }
        // Copy: a subarray would pin the whole chunk for as long as the line lasts.
        if (start < chunk.length) take(start === 0 ? chunk : Buffer.from(chunk.subarray(start)));
      }
    } catch (err) {
      throw describe(err);
    } finally {
      this.raw.destroy();
    }
    if (length > 0) {
      const record = endLine();
      if (record) yield record;
    }
  }

  private async *tapped(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      this.hash.update(chunk);
      this.bytes += chunk.length;
      yield chunk;
    }
  }

  private async *decoded(): AsyncGenerator<Buffer> {
    const it = this.tapped(this.raw)[Symbol.asyncIterator]();
    const first: Buffer[] = [];
    let firstBytes = 0;
    let done = false;
    // Gather enough to see the gzip magic (chunks can be as small as one byte), and when it must
    // be gzip, enough to show what the file is instead.
    const wanted = this.opts.gzip === true ? SHOWN_BYTES : GZIP_MAGIC.length;
    while (firstBytes < wanted) {
      const next = await it.next();
      if (next.done) {
        done = true;
        break;
      }
      first.push(next.value);
      firstBytes += next.value.length;
    }
    const start = Buffer.concat(first);
    const gzip = decideGzip(this.opts.gzip, start);
    async function* rest(): AsyncGenerator<Buffer> {
      if (start.length > 0) yield start;
      if (done) return;
      for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
    }
    if (!gzip) {
      yield* rest();
      return;
    }
    // pipeline() destroys the gunzip stream with the source's error, so a read error surfaces here too.
    yield* pipeline(Readable.from(rest()), createGunzip(), () => {}) as AsyncIterable<Buffer>;
  }
}

/** Iterates the lines of a raw stream; use LineReader directly to also get the sha256 and byte count. */
export function readLines(raw: Readable, opts: LineReaderOptions): AsyncIterable<LineRecord> {
  return new LineReader(raw, opts).lines();
}

/**
 * Reads a whole JSON document (AttributeFile.json: small, so buffered). A document nested deeper
 * than `maxNestingDepth` is refused before anything walks it.
 */
export async function readWholeJson(
  raw: Readable,
  opts: { gzip: boolean | 'auto'; maxNestingDepth: number },
): Promise<{ value: unknown; sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of raw) {
      hash.update(chunk as Buffer);
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    throw describe(err);
  }
  let data = Buffer.concat(chunks);
  const bytes = data.length;
  if (decideGzip(opts.gzip, data)) {
    try {
      data = gunzipSync(data);
    } catch (err) {
      throw describe(err);
    }
  }
  if (!isUtf8(data)) {
    const problem = firstInvalidUtf8(data)!;
    const line = data.subarray(0, problem.offset).reduce((n, b) => (b === LF ? n + 1 : n), 1);
    throw new Error(`utf8: ${describeUtf8Problem(problem)} (line ${line}); the file must be UTF-8`);
  }
  let text = data.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const deep = deeperThan(text, opts.maxNestingDepth);
  if (deep >= 0) throw new Error(`json: ${nestingReason(opts.maxNestingDepth)}, at character ${deep}`);
  try {
    return { value: JSON.parse(text), sha256: hash.digest('hex'), bytes };
  } catch (err) {
    throw new Error(`json: ${(err as Error).message}`, { cause: err });
  }
}

/** Names the layer that failed, so an error event says "gzip: ..." or "read: ..." rather than a bare code. */
function describe(err: unknown): Error {
  if (err instanceof NotGzipError) return err;
  // Duck-typed: errors from node internals can come from another realm (jest's vm), failing instanceof.
  const e = err as Partial<NodeJS.ErrnoException> | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const layer = typeof e?.code === 'string' && e.code.startsWith('Z_') ? 'gzip' : 'read';
  return new Error(`${layer}: ${message}`, { cause: err });
}
