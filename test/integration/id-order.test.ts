import { activeJobs, claimNextJob, runningJobsForUpdate } from '../../src/repositories/export-job.repository';
import { listParityRuns } from '../../src/repositories/parity-run.repository';
import { TestDatabase, createTestDatabase } from '../support/test-database';

/**
 * Ids are bigint in the database and text in JavaScript. A statement that selects `id::text AS id`
 * and orders "by id" orders by the text ("10" before "9"): queues and lists must follow the numbers
 * past 9 → 10 and 99 → 100.
 */
describe('rows in id order past a change in the number of digits', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    await t.db.withBu(t.bu('bak'), async (m) => {
      for (const id of [100, 9, 10]) {
        await m.query(`INSERT INTO export_job (id, status, requested_by) VALUES ($1, 'QUEUED', 'test')`, [id]);
        await m.query(`INSERT INTO parity_run (id, requested_by, legacy_uri, export_source, options, status)
          VALUES ($1, 'test', 'file:///legacy.csv', 'FILE', '{}', 'DIFFERENT')`, [id]);
      }
    });
  });
  afterAll(() => t.close());

  it('export jobs are claimed oldest first, and listed as active in that order', async () => {
    const bu = t.bu('bak');
    await expect(t.db.withBu(bu, (m) => activeJobs(m))).resolves.toMatchObject([{ id: '9' }, { id: '10' }, { id: '100' }]);
    const claimed: string[] = [];
    for (let i = 0; i < 3; i++) {
      const runner = t.db.dataSource.createQueryRunner();
      await runner.connect();
      try {
        const job = await t.db.inBuTransaction(runner, bu, {}, () => claimNextJob(runner, bu, 'test-worker'));
        claimed.push(job!.id);
      } finally {
        await runner.query('SELECT pg_advisory_unlock_all()');
        await runner.release();
      }
    }
    expect(claimed).toEqual(['9', '10', '100']);
    await expect(t.db.withBu(bu, (m) => runningJobsForUpdate(m))).resolves.toMatchObject([{ id: '9' }, { id: '10' }, { id: '100' }]);
  });

  it('parity runs are listed newest first, and pages continue after the cursor', async () => {
    const bu = t.bu('bak');
    const first = await t.db.withBu(bu, (m) => listParityRuns(m, null, 2));
    expect(first.rows.map((r) => r.id)).toEqual(['100', '10']);
    const next = await t.db.withBu(bu, (m) => listParityRuns(m, '10', 2));
    expect(next.rows.map((r) => r.id)).toEqual(['9']);
  });
});
