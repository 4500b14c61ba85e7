import fs from 'node:fs';
import path from 'node:path';
import { servedSchemaText } from '../../src/server/graphql-schema';

/**
 * schema.graphql at the root is what clients and code generators read without running the
 * service; it must be the schema the code serves. `npm run schema` writes it.
 */
const SCHEMA_FILE = path.resolve(__dirname, '..', '..', 'schema.graphql');

/** "line 12: `  id: ID!` here, `  id: String!` served", to say where without printing 1,000 lines. */
function firstDifference(committed: string, served: string): string {
  const a = committed.split('\n');
  const b = served.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}: ${JSON.stringify(a[i] ?? '(end of file)')} in the file, ${JSON.stringify(b[i] ?? '(end of file)')} served`;
  }
  return 'no line differs (line endings?)';
}

describe('schema.graphql', () => {
  it('is the served schema, printed (run `npm run schema` after changing the API)', async () => {
    const served = await servedSchemaText();
    if (!fs.existsSync(SCHEMA_FILE)) throw new Error('schema.graphql is missing: run `npm run schema` and commit it');
    const committed = fs.readFileSync(SCHEMA_FILE, 'utf8');
    if (committed !== served) {
      throw new Error(`schema.graphql is stale: run \`npm run schema\` and commit it (first difference at ${firstDifference(committed, served)})`);
    }
  });

  it('is printed with a final newline', async () => {
    expect((await servedSchemaText()).endsWith('}\n')).toBe(true);
  });
});
