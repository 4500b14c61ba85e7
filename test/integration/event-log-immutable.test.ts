import { Client } from 'pg';
import { TestDatabase, createTestDatabase } from '../support/test-database';

/** The database itself refuses to rewrite history: plain SQL, as a person at psql would try. */
describe('the event log and entity history cannot be rewritten', () => {
  let t: TestDatabase;
  let c: Client;

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    c = new Client({ connectionString: t.url });
    await c.connect();
    await c.query('SET search_path TO inriver_bak');
    await c.query(`INSERT INTO load_event (event_type, source_file, source_key) VALUES
      ('file_start', 'file:///b/f1', 'f1'), ('file_complete', 'file:///b/f1', 'f1'), ('file_start', 'file:///b/f2', 'f2')`);
    await c.query(`INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
      VALUES (2, 'Product', '1', 'INSERT', now(), 'file:///b/f1', '{}')`);
  });
  afterAll(async () => {
    await c.end();
    await t.close();
  });

  const count = async () => (await c.query('SELECT count(*)::int AS n FROM load_event')).rows[0].n;

  it('refuses DELETE and TRUNCATE of events', async () => {
    await expect(c.query('DELETE FROM load_event WHERE id = 1')).rejects.toThrow(/load_event 1 cannot be deleted: the event log is append-only/);
    await expect(c.query('TRUNCATE load_event CASCADE')).rejects.toThrow(/cannot be truncated/);
    expect(await count()).toBe(3);
  });

  it('refuses any UPDATE but setting replay_date and replay_reason, once', async () => {
    await expect(c.query(`UPDATE load_event SET source_file = 'x' WHERE id = 1`)).rejects.toThrow(/must set replay_date and a non-empty replay_reason/);
    await expect(c.query(`UPDATE load_event SET replay_date = now(), replay_reason = 'r', records_inserted = 5 WHERE id = 2`))
      .rejects.toThrow(/only replay_date and replay_reason may be set/);
    await expect(c.query(`UPDATE load_event SET replay_date = now() WHERE id = 2`)).rejects.toThrow(/non-empty replay_reason/);
    await c.query(`UPDATE load_event SET replay_date = now(), replay_reason = 'bad file' WHERE id = 3`);
    await expect(c.query(`UPDATE load_event SET replay_date = now(), replay_reason = 'again' WHERE id = 3`))
      .rejects.toThrow(/load_event 3 was already marked for replay/);
    const rows = (await c.query('SELECT id, source_file, replay_reason FROM load_event ORDER BY id')).rows;
    expect(rows).toEqual([
      { id: '1', source_file: 'file:///b/f1', replay_reason: null },
      { id: '2', source_file: 'file:///b/f1', replay_reason: null },
      { id: '3', source_file: 'file:///b/f2', replay_reason: 'bad file' },
    ]);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of entity history', async () => {
    await expect(c.query(`UPDATE entity_history SET operation = 'DELETE'`)).rejects.toThrow(/entity_history is append-only: UPDATE/);
    await expect(c.query('DELETE FROM entity_history')).rejects.toThrow(/entity_history is append-only: DELETE/);
    await expect(c.query('TRUNCATE entity_history')).rejects.toThrow(/entity_history is append-only: TRUNCATE/);
    expect((await c.query('SELECT count(*)::int AS n FROM entity_history')).rows[0].n).toBe(1);
  });
});
