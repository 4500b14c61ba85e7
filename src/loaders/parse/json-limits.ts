// What a delivered JSON value may contain for this service to store it. Pure; no recursion, so a
// hostile value cannot overflow the stack while it is being checked.

/**
 * Longest text stored in an indexed column (ProductId, a link's type and other entity type, an
 * attribute's id): a btree entry holds at most 2,704 bytes, and entity_link's index holds two such
 * texts. A longer one would make PostgreSQL refuse the whole batch.
 */
export const MAX_INDEXED_TEXT_BYTES = 1024;

/**
 * A \u0000 escape in JSON text: a NUL, which PostgreSQL stores in neither text nor jsonb. Only an
 * escape that is not itself the end of an escaped backslash: "C:\\u0000" is a backslash followed
 * by the text u0000, which PostgreSQL stores (an even run of backslashes before the u is text).
 */
const NUL_ESCAPE = /(?<!\\)(?:\\\\)*\\u0000/;

/** Whether `jsonText` (a line, or JSON.stringify of a value) holds a NUL. */
export function hasNulEscape(jsonText: string): boolean {
  return jsonText.includes('u0000') && NUL_ESCAPE.test(jsonText);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Where `text` (JSON) opens its (max + 1)-th nested array or object: the index of that bracket, or
 * -1 when it never goes deeper than `max`. Brackets inside strings do not count; strings are
 * skipped with indexOf, so a line costs about one pass over its structure, not over its text.
 * Malformed JSON gets some answer; JSON.parse then says what is wrong with it.
 */
export function deeperThan(text: string, max: number): number {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // The closing quote is the next one not escaped by an odd run of backslashes.
      let end = i;
      for (;;) {
        end = text.indexOf('"', end + 1);
        if (end < 0) return -1;
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === BACKSLASH) slashes++;
        if (slashes % 2 === 0) break;
      }
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return i;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return -1;
}

export const nestingReason = (max: number) => `nested deeper than ${max} levels (LOAD_MAX_NESTING_DEPTH)`;

/** Byte length of a text in UTF-8 when it may be over `limit`; cheap for short texts. */
export function utf8BytesOver(text: string, limit: number): number | null {
  // A UTF-16 code unit is at most 3 bytes of UTF-8.
  if (text.length * 3 <= limit) return null;
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes > limit ? bytes : null;
}

/** Why an indexed text cannot be stored, or null. */
export function indexedTextProblem(what: string, value: string): string | null {
  const bytes = utf8BytesOver(value, MAX_INDEXED_TEXT_BYTES);
  return bytes === null ? null
    : `${what} is ${bytes} bytes; PostgreSQL indexes it, so at most ${MAX_INDEXED_TEXT_BYTES} bytes are accepted`;
}

/** A stack overflow from a recursive step (JSON.stringify …); duck-typed, as errors may come from another realm. */
export const isStackOverflow = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as Error).name === 'RangeError' && /call stack/i.test(String((err as Error).message));
