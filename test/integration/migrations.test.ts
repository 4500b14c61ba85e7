import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeBusinessUnit } from '../../src/config/business-unit';
import { readMigrations, runMigrations } from '../../src/db/migrations-runner';
import { quoteIdent } from '../../src/db/sql';
import { BusinessUnitLoader } from '../../src/loaders/business-unit-loader';
import { LocalSource } from '../../src/loaders/source/local-source';
import { ReplayService } from '../../src/services/replay.service';
import { TempBucket, deleteLine, nodeLine, productLine } from '../support/bucket-factory';
import { exportAndWait, fileByName, parseCsv, readLocal } from '../support/export-helpers';
import { attributeFile, comparableState, freshLoad, productName } from '../support/loader-harness';
import { loaderLimits } from '../support/loader-limits';
import { silentLogger } from '../support/silent-logger';
import { AFTER_IMAGES } from '../support/after-images';
import { MIGRATIONS_DIR, TEST_RUNTIME_ROLE, TestDatabase, createTestDatabase } from '../support/test-database';
import { startTestServer } from '../support/test-server';

/**
 * docs/loading-and-replay.md "One schema per business unit": a database written by each earlier
 * version, with data in it, is brought up to date by the migrations of this one; its data stays as
 * it was and the service goes on from it (loads, replays, exports); running them again changes
 * nothing. (Two processes migrating at once: test/integration/cli-exit-codes.test.ts.)
 *
 * The data of version N is what this version's loader writes, in the tables and columns version N
 * had (copied from a database this version loaded): no migration rewrites existing rows, so what
 * matters is that every row and column there survives, and that the loader, replay and export of
 * this version work on top of it.
 */

const ALL = readMigrations(MIGRATIONS_DIR);
/** From this version on, the history keeps the image before each change (earlier: after it; 0007 converts). */
const BEFORE_IMAGES = '0007';
const CODES = ['bak', 'gem'];
const FOLDERS = { bak: 'BAK', gem: 'GEM' };
const UNITS = CODES.map((c) => makeBusinessUnit(c, FOLDERS[c as keyof typeof FOLDERS]));
/** Written by loads (not by migrations), in the order their foreign keys need. */
const LOADED_TABLES = ['load_event', 'product', 'item', 'channel_node', 'resource', 'entity_link', 'channel_node_product',
  'attribute_definition', 'quarantined_line', 'entity_history', 'snapshot_part'];

const p = (id: number, stage: string, extra: Partial<Parameters<typeof productLine>[0]> = {}) =>
  productLine({ id, attrs: { Stage: stage }, items: [{ id: id * 10, attrs: { Stage: stage }, resources: [900 + id] }], nodes: [1], ...extra });

let bucket: TempBucket;
/** Per BU and table: the rows a load by this version wrote (JSON), to be copied into a database of an earlier version. */
const written = new Map<string, Map<string, unknown[]>>();

beforeAll(async () => {
  bucket = new TempBucket();
  bucket.write('SHARED/AttributeFile.json', attributeFile({ ProductId: 'String', Stage: 'String' }));
  for (const bu of UNITS) {
    bucket.write(`${bu.sourceFolder}/CHANNEL/ChannelStructure_001.jsonl`, `${JSON.stringify(nodeLine(1, `Root ${bu.code}`, { children: [2] }))}\n${JSON.stringify(nodeLine(2, 'Child'))}\n`);
    bucket.product(bu.sourceFolder, productName('20260401000000'), [p(1, `${bu.code}-a`), p(2, 'a'), p(3, 'a'), '{"EntityId": 4, "EntityTypeId": "Prod']);
    bucket.product(bu.sourceFolder, productName('20260402000000'), [p(1, `${bu.code}-b`), deleteLine(2), p(5, 'b', { nodes: [2] })]);
  }
  const reference = await createTestDatabase(CODES);
  try {
    const loader = new BusinessUnitLoader(reference.db, new LocalSource(bucket.root), { loader: loaderLimits() }, silentLogger());
    for (const bu of UNITS) {
      await expect(loader.loadOnce(bu)).resolves.toEqual({ status: 'done', applied: 4 });
      const tables = new Map<string, unknown[]>();
      for (const table of LOADED_TABLES) {
        const [{ rows }] = await reference.db.withBu(bu, (m) => m.query(`SELECT coalesce(jsonb_agg(t), '[]'::jsonb) AS rows FROM ${table} t`));
        tables.set(table, rows);
      }
      expect(tables.get('entity_history')!.length).toBeGreaterThan(0);
      // Versions before 0007 kept the image after each change: the same history as they wrote it.
      const [{ rows: after }] = await reference.db.withBu(bu, (m) => m.query(`SELECT coalesce(jsonb_agg(h ORDER BY h.id), '[]'::jsonb) AS rows
        FROM (SELECT e.id, e.event_id, e.entity_type, e.entity_key, e.operation, e.changed_at, e.source_file, a.content
              FROM entity_history e JOIN (${AFTER_IMAGES}) a ON a.id = e.id) h`));
      tables.set('entity_history (after-images)', after);
      written.set(bu.code, tables);
    }
  } finally {
    await reference.close();
  }
});
afterAll(() => bucket.remove());

