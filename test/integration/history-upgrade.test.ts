import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { makeBusinessUnit } from '../../src/config/business-unit';
import { Database } from '../../src/db/database';
import { withCredentials } from '../../src/db/database-roles';
import { runMigrations } from '../../src/db/migrations-runner';
import { BusinessUnitLoader } from '../../src/loaders/business-unit-loader';
import { LocalSource } from '../../src/loaders/source/local-source';
import { HistoryService } from '../../src/services/history.service';
import { ReplayService } from '../../src/services/replay.service';
import { imageSql } from '../../src/repositories/entity-history.repository';
import { TO_AFTER_IMAGES } from '../support/after-images';
import { TempBucket, productLine } from '../support/bucket-factory';
import { comparableState, loaderHarness, productName } from '../support/loader-harness';
import { loaderLimits } from '../support/loader-limits';
import { silentLogger } from '../support/silent-logger';
import { MIGRATIONS_DIR, TEST_OWNER_ROLE, TEST_RUNTIME_ROLE, databaseUrl } from '../support/test-database';

/**
 * Upgrading a database whose history holds after-images (migrations up to 0006) to before-images
 * (0007): every row converts losslessly, and a replay from an event before the upgrade restores
 * exactly the state a fresh load of the current source gives.
 */
const bu = makeBusinessUnit('bak');
const BEFORE_UPGRADE = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-migrations-0006-'));
for (const f of fs.readdirSync(MIGRATIONS_DIR).filter((n) => n < '0007')) fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(BEFORE_UPGRADE, f));

const product = (id: number, version: number) => productLine({
  id, attrs: { Version: version }, items: [{ id: id * 10, attrs: { Version: version } }, ...(version % 2 ? [{ id: id * 10 + 1 }] : [])],
  resources: [id * 100 + version], nodes: [1 + (version % 3)],
});
const F = (day: number) => productName(`202604${String(day).padStart(2, '0')}000000000`);

