import { Client } from 'pg';
import { runMigrations } from '../../src/db/migrations-runner';
import { MIGRATIONS_DIR, TEST_RUNTIME_ROLE, TestDatabase, createTestDatabase } from '../support/test-database';

/**
 * The database itself refuses to rewrite history, in two layers, with plain SQL as a person at
 * psql would try: the service's own role lacks the privileges (it cannot even reach the triggers),
 * and even the owner of the tables meets the append-only triggers.
 */
let t: TestDatabase;
let service: Client;
let owner: Client;

beforeAll(async () => {
  t = await createTestDatabase(['bak']);
  service = new Client({ connectionString: t.url });
  owner = new Client({ connectionString: t.ownerUrl });
  for (const c of [service, owner]) {
    await c.connect();
    await c.query('SET search_path TO inriver_bak');
  }
  await service.query(`INSERT INTO load_event (event_type, source_file, source_key) VALUES
    ('file_start', 'file:///b/f1', 'f1'), ('file_complete', 'file:///b/f1', 'f1'), ('file_start', 'file:///b/f2', 'f2'), ('file_start', 'file:///b/f3', 'f3')`);
  await service.query(`INSERT INTO entity_history (event_id, entity_type, entity_key, operation, changed_at, source_file, content)
    VALUES (2, 'Product', '1', 'INSERT', now(), 'file:///b/f1', '{}')`);
});
afterAll(async () => {
  await service.end();
  await owner.end();
  await t.close();
});

const count = async (table: string) => (await owner.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;

describe("the service's own role (DATABASE_URL) lacks the privileges", () => {
  it.each([
    ['DELETE an event', 'DELETE FROM load_event WHERE id = 1', /permission denied for table load_event/],
    ['TRUNCATE the event log', 'TRUNCATE load_event CASCADE', /permission denied for table load_event/],
    ['UPDATE another column of an event', `UPDATE load_event SET source_file = 'x' WHERE id = 1`, /permission denied for table load_event/],
    ['UPDATE a replay mark and another column', `UPDATE load_event SET replay_date = now(), replay_reason = 'r', records_inserted = 5 WHERE id = 2`,
      /permission denied for table load_event/],
    ['UPDATE the history', `UPDATE entity_history SET operation = 'DELETE'`, /permission denied for table entity_history/],
    ['DELETE the history', 'DELETE FROM entity_history', /permission denied for table entity_history/],
    ['TRUNCATE the history', 'TRUNCATE entity_history', /permission denied for table entity_history/],
    ['switch off the event log trigger', 'ALTER TABLE load_event DISABLE TRIGGER load_event_guard_rows', /must be owner of table load_event/],
    ['switch off the history trigger', 'ALTER TABLE entity_history DISABLE TRIGGER ALL', /must be owner of table entity_history/],
    ['switch off every trigger of the session', 'SET session_replication_role = replica', /permission denied to set parameter "session_replication_role"/],
    ['drop the event log', 'DROP TABLE load_event CASCADE', /must be owner of table load_event/],
    ['delete quarantined lines', 'DELETE FROM quarantined_line', /permission denied for table quarantined_line/],
    ['delete export jobs', 'DELETE FROM export_job', /permission denied for table export_job/],
    ['create a table in the schema', 'CREATE TABLE sneaky (id int)', /permission denied for schema inriver_bak/],
  ])('cannot %s', async (_what, sql, error) => {
    await expect(service.query(sql)).rejects.toThrow(error);
    expect(await count('load_event')).toBe(4);
    expect(await count('entity_history')).toBe(1);
  });

  it('may do what replays do: set replay_date and replay_reason of an event, once', async () => {
    await service.query(`UPDATE load_event SET replay_date = now(), replay_reason = 'bad file' WHERE id = 4`);
    await expect(service.query(`UPDATE load_event SET replay_date = now(), replay_reason = 'again' WHERE id = 4`))
      .rejects.toThrow(/load_event 4 was already marked for replay/);
    expect((await owner.query('SELECT replay_reason FROM load_event WHERE id = 4')).rows).toEqual([{ replay_reason: 'bad file' }]);
  });
});

describe('the owner of the tables meets the append-only triggers', () => {
  it('refuses DELETE and TRUNCATE of events', async () => {
    await expect(owner.query('DELETE FROM load_event WHERE id = 1')).rejects.toThrow(/load_event 1 cannot be deleted: the event log is append-only/);
    await expect(owner.query('TRUNCATE load_event CASCADE')).rejects.toThrow(/cannot be truncated/);
    expect(await count('load_event')).toBe(4);
  });

  it('refuses any UPDATE but setting replay_date and replay_reason, once', async () => {
    await expect(owner.query(`UPDATE load_event SET source_file = 'x' WHERE id = 1`)).rejects.toThrow(/must set replay_date and a non-empty replay_reason/);
    await expect(owner.query(`UPDATE load_event SET replay_date = now(), replay_reason = 'r', records_inserted = 5 WHERE id = 2`))
      .rejects.toThrow(/only replay_date and replay_reason may be set/);
    await expect(owner.query(`UPDATE load_event SET replay_date = now() WHERE id = 2`)).rejects.toThrow(/non-empty replay_reason/);
    await owner.query(`UPDATE load_event SET replay_date = now(), replay_reason = 'bad file' WHERE id = 3`);
    await expect(owner.query(`UPDATE load_event SET replay_date = now(), replay_reason = 'again' WHERE id = 3`))
      .rejects.toThrow(/load_event 3 was already marked for replay/);
    const rows = (await owner.query('SELECT id, source_file, replay_reason FROM load_event WHERE id <= 3 ORDER BY id')).rows;
    expect(rows).toEqual([
      { id: '1', source_file: 'file:///b/f1', replay_reason: null },
      { id: '2', source_file: 'file:///b/f1', replay_reason: null },
      { id: '3', source_file: 'file:///b/f2', replay_reason: 'bad file' },
    ]);
  });

  it('refuses UPDATE, DELETE and TRUNCATE of entity history', async () => {
    await expect(owner.query(`UPDATE entity_history SET operation = 'DELETE'`)).rejects.toThrow(/entity_history is append-only: UPDATE/);
    await expect(owner.query('DELETE FROM entity_history')).rejects.toThrow(/entity_history is append-only: DELETE/);
    await expect(owner.query('TRUNCATE entity_history')).rejects.toThrow(/entity_history is append-only: TRUNCATE/);
    expect(await count('entity_history')).toBe(1);
  });
});

it('every table of a business unit schema has a runtime access policy (a migration adding one without it fails)', async () => {
  await owner.query('CREATE TABLE unlisted_table (id int)');
  try {
    await expect(runMigrations(t.owner, t.units, MIGRATIONS_DIR, { runtimeRole: TEST_RUNTIME_ROLE }))
      .rejects.toThrow(/unlisted_table of inriver_bak have no entry in RUNTIME_ACCESS/);
  } finally {
    await owner.query('DROP TABLE unlisted_table');
  }
});