/** A folder with the migrations up to `version` only: what that version shipped. */
function migrationsUpTo(version: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-migrations-'));
  for (const m of ALL.filter((x) => x.version <= version)) fs.copyFileSync(path.join(MIGRATIONS_DIR, m.name), path.join(dir, m.name));
  return dir;
}

/** Rows compared whatever their order, as JSON keyed by id. */
const sorted = (rows: object[]) => [...rows].sort((a, b) => Number((a as { id: number }).id) - Number((b as { id: number }).id));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Q = (sql: string, params?: unknown[]) => Promise<any[]>;

/** Every table of the BU's schema with its columns, as they are now. */
async function tablesAndColumns(q: Q): Promise<Map<string, string[]>> {
  const rows: { table_name: string; columns: string[] }[] = await q(
    `SELECT table_name, array_agg(column_name::text ORDER BY ordinal_position) AS columns FROM information_schema.columns
     WHERE table_schema = current_schema() GROUP BY table_name ORDER BY table_name`);
  return new Map(rows.map((r) => [r.table_name, r.columns]));
}

/** The rows of the given tables, only the given columns, in a stable order. */
async function dump(q: Q, layout: Map<string, string[]>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [table, columns] of layout) {
    const [{ rows }] = await q(`SELECT coalesce(jsonb_agg(to_jsonb(s) ORDER BY to_jsonb(s)::text), '[]'::jsonb) AS rows
      FROM (SELECT ${columns.map(quoteIdent).join(', ')} FROM ${quoteIdent(table)}) s`);
    out[table] = rows;
  }
  return out;
}

/** What a load of this version wrote, into the tables and columns an earlier version has. */
async function writeLoadedRows(q: Q, code: string, layout: Map<string, string[]>, version: string): Promise<void> {
  for (const table of LOADED_TABLES.filter((x) => layout.has(x))) {
    const rows = written.get(code)!.get(table === 'entity_history' && version < BEFORE_IMAGES ? 'entity_history (after-images)' : table);
    await q(`INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)`, [JSON.stringify(rows)]);
  }
  for (const table of ['load_event', 'entity_history', 'quarantined_line'].filter((x) => layout.has(x))) {
    await q(`SELECT setval(pg_get_serial_sequence($1, 'id'), (SELECT max(id) FROM ${table}))`, [table]);
  }
}