it('converts after-images to before-images losslessly, and a replay across the upgrade restores exactly', async () => {
  const name = `t_upgrade_${process.pid}_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: process.env.TEST_ADMIN_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} OWNER ${TEST_OWNER_ROLE}`);
  const owner = await Database.connect(withCredentials(databaseUrl(name), TEST_OWNER_ROLE, TEST_OWNER_ROLE), { poolSize: 2 });
  const db = await Database.connect(withCredentials(databaseUrl(name), TEST_RUNTIME_ROLE, TEST_RUNTIME_ROLE), { poolSize: 3 });
  const bucket = new TempBucket();
  const source = new LocalSource(bucket.root);
  try {
    await runMigrations(owner, [bu], BEFORE_UPGRADE, { runtimeRole: TEST_RUNTIME_ROLE });
    const loader = new BusinessUnitLoader(db, source, { loader: loaderLimits() }, silentLogger());
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const q = (sql: string, params: unknown[] = []): Promise<any[]> => owner.withBu(bu, (m) => m.query(sql, params));

    // Some history written before the upgrade, a replay among it.
    bucket.product('BAK', F(10), [product(1, 1), product(2, 1), product(3, 1)]);
    bucket.product('BAK', F(11), [product(1, 2), { EntityTypeId: 'Product', EntityId: 2, Deleted: true }, product(4, 1)]);
    await expect(loader.loadOnce(bu)).resolves.toEqual({ status: 'done', applied: 2 });
    const [second] = await q(`SELECT id FROM load_event WHERE event_type = 'file_complete' ORDER BY id DESC LIMIT 1`);
    // What that file made, as the old code stored it: the images after its changes, now, before the
    // replay undoes them (afterwards no row holds them: the replay's own rows hold what it restored).
    const undone = await q(`SELECT h.id, CASE h.entity_type
        WHEN 'Product' THEN (SELECT ${imageSql('product')} FROM product t WHERE t.entity_id = h.entity_key::bigint)
        ELSE (SELECT ${imageSql('item')} FROM item t WHERE t.entity_id = h.entity_key::bigint) END AS after
      FROM entity_history h WHERE h.event_id = $1`, [second.id]);
    expect(undone.length).toBeGreaterThan(0);
    bucket.product('BAK', F(11), [product(1, 3), product(4, 2)]); // resent
    await new ReplayService(db, source, silentLogger(), null).replay(bu, second.id, 'resent before the upgrade', false);
    await expect(loader.loadOnce(bu)).resolves.toEqual({ status: 'done', applied: 1 });
    bucket.product('BAK', F(12), [product(3, 2), product(5, 1)]);
    await expect(loader.loadOnce(bu)).resolves.toEqual({ status: 'done', applied: 1 });

    // This code writes before-images; make the history what the code before 0007 wrote.
    const written = await q('SELECT id, entity_type, entity_key, operation, content FROM entity_history ORDER BY id');
    expect(written.filter((r) => r.operation === 'INSERT').every((r) => r.content === null)).toBe(true);
    await q('ALTER TABLE entity_history DISABLE TRIGGER entity_history_guard_rows');
    await q(TO_AFTER_IMAGES);
    for (const row of undone) await q('UPDATE entity_history SET content = $2 WHERE id = $1', [row.id, row.after]);
    await q('ALTER TABLE entity_history ENABLE TRIGGER entity_history_guard_rows');
    // (Rows of replayed events followed by the replay's own row keep what no conversion reads.)
    expect((await q(`SELECT count(*)::int AS n FROM entity_history h JOIN load_event e ON e.id = h.event_id
      WHERE e.replay_date IS NULL AND h.operation = 'INSERT' AND h.content IS NULL`))[0].n).toBe(0);
    const versionsBefore = (await q(`SELECT h.entity_key, h.content FROM entity_history h JOIN load_event e ON e.id = h.event_id
      WHERE h.entity_type = 'Product' AND e.replay_date IS NULL ORDER BY h.entity_key, h.id DESC`));

    // The upgrade.
    const reports = await runMigrations(owner, [bu], MIGRATIONS_DIR, { runtimeRole: TEST_RUNTIME_ROLE });
    expect(reports[0].applied).toContain('0007-history-before-images.sql');
    expect(await q('SELECT id, entity_type, entity_key, operation, content FROM entity_history ORDER BY id')).toEqual(written);

    // What each version made, as the API shows it, is what the old rows said.
    const history = new HistoryService(db);
    const keys = [...new Set(versionsBefore.map((v) => v.entity_key as string))];
    const versions = await history.versions(bu, 'Product', keys, 20);
    expect(keys.flatMap((k) => versions.get(k)!.map((v) => ({ entity_key: k, content: v.content }))))
      .toEqual(versionsBefore.map((v) => ({ entity_key: v.entity_key, content: v.content })));

    // A replay across the boundary: from the first event, after more files, equals a fresh load.
    bucket.product('BAK', F(13), [product(1, 4), { EntityTypeId: 'Product', EntityId: 4, Deleted: true }]);
    await expect(loader.loadOnce(bu)).resolves.toEqual({ status: 'done', applied: 1 });
    bucket.product('BAK', F(10), [product(1, 1), product(2, 5), product(3, 1)]); // the oldest file resent
    const [first] = await q(`SELECT id FROM load_event WHERE event_type = 'file_start' ORDER BY id LIMIT 1`);
    await new ReplayService(db, source, silentLogger(), null).replay(bu, first.id, 'after the upgrade', false);
    await expect(loader.loadOnce(bu)).resolves.toMatchObject({ status: 'done' });
    const fresh = await loaderHarness({ source: new LocalSource(bucket.root) });
    try {
      await expect(fresh.pass()).resolves.toMatchObject({ status: 'done' });
      expect(await comparableState((sql, params) => db.withBu(bu, (m) => m.query(sql, params)), 'bak')).toEqual(await fresh.state());
    } finally {
      await fresh.close();
    }
  } finally {
    bucket.remove();
    await db.close();
    await owner.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}, 60_000);
