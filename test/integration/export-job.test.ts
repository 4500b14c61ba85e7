import { Client } from 'pg';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TempBucket, deleteLine, productLine } from '../support/bucket-factory';
import { JOB_FIELDS, exportAndWait, fileByName, parseCsv, readLocal, waitForJob } from '../support/export-helpers';
import { PROJECT_ROOT, TestDatabase, createTestDatabase } from '../support/test-database';
import { errorCodes, startTestServer } from '../support/test-server';

/**
 * The export job: idempotent requests under concurrency, one snapshot while a load commits,
 * failures that leave no manifest, jobs of a dead process, several copies of the service.
 */

const REQUEST = `mutation($k: String, $t: [String!]) { requestExport(businessUnit: "bak", idempotencyKey: $k, templates: $t) { id status } }`;

describe('export jobs', () => {
  let t: TestDatabase;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  let bucket: TempBucket;
  let dir: string;
  let duringSnapshot: (() => Promise<void>) | null = null;
  let afterFile: ((uri: string) => Promise<void>) | null = null;
  let everySnapshot: ((job: { id: string }) => Promise<void>) | null = null;
  const q = (sql: string, params: unknown[] = []) => t.db.withBu(t.bu('bak'), (m) => m.query(sql, params));

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    bucket = new TempBucket().copyFrom(path.join(PROJECT_ROOT, 'samples', 'bucket'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-export-'));
    s = await startTestServer(t, {
      bucketDir: bucket.root, exportUrl: pathToFileURL(dir).href,
      // "Several copies" queues six jobs at once (the bound itself: export-queue.test.ts).
      env: { EXPORT_MAX_QUEUED: '6' },
      exportHooks: {
        afterSnapshot: async (job) => {
          const fn = duringSnapshot;
          duringSnapshot = null;
          await fn?.();
          await everySnapshot?.(job);
        },
        afterFile: async (_job, file) => afterFile?.(file.uri),
      },
    });
    await expect(s.load('bak')).resolves.toMatchObject({ status: 'done', applied: 4 });
  });
  afterAll(async () => {
    await s.stop();
    await t.close();
    bucket.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('concurrent requests with one idempotency key make one job', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => s.gql(REQUEST, { k: 'airflow-run-1', t: ['products.csv'] })));
    const ids = new Set(answers.map((a) => a.body.data.requestExport.id));
    expect(ids.size).toBe(1);
    const [{ n }] = await q(`SELECT count(*)::int AS n FROM export_job WHERE idempotency_key = 'airflow-run-1'`);
    expect(n).toBe(1);
    const job = await waitForJob(s.gql, 'bak', [...ids][0]);
    expect(job).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    // A retry after success gets the finished job back, not a new export.
    expect((await s.gql(REQUEST, { k: 'airflow-run-1', t: ['products.csv'] })).body.data.requestExport).toEqual({ id: job.id, status: 'SUCCEEDED' });
    const clash = await s.gql(REQUEST, { k: 'airflow-run-1', t: ['items.csv'] });
    expect(errorCodes(clash)).toEqual(['CONFLICT']);
    expect(clash.body.errors![0].message).toMatch(/already used for job/);
  });

  it('reads one snapshot: a load committed during the export changes nothing in it', async () => {
    const before = (await s.gql('{ loadStatus(businessUnit: "bak") { lastCompleted { id } } }')).body.data.loadStatus.lastCompleted.id;
    let loaded: unknown = null;
    duringSnapshot = async () => {
      // Item 3424 gets heavier and product 19457 (item 3430) is deleted, committed while the export runs.
      bucket.product('BAK', 'ecommerce_20260417090000_001.jsonl', [
        productLine({ id: 19456, productId: 'P100982724', items: [{ id: 3424, attrs: { ItemItemImperialWeightinPounds: 5.5 } }], nodes: [50714] }),
        deleteLine(19457),
      ]);
      loaded = await s.load('bak');
    };
    const job = await exportAndWait(s.gql, 'bak', { templates: ['itemdataflex.csv', 'items.csv'] });
    expect(loaded).toMatchObject({ status: 'done', applied: 1 });
    expect(job).toMatchObject({ status: 'SUCCEEDED', snapshotEventId: before });
    const weights = (name: string) => parseCsv(readLocal(fileByName(job, name).uri)).slice(1).map((r) => [r[0], r[3]]);
    expect(weights('itemdataflex.csv')).toEqual([['3424', '0.90'], ['3430', '1.20'], ['3450', '0.60']]);
    expect(parseCsv(readLocal(fileByName(job, 'items.csv').uri)).slice(1).map((r) => r[0])).toEqual(['3424', '3430', '3450']);

    const after = (await s.gql('{ loadStatus(businessUnit: "bak") { lastCompleted { id } } }')).body.data.loadStatus.lastCompleted.id;
    expect(Number(after)).toBeGreaterThan(Number(before));
    const next = await exportAndWait(s.gql, 'bak', { templates: ['itemdataflex.csv'] });
    expect(next.snapshotEventId).toBe(after);
    // The first export's file stays as it was written.
    expect(weights('itemdataflex.csv')).toEqual([['3424', '0.90'], ['3430', '1.20'], ['3450', '0.60']]);
    expect(parseCsv(readLocal(fileByName(next, 'itemdataflex.csv').uri)).slice(1).map((r) => [r[0], r[3]])).toEqual([['3424', '5.50'], ['3450', '0.60']]);
  });

  it('fails with the reason and no manifest when a file cannot be written', async () => {
    afterFile = async (uri) => {
      afterFile = null;
      // A directory where the next file must go: its final rename fails.
      fs.mkdirSync(path.join(path.dirname(fileURLToPath(uri)), 'items.csv', 'blocker'), { recursive: true });
    };
    const job = await exportAndWait(s.gql, 'bak', { templates: ['categories.csv', 'items.csv'] });
    expect(job.status).toBe('FAILED');
    expect(job.error).toMatch(/items\.csv/);
    expect(job).toMatchObject({ files: [], manifestUri: null });
    // categories.csv was finished before items.csv failed: without a manifest nobody may use it, so
    // a failed job leaves nothing in its folder (no finished file, no .partial).
    expect(fs.existsSync(path.join(dir, 'BAK', job.requestedAt.slice(0, 10), job.id))).toBe(false);
  });

  it('fails before writing anything when configuration edited in SQL is invalid', async () => {
    await q(`UPDATE csv_template_config SET transformation = 'shout' WHERE csv_name = 'products.csv' AND column_name = 'name'`);
    try {
      const job = await exportAndWait(s.gql, 'bak', { templates: ['categories.csv', 'products.csv'] });
      expect(job.status).toBe('FAILED');
      expect(job.error).toMatch(/template "products\.csv" is not valid: column "name": unknown transformation "shout"/);
      expect(fs.existsSync(path.join(dir, 'BAK', job.requestedAt.slice(0, 10), job.id))).toBe(false);
    } finally {
      await q(`UPDATE csv_template_config SET transformation = NULL WHERE csv_name = 'products.csv' AND column_name = 'name'`);
    }
  });

  it('fails before writing anything when templates made in SQL have reserved names or names differing only in case', async () => {
    const addInSql = async (name: string) => {
      await q(`INSERT INTO csv_templates (name, row_source) VALUES ($1, 'PRODUCT')`, [name]);
      await q(`INSERT INTO csv_template_config (csv_name, position, column_name, source_type, source_value) VALUES ($1, 1, 'id', 'inriver_field', 'EntityId')`, [name]);
    };
    for (const name of ['Products.csv', 'MANIFEST.JSON', 'products.csv.partial']) await addInSql(name);
    try {
      const jobs = [await exportAndWait(s.gql, 'bak', { templates: ['categories.csv', 'products.csv', 'Products.csv'] })];
      expect(jobs[0].error).toMatch(/^templates "products\.csv" and "Products\.csv" differ only in case/);
      for (const name of ['MANIFEST.JSON', 'products.csv.partial']) {
        jobs.push(await exportAndWait(s.gql, 'bak', { templates: ['categories.csv', name] }));
        expect(jobs.at(-1).error).toContain(`template "${name}" is not valid: file name "${name}" is reserved in any case`);
      }
      for (const job of jobs) {
        expect(job).toMatchObject({ status: 'FAILED', files: [], manifestUri: null });
        expect(fs.existsSync(path.join(dir, 'BAK', job.requestedAt.slice(0, 10), job.id))).toBe(false);
      }
    } finally {
      await q(`DELETE FROM csv_templates WHERE name = ANY($1::text[])`, [['Products.csv', 'MANIFEST.JSON', 'products.csv.partial']]);
    }
  });

  it('queues again a job whose process died, fails it after 3 attempts, and leaves a live one alone', async () => {
    const insert = async (attempts: number) => (await q(
      `INSERT INTO export_job (status, templates, requested_by, started_at, attempts, worker)
       VALUES ('RUNNING', '{products.csv}', 'test', now(), $1, 'dead-host:1') RETURNING id::text AS id`, [attempts]))[0].id as string;
    // A live worker of another process: like a claim, it takes the job's advisory lock on its own
    // connection before the RUNNING row commits, and holds it.
    const other = new Client({ connectionString: t.url });
    await other.connect();
    await other.query('BEGIN');
    const [{ id: live }] = (await other.query(
      `INSERT INTO inriver_bak.export_job (status, templates, requested_by, started_at, attempts, worker)
       VALUES ('RUNNING', '{products.csv}', 'test', now(), 1, 'live-host:1') RETURNING id::text AS id`)).rows;
    await other.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`pim-accumulator:export:inriver_bak:${live}`]);
    await other.query('COMMIT');
    try {
      const dead = await insert(1);
      const exhausted = await insert(3);
      const retried = await waitForJob(s.gql, 'bak', dead);
      expect(retried).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
      expect(retried.warnings).toEqual(['attempt 1 was interrupted (its process stopped); queued again']);
      const failed = await waitForJob(s.gql, 'bak', exhausted);
      expect(failed).toMatchObject({ status: 'FAILED', error: 'interrupted 3 times (its process stopped each time); not retried again' });
      // A recovery scan looks at every RUNNING job: the one that queued `dead` again saw `live` too. One more
      // interrupted job, inserted now and queued again by a later scan, shows that later scans leave it alone as well.
      const later = await insert(1);
      await expect(waitForJob(s.gql, 'bak', later)).resolves.toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
      // Untouched: a job queued again would have another worker and attempt (its status alone could read RUNNING again).
      expect(await q('SELECT status, attempts, worker, warnings FROM export_job WHERE id = $1', [live]))
        .toEqual([{ status: 'RUNNING', attempts: 1, worker: 'live-host:1', warnings: [] }]);
    } finally {
      await other.end();
    }
    // Its connection gone, the live job is recognised as interrupted and run.
    await expect(waitForJob(s.gql, 'bak', live)).resolves.toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
  });

  it('several copies of the service share the queue: each job runs exactly once, and both copies run jobs', async () => {
    // Both copies run in this process (one worker id): which copy ran a job is recorded by its hook.
    const ranBy = new Map<string, string[]>();
    const copies = new Set<string>();
    let bothStarted!: () => void;
    const barrier = new Promise<void>((resolve) => { bothStarted = resolve; });
    // Bounded, once: a copy that never takes a job fails the test below instead of hanging it.
    const giveUp = new Promise((resolve) => setTimeout(resolve, 15_000).unref());
    const hook = (copy: string) => async (job: { id: string }) => {
      ranBy.set(String(job.id), [...(ranBy.get(String(job.id)) ?? []), copy]);
      copies.add(copy);
      if (copies.size === 2) bothStarted();
      // A copy's first job waits until the other copy runs one too: the queue is shared, not drained by the quicker copy.
      await Promise.race([barrier, giveUp]);
    };
    everySnapshot = hook('first');
    const second = await startTestServer(t, {
      bucketDir: bucket.root, exportUrl: pathToFileURL(dir).href, env: { EXPORT_MAX_QUEUED: '6' }, exportHooks: { afterSnapshot: hook('second') },
    });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await (i % 2 ? second : s).gql(REQUEST, { k: `parallel-${i}`, t: ['products.csv', 'categories.csv'] });
        ids.push(r.body.data.requestExport.id);
      }
      const jobs = await Promise.all(ids.map((id) => waitForJob(s.gql, 'bak', id)));
      expect(jobs.map((j) => [j.status, j.attempts])).toEqual(ids.map(() => ['SUCCEEDED', 1]));
      expect(ids.map((id) => [id, ranBy.get(id)?.length])).toEqual(ids.map((id) => [id, 1]));
      expect([...copies].sort()).toEqual(['first', 'second']);
    } finally {
      everySnapshot = null;
      await second.stop();
    }
  });

  it('lists jobs newest first with cursors', async () => {
    const page = async (after?: string) => (await s.gql(`query($a: String) { exportJobs(businessUnit: "bak", first: 3, after: $a) {
      totalCount pageInfo { hasNextPage endCursor } nodes { ${JOB_FIELDS} } } }`, { a: after ?? null })).body.data.exportJobs;
    const first = await page();
    const [{ n }] = await q('SELECT count(*)::int AS n FROM export_job');
    expect(first.totalCount).toBe(n);
    expect(first.nodes).toHaveLength(3);
    const ids = first.nodes.map((j: any) => Number(j.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const second = await page(first.pageInfo.endCursor);
    expect(Number(second.nodes[0].id)).toBeLessThan(ids[2]);
    expect(errorCodes(await s.gql('{ exportJobs(businessUnit: "bak", first: 5000) { totalCount } }'))).toEqual(['BAD_USER_INPUT']);
    expect((await s.gql('{ exportJob(businessUnit: "bak", id: "999999") { id } }')).body.data.exportJob).toBeNull();
  });

  it('a job stopped by a shutdown is queued again and finished by the next process', async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => { started = resolve; });
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const stopping = await startTestServer(t, {
      bucketDir: bucket.root, exportUrl: pathToFileURL(dir).href,
      // The export waits after its snapshot until the test has asked the process to stop: never finished before.
      exportHooks: { afterSnapshot: async () => { started(); await held; } },
    });
    // Only the stopping copy runs exports until it is gone.
    await s.app.exportWorker!.stop();
    const id = (await stopping.gql(REQUEST, { k: 'shutdown-1', t: ['products.csv'] })).body.data.requestExport.id;
    await running;
    const stopped = stopping.stop(); // aborts the running export at once; it notices when it reads on
    release();
    await stopped;
    const [row] = await q('SELECT status, attempts, worker FROM export_job WHERE id = $1', [id]);
    expect(row).toEqual({ status: 'QUEUED', attempts: 0, worker: null });
    const next = await startTestServer(t, { bucketDir: bucket.root, exportUrl: pathToFileURL(dir).href });
    try {
      await expect(waitForJob(next.gql, 'bak', id)).resolves.toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    } finally {
      await next.stop();
    }
  });
});