describe.each(ALL.slice(0, -1).map((m) => [m.version, m.name]))('a database written at version %s (%s)', (version) => {
  let t: TestDatabase;
  let exports: string;
  const q = (code: string): Q => (sql, params = []) => t.owner.withBu(t.bu(code), (m) => m.query(sql, params));
  beforeAll(async () => {
    t = await createTestDatabase(CODES, { migrationsDir: migrationsUpTo(version) });
    exports = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-migrated-export-'));
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(exports, { recursive: true, force: true });
  });

  it('is brought up to date: every row and column it held stays, and the service goes on from it', async () => {
    const before = new Map<string, { layout: Map<string, string[]>; rows: Record<string, unknown> }>();
    for (const bu of UNITS) {
      const layout = await tablesAndColumns(q(bu.code));
      layout.delete('schema_migration'); // gains the versions applied: checked on its own
      expect((await q(bu.code)('SELECT version FROM schema_migration ORDER BY 1')).map((r) => r.version))
        .toEqual(ALL.filter((m) => m.version <= version).map((m) => m.version));
      await writeLoadedRows(q(bu.code), bu.code, layout, version);
      if (layout.has('csv_templates')) {
        // An operator's own template and a finished export job, as that version stored them.
        await q(bu.code)(`INSERT INTO csv_templates (name, row_source, notes) VALUES ('custom.csv', 'PRODUCT', 'made before the upgrade')`);
        await q(bu.code)(`INSERT INTO csv_template_config (csv_name, position, column_name, source_type, source_value) VALUES
          ('custom.csv', 1, 'id', 'inriver_field', 'EntityId'), ('custom.csv', 2, 'sum', 'static', '=1+2')`);
        await q(bu.code)(`INSERT INTO export_job (status, templates, requested_by, started_at, finished_at, attempts)
          VALUES ('SUCCEEDED', '{products.csv}', 'before the upgrade', now(), now(), 1)`);
      }
      before.set(bu.code, { layout, rows: await dump(q(bu.code), layout) });
    }

    const reports = await runMigrations(t.owner, t.units, MIGRATIONS_DIR, { runtimeRole: TEST_RUNTIME_ROLE });
    expect(reports.map((r) => [r.businessUnit, r.applied])).toEqual(CODES.map((c) => [c, ALL.filter((m) => m.version > version).map((m) => m.name)]));
    for (const bu of UNITS) {
      const { layout, rows } = before.get(bu.code)!;
      const now = await dump(q(bu.code), layout);
      if (version < BEFORE_IMAGES && layout.has('entity_history')) {
        // 0007 rewrote the after-images into exactly the before-images this version writes.
        expect(sorted(now.entity_history as object[])).toEqual(sorted(written.get(bu.code)!.get('entity_history') as object[]));
        delete now.entity_history;
        delete rows.entity_history;
      }
      expect(now).toEqual(rows);
      expect((await q(bu.code)('SELECT version FROM schema_migration ORDER BY 1')).map((r) => r.version)).toEqual(ALL.map((m) => m.version));
    }
    // Running them again (every start of the service does) changes nothing.
    const again = await runMigrations(t.owner, t.units, MIGRATIONS_DIR, { runtimeRole: TEST_RUNTIME_ROLE });
    expect(again.map((r) => r.applied)).toEqual([[], []]);

    // The loader goes on from the event log it finds: nothing applied again, a new file applied, a replay of it.
    const source = new LocalSource(bucket.root);
    const loader = new BusinessUnitLoader(t.db, source, { loader: loaderLimits() }, silentLogger());
    for (const bu of UNITS) await expect(loader.loadOnce(bu)).resolves.toEqual({ status: 'done', applied: 0 });
    const fresh = await freshLoad({ codes: CODES, folders: FOLDERS, source: new LocalSource(bucket.root) });
    const state = (code: string) => comparableState((sql, params) => t.db.withBu(t.bu(code), (m) => m.query(sql, params ?? [])), code);
    for (const [i, bu] of UNITS.entries()) expect(await state(bu.code)).toEqual(fresh[i].state);

    const added = UNITS.map((bu) => bucket.product(bu.sourceFolder, productName(`202605${String(Number(version)).padStart(2, '0')}000000`), [p(1, `after ${version}`), p(6, 'new')]));
    try {
      for (const bu of UNITS) {
        const beforeFile = await state(bu.code);
        await expect(loader.loadOnce(bu)).resolves.toEqual({ status: 'done', applied: 1 });
        const [start] = await t.db.withBu(bu, (m) => m.query(`SELECT id FROM load_event WHERE event_type = 'file_start' ORDER BY id DESC LIMIT 1`));
        await new ReplayService(t.db, source, silentLogger(), null).replay(bu, start.id, 'after the upgrade', false);
        expect(await state(bu.code)).toEqual(beforeFile);
        await expect(loader.loadOnce(bu)).resolves.toEqual({ status: 'done', applied: 1 });
      }
      const refreshed = await freshLoad({ codes: CODES, folders: FOLDERS, source: new LocalSource(bucket.root) });
      for (const [i, bu] of UNITS.entries()) expect(await state(bu.code)).toEqual(refreshed[i].state);
    } finally {
      for (const key of added) fs.rmSync(path.join(bucket.root, key));
    }

    // Exports: the default templates, and one made before the upgrade (cells exported as they were: no formula escape by default).
    const s = await startTestServer(t, { bucketDir: bucket.root, exportUrl: pathToFileURL(exports).href });
    try {
      const hadExports = before.get('bak')!.layout.has('csv_templates');
      const job = await exportAndWait(s.gql, 'bak', { templates: hadExports ? ['products.csv', 'custom.csv'] : ['products.csv'] });
      expect(job).toMatchObject({ status: 'SUCCEEDED' });
      expect(parseCsv(readLocal(fileByName(job, 'products.csv').uri)).slice(1).map((r) => r[0])).toEqual(['1', '3', '5', '6']);
      if (hadExports) {
        expect(parseCsv(readLocal(fileByName(job, 'custom.csv').uri))).toEqual([['id', 'sum'], ['1', '=1+2'], ['3', '=1+2'], ['5', '=1+2'], ['6', '=1+2']]);
        const listed = (await s.gql('{ exportJobs(businessUnit: "bak") { nodes { requestedBy status } } }')).body.data.exportJobs.nodes;
        expect(listed).toContainEqual({ requestedBy: 'before the upgrade', status: 'SUCCEEDED' });
      }
    } finally {
      await s.stop();
    }
  });
});

