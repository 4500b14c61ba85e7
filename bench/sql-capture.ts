import { Client } from 'pg';

export interface CapturedStatement {
  text: string;
  values: unknown[] | undefined;
}

/**
 * Records every statement the process sends through node-postgres (TypeORM's driver) while
 * `run` is active: what the service really executes, for EXPLAIN.
 */
export async function captureSql<T>(run: () => Promise<T>): Promise<{ result: T; statements: CapturedStatement[] }> {
  const statements: CapturedStatement[] = [];
  const proto = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function patched(this: unknown, ...args: unknown[]) {
    if (typeof args[0] === 'string') statements.push({ text: args[0], values: Array.isArray(args[1]) ? args[1] : undefined });
    else if (args[0] && typeof (args[0] as CapturedStatement).text === 'string') {
      // A config object: prepared statements ({ name, text, values }).
      const config = args[0] as CapturedStatement;
      statements.push({ text: config.text, values: config.values });
    }
    return original.apply(this, args);
  };
  try {
    return { result: await run(), statements };
  } finally {
    proto.query = original;
  }
}

/** The statements that read data (not BEGIN / set_config / COMMIT around them). */
export const dataStatements = (all: CapturedStatement[]) =>
  all.filter((s) => !/^\s*(BEGIN|COMMIT|ROLLBACK|SELECT set_config)/i.test(s.text));
