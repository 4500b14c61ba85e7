import { parse } from 'csv-parse/sync';
import { badInput } from '../errors/domain-error';

export type CsvTextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';
export type CsvLineEnding = 'LF' | 'CRLF' | 'CR';

/** How a CSV file is written; what the person gave is kept, the rest is read from the file's start. */
export interface CsvDialect {
  delimiter: string;
  quote: string;
  encoding: CsvTextEncoding;
  /** Whether the file starts with a byte order mark (it is skipped either way). */
  bom: boolean;
  lineEnding: CsvLineEnding;
  /** The first record names the columns; without it columns are named by position: 1, 2, … */
  header: boolean;
}

export type DialectHint = Partial<CsvDialect>;

/** The CLI's and the API's spelling of a delimiter: `,` `;` `|` or `tab` / `\t`. */
export function delimiterOf(text: string): string {
  if (text === 'tab' || text === '\\t') return '\t';
  if ([...text].length !== 1 || /["\r\n]/.test(text)) throw badInput(`delimiter "${text}" must be one character (or "tab") other than a quote or a line break`);
  return text;
}

export function encodingOf(text: string): CsvTextEncoding {
  const e = text.trim().toLowerCase().replace(/_/g, '-');
  if (e === 'utf8' || e === 'utf-8' || e === 'utf-8-bom') return 'utf-8';
  if (e === 'utf16le' || e === 'utf-16le' || e === 'utf-16') return 'utf-16le';
  if (e === 'utf16be' || e === 'utf-16be') return 'utf-16be';
  if (['latin1', 'latin-1', 'iso-8859-1', 'windows-1252', 'cp1252'].includes(e)) return 'windows-1252';
  throw badInput(`encoding "${text}": use utf-8, utf-16le, utf-16be or windows-1252 (latin1)`);
}

const BOMS: { bytes: number[]; encoding: CsvTextEncoding }[] = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'utf-8' },
  { bytes: [0xff, 0xfe], encoding: 'utf-16le' },
  { bytes: [0xfe, 0xff], encoding: 'utf-16be' },
];

export function bomLength(encoding: CsvTextEncoding, head: Buffer): number {
  const bom = BOMS.find((b) => b.encoding === encoding && b.bytes.every((x, i) => head[i] === x));
  return bom ? bom.bytes.length : 0;
}

const CANDIDATES = [',', ';', '\t', '|'];

/** Counts of each candidate delimiter per line, outside quotes, over the first complete lines. */
function delimiterCounts(text: string, quote: string): Map<string, number[]> {
  const counts = new Map(CANDIDATES.map((d) => [d, [] as number[]]));
  let inQuotes = false;
  let line = new Map<string, number>();
  let lines = 0;
  for (let i = 0; i < text.length && lines < 50; i++) {
    const ch = text[i];
    if (ch === quote) inQuotes = !inQuotes;
    else if (!inQuotes && (ch === '\n' || ch === '\r')) {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      for (const d of CANDIDATES) counts.get(d)!.push(line.get(d) ?? 0);
      line = new Map();
      lines++;
    } else if (!inQuotes && counts.has(ch)) line.set(ch, (line.get(ch) ?? 0) + 1);
  }
  return counts;
}

/** The candidate found on every line the same number of times (most often), else the most frequent on the first line. */
function detectDelimiter(text: string, quote: string): string {
  const counts = delimiterCounts(text, quote);
  let best = ',';
  let bestScore = -1;
  for (const [d, perLine] of counts) {
    if (!perLine.length || perLine[0] === 0) continue;
    const consistent = perLine.every((n) => n === perLine[0]);
    const score = (consistent ? 1_000_000 : 0) + perLine[0];
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

function detectEncoding(head: Buffer): { encoding: CsvTextEncoding; bom: boolean } {
  for (const b of BOMS) if (b.bytes.every((x, i) => head[i] === x)) return { encoding: b.encoding, bom: true };
  // The head may end inside a multi-byte character: only what precedes the last 3 bytes must be valid.
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.max(0, head.length - 3)));
    return { encoding: 'utf-8', bom: false };
  } catch {
    return { encoding: 'windows-1252', bom: false };
  }
}

/** The head of the file decoded as text (its BOM left out). */
export function decodeHead(head: Buffer, encoding: CsvTextEncoding): string {
  return new TextDecoder(encoding).decode(head.subarray(bomLength(encoding, head)));
}

/**
 * The dialect of a file from its first bytes: BOM and encoding (UTF-8 when the bytes are valid
 * UTF-8, else Windows-1252, which the legacy PIM's Windows exports use), line ending, delimiter
 * (the candidate that splits every line into as many fields), and the header's column names.
 */
export function detectDialect(head: Buffer, hint: DialectHint = {}): { dialect: CsvDialect; columns: string[] } {
  const found = detectEncoding(head);
  const encoding = hint.encoding ?? found.encoding;
  const bom = bomLength(encoding, head) > 0;
  const text = decodeHead(head, encoding);
  const quote = hint.quote ?? '"';
  const firstBreak = text.search(/[\r\n]/);
  const lineEnding: CsvLineEnding = firstBreak < 0 || text[firstBreak] === '\n' ? 'LF' : text[firstBreak + 1] === '\n' ? 'CRLF' : 'CR';
  const delimiter = hint.delimiter ?? detectDelimiter(text, quote);
  const header = hint.header ?? true;
  const dialect: CsvDialect = { delimiter, quote, encoding, bom, lineEnding: hint.lineEnding ?? lineEnding, header };
  let first: string[] = [];
  try {
    const records = parse(text, { delimiter, quote, to_line: 1, relax_column_count: true, relax_quotes: true, skip_empty_lines: true }) as string[][];
    first = records[0] ?? [];
  } catch (err) {
    throw badInput(`cannot read the first line as CSV (delimiter ${JSON.stringify(delimiter)}, quote ${JSON.stringify(quote)}): ${(err as Error).message}`);
  }
  const columns = header ? first : first.map((_, i) => String(i + 1));
  if (header) {
    const dupes = columns.filter((c, i) => columns.indexOf(c) !== i);
    if (dupes.length) throw badInput(`the header names ${[...new Set(dupes)].join(', ')} more than once`);
  }
  return { dialect, columns };
}
