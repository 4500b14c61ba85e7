// The one small syntax shared by `transformation` (a pipeline: `cvl_value | join(", ")`) and
// `computed` columns (one call: `concat(Product.ProductId, "-", ItemWatscoItemNo)`).
//
//   pipeline := call ('|' call)*
//   call     := name ['(' [arg (',' arg)*] ')']
//   arg      := "quoted" | 'quoted' | bare      (bare: no spaces, quotes, commas, parentheses or |)
//
// Quoted arguments are literals (backslash escapes \" \' \\ \n \r \t); bare ones are words such as
// a locale, a number or a field reference. Kept tiny and strict so a typo is a save-time error.

export interface ExpressionArg {
  kind: 'quoted' | 'bare';
  value: string;
}

export interface ExpressionCall {
  name: string;
  args: ExpressionArg[];
  /** True when written with parentheses (`upper()` as well as `upper` is accepted). */
  parenthesized: boolean;
}

export class ExpressionSyntaxError extends Error {}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', "'": "'" };

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }
  peek(): string | undefined {
    return this.text[this.pos];
  }
  done(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }
  fail(message: string): never {
    throw new ExpressionSyntaxError(`${message} at position ${this.pos + 1} of ${JSON.stringify(this.text)}`);
  }
  expect(ch: string): void {
    this.skipSpace();
    if (this.peek() !== ch) this.fail(`expected "${ch}"`);
    this.pos++;
  }
  name(): string {
    this.skipSpace();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected a name');
    this.pos += m[0].length;
    return m[0];
  }
  arg(): ExpressionArg {
    this.skipSpace();
    const quote = this.peek();
    if (quote === '"' || quote === "'") {
      this.pos++;
      let value = '';
      for (;;) {
        const ch = this.text[this.pos++];
        if (ch === undefined) this.fail('unterminated string');
        if (ch === quote) return { kind: 'quoted', value };
        if (ch === '\\') {
          const next = this.text[this.pos++];
          const escaped = next === undefined ? undefined : ESCAPES[next];
          if (escaped === undefined) this.fail(`unknown escape "\\${next ?? ''}"`);
          value += escaped;
        } else {
          value += ch;
        }
      }
    }
    const m = /^[^\s,()|"']+/.exec(this.text.slice(this.pos));
    if (!m) this.fail('expected an argument');
    this.pos += m[0].length;
    return { kind: 'bare', value: m[0] };
  }
  call(): ExpressionCall {
    const name = this.name();
    this.skipSpace();
    if (this.peek() !== '(') return { name, args: [], parenthesized: false };
    this.pos++;
    const args: ExpressionArg[] = [];
    this.skipSpace();
    if (this.peek() === ')') {
      this.pos++;
      return { name, args, parenthesized: true };
    }
    for (;;) {
      args.push(this.arg());
      this.skipSpace();
      const ch = this.peek();
      this.pos++;
      if (ch === ')') return { name, args, parenthesized: true };
      if (ch !== ',') {
        this.pos--;
        this.fail('expected "," or ")"');
      }
    }
  }
}

export function parsePipeline(text: string): ExpressionCall[] {
  const s = new Scanner(text);
  if (s.done()) throw new ExpressionSyntaxError('empty expression');
  const calls = [s.call()];
  while (!s.done()) {
    s.expect('|');
    calls.push(s.call());
  }
  return calls;
}

export function parseCall(text: string): ExpressionCall {
  const s = new Scanner(text);
  if (s.done()) throw new ExpressionSyntaxError('empty expression');
  const call = s.call();
  if (!s.done()) s.fail('unexpected text after the expression');
  return call;
}
