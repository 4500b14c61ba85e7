import { isUtf8 } from 'node:buffer';

// Bytes that are not UTF-8. Node decodes them to U+FFFD without a word, which would load a
// mangled ProductId; the reader asks `isUtf8` (native, one pass) for every line and only walks a
// line that fails it, to say where and why, and to keep its bytes as faithfully as a PostgreSQL
// text can: every invalid byte as the four characters `\xNN`, the rest as decoded.

export { isUtf8 };

export interface Utf8Problem {
  /** Of the first invalid byte, counted from 0 at the start of the buffer. */
  offset: number;
  /** The bytes of the bad sequence there, as the reason shows them. */
  bytes: number[];
  kind: string;
}

interface Step { length: number; problem?: Omit<Utf8Problem, 'offset'> }

const isContinuation = (b: number | undefined) => b !== undefined && (b & 0xc0) === 0x80;

/**
 * The sequence at `i`: its length when it is well-formed (Unicode's table 3-7), else what is
 * wrong; an invalid sequence advances by one byte, so each invalid byte is escaped on its own.
 */
function step(buf: Uint8Array, i: number, end: number): Step {
  const lead = buf[i];
  if (lead < 0x80) return { length: 1 };
  // Shown: the lead and the continuation bytes after it that the sequence would take.
  const invalid = (kind: string, length: number): Step => {
    let n = 1;
    while (n < length && i + n < end && isContinuation(buf[i + n])) n++;
    return { length: 1, problem: { bytes: [...buf.subarray(i, i + n)], kind } };
  };
  if (lead < 0xc0) return invalid('a continuation byte without a lead byte', 1);
  if (lead < 0xc2) return invalid('an overlong encoding', isContinuation(buf[i + 1]) ? 2 : 1);
  if (lead > 0xf4) return invalid(lead < 0xf8 ? 'the lead byte of a code point above U+10FFFF' : 'a byte that never occurs in UTF-8', 1);
  const length = lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
  const second = buf[i + 1];
  // The second byte's range narrows for these leads: below it is overlong, above it a surrogate or past U+10FFFF.
  if (i + 1 < end && isContinuation(second)) {
    if (lead === 0xe0 && second < 0xa0) return invalid('an overlong encoding', 3);
    if (lead === 0xed && second >= 0xa0) return invalid('a UTF-16 surrogate (U+D800 to U+DFFF) encoded in UTF-8', 3);
    if (lead === 0xf0 && second < 0x90) return invalid('an overlong encoding', 4);
    if (lead === 0xf4 && second >= 0x90) return invalid('a code point above U+10FFFF', 4);
  }
  let n = 1;
  while (n < length && i + n < end && isContinuation(buf[i + n])) n++;
  if (n < length) {
    return invalid(i + n >= end ? `a ${length}-byte sequence cut short by the end of the line` : `a ${length}-byte sequence cut short`, n);
  }
  return { length };
}

const hex = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');

/** The first invalid sequence of `buf`, or null when it is all UTF-8. */
export function firstInvalidUtf8(buf: Uint8Array): Utf8Problem | null {
  for (let i = 0; i < buf.length;) {
    const s = step(buf, i, buf.length);
    if (s.problem) return { offset: i, ...s.problem };
    i += s.length;
  }
  return null;
}

/**
 * `buf` as text, every invalid byte written as `\xNN` (PostgreSQL text must be UTF-8), and how many
 * there were. A literal `\x` in the delivered bytes stays as it is: the reason says where the
 * first invalid byte is.
 */
export function escapeInvalidUtf8(buf: Uint8Array): { text: string; invalidBytes: number } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  let text = '';
  let invalidBytes = 0;
  let validFrom = 0;
  for (let i = 0; i < b.length;) {
    const s = step(b, i, b.length);
    if (s.problem) {
      text += b.toString('utf8', validFrom, i) + `\\x${hex(b[i])}`;
      invalidBytes++;
      validFrom = i + 1;
    }
    i += s.length;
  }
  return { text: text + b.toString('utf8', validFrom), invalidBytes };
}

/** "invalid UTF-8 at byte 12: 0xC0 0xAF, an overlong encoding". */
export function describeUtf8Problem(p: Utf8Problem): string {
  return `invalid UTF-8 at byte ${p.offset}: ${p.bytes.map((b) => `0x${hex(b)}`).join(' ')}, ${p.kind}`;
}

/** Where a cut at `end` would split a well-formed multi-byte sequence, the cut moved back before it. */
export function cutAtCharBoundary(buf: Uint8Array, end: number): number {
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const b = buf[end - back];
    if (isContinuation(b)) continue;
    const length = b < 0xc2 || b > 0xf4 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
    return length > back ? end - back : end;
  }
  return end;
}