describe('a database written before the history was kept (version 0001), brought up to date', () => {
  it('refuses a replay from before what is known of an entity, changing nothing; a replay from the first event rebuilds from the source', async () => {
    const t = await createTestDatabase(CODES, { migrationsDir: migrationsUpTo('0001') });
    try {
      const bak = t.bu('bak');
      const q: Q = (sql, params = []) => t.owner.withBu(bak, (m) => m.query(sql, params));
      await writeLoadedRows(q, 'bak', await tablesAndColumns(q), '0001');
      await runMigrations(t.owner, t.units, MIGRATIONS_DIR, { runtimeRole: TEST_RUNTIME_ROLE });
      const source = new LocalSource(bucket.root);
      const replay = (from: string) => new ReplayService(t.db, source, silentLogger(), null).replay(bak, from, 'test', false);
      const everything = async () => ({ state: await comparableState(q, 'bak'), events: await q('SELECT * FROM load_event ORDER BY id') });
      const before = await everything();
      // Each entity's history starts with the row migration 0009 recorded under the event that last wrote it.
      expect(await q(`SELECT DISTINCT operation FROM entity_history`)).toEqual([{ operation: 'UPDATE' }]);
      const [, , , second] = await q(`SELECT start_event_id FROM load_event WHERE event_type = 'file_complete' ORDER BY id`);
      await expect(replay(second.start_event_id)).rejects.toThrow(new RegExp(
        `^cannot replay from event ${second.start_event_id}: \\d+ entities were stored before this database kept history \\(.+\\), `
        + 'and how they were before event \\d+ is not known\\. Replay from a later event than \\d+, or from the first event'));
      expect(await everything()).toEqual(before);

      const [first] = await q('SELECT min(id)::text AS id FROM load_event');
      await replay(first.id);
      const loader = new BusinessUnitLoader(t.db, source, { loader: loaderLimits() }, silentLogger());
      await expect(loader.loadOnce(bak)).resolves.toEqual({ status: 'done', applied: 4 });
      const [fresh] = await freshLoad({ codes: ['bak'], source: new LocalSource(bucket.root) });
      expect(await comparableState(q, 'bak')).toEqual(fresh.state);
    } finally {
      await t.close();
    }
  });
});
