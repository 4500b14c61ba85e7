import { Database } from '../../src/db/database';
import { TestDatabase, createTestDatabase } from '../support/test-database';

describe('business unit routing over a shared pool', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase(['bak', 'gem']);
    for (const [code, id] of [['bak', 1], ['gem', 2]] as const) {
      await t.db.withBu(t.bu(code), (m) => m.query(
        `INSERT INTO product (entity_id, product_id, attributes, content_hash, source_file, event_id, updated_at)
         VALUES ($1, $2, '{}', 'h', 'f', 1, now())`, [id, code]));
    }
  });
  afterAll(() => t.close());

  it('two BUs queried concurrently over a pool of ONE connection each see only their own schema', async () => {
    const db = await Database.connect(t.url, { poolSize: 1 });
    try {
      const runs = Array.from({ length: 40 }, (_, i) => (i % 2 ? 'bak' : 'gem')).map(async (code) => {
        const rows = await db.withBu(t.bu(code), async (m) => {
          await new Promise((r) => setTimeout(r, 1));
          return m.query('SELECT product_id, current_schema() AS schema FROM product');
        });
        return { code, rows };
      });
      for (const { code, rows } of await Promise.all(runs)) {
        expect(rows).toEqual([{ product_id: code, schema: `inriver_${code}` }]);
      }
      // The pooled connection keeps no BU's search_path after the transactions end.
      const [after] = await db.query<{ search_path: string }>('SHOW search_path');
      expect(after.search_path).not.toMatch(/inriver_/);
      await expect(db.query('SELECT count(*) FROM product')).rejects.toThrow(/relation "product" does not exist/);
    } finally {
      await db.close();
    }
  });

  it('a failed BU transaction leaves no search_path behind either', async () => {
    const db = await Database.connect(t.url, { poolSize: 1 });
    try {
      await expect(db.withBu(t.bu('bak'), (m) => m.query('SELECT no_such_column FROM product'))).rejects.toThrow();
      const [after] = await db.query<{ search_path: string }>('SHOW search_path');
      expect(after.search_path).not.toMatch(/inriver_/);
    } finally {
      await db.close();
    }
  });

  it('plain reads go to pools of the BU\'s own: each sees only its schema, and cannot write', async () => {
    const db = await Database.connect(t.url, { poolSize: 2 });
    try {
      const runs = Array.from({ length: 30 }, (_, i) => (i % 2 ? 'bak' : 'gem')).map(async (code) => ({
        code, rows: await db.withBu(t.bu(code), (m) => m.query('SELECT product_id, current_schema() AS schema FROM product'), { readOnly: true }),
      }));
      for (const { code, rows } of await Promise.all(runs)) {
        expect(rows).toEqual([{ product_id: code, schema: `inriver_${code}` }]);
      }
      await expect(db.withBu(t.bu('bak'), (m) => m.query(`UPDATE product SET product_id = 'x'`), { readOnly: true }))
        .rejects.toThrow(/read-only transaction/);
      const [after] = await db.query<{ search_path: string }>('SHOW search_path');
      expect(after.search_path).not.toMatch(/inriver_/);
    } finally {
      await db.close();
    }
  });
});
