import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TempBucket } from '../support/bucket-factory';
import { waitForJob } from '../support/export-helpers';
import { PROJECT_ROOT, TestDatabase, createTestDatabase } from '../support/test-database';
import { errorCodes, startTestServer } from '../support/test-server';

/**
 * The export queue stays bounded (issue 11, item 7): one request with 20 aliased requestExport
 * queued 20 full exports. Now a request without a key gets the job still queued for the same
 * templates, and a BU has at most EXPORT_MAX_QUEUED (3) jobs queued or running. The server here
 * runs no export worker, so queued jobs stay queued until a second server with one drains them.
 */

const aliased = (n: number, args: (i: number) => string) =>
  `mutation { ${Array.from({ length: n }, (_, i) => `a${i}: requestExport(businessUnit: "bak"${args(i)}) { id status }`).join('\n')} }`;

describe('the export queue of a business unit', () => {
  let t: TestDatabase;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  let bucket: TempBucket;
  let dir: string;
  const q = (sql: string, params: unknown[] = []) => t.db.withBu(t.bu('bak'), (m) => m.query(sql, params));
  const active = async () => (await q(`SELECT id::text AS id FROM export_job WHERE status IN ('QUEUED', 'RUNNING') ORDER BY id`)).map((r: any) => r.id);

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    bucket = new TempBucket().copyFrom(path.join(PROJECT_ROOT, 'samples', 'bucket'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-export-'));
    // 12 requests at once from one address: more than the per-key in-flight bound, which is not what this tests.
    s = await startTestServer(t, { bucketDir: bucket.root, env: { GRAPHQL_MAX_IN_FLIGHT_PER_KEY: '100' } });
    expect(s.app.exportWorker).toBeNull();
    await expect(s.load('bak')).resolves.toMatchObject({ status: 'done' });
  });
  afterAll(async () => {
    await s.stop();
    await t.close();
    bucket.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('20 aliased requestExport without a key queue one job, which every alias gets', async () => {
    const r = await s.gql(aliased(20, () => ', templates: ["products.csv", "items.csv"]'));
    expect(r.body.errors).toBeUndefined();
    const ids = new Set(Object.values(r.body.data).map((j: any) => j.id));
    expect(ids.size).toBe(1);
    const all = await s.gql(aliased(20, () => ''));
    expect(new Set(Object.values(all.body.data).map((j: any) => j.id)).size).toBe(1);
    expect(await active()).toEqual([...ids, Object.values(all.body.data as Record<string, { id: string }>)[0].id]);
    // Other templates, or the same in another order (the files are written in the order given), are another job.
    const other = await s.gql(aliased(1, () => ', templates: ["items.csv", "products.csv"]'));
    expect(other.body.data.a0.id).not.toBe([...ids][0]);
    expect(await active()).toHaveLength(3);
  });

  it('beyond EXPORT_MAX_QUEUED jobs queued or running a request is UNAVAILABLE; retries and requests a queued job answers are not', async () => {
    const [first] = await active();
    const keyed = await s.gql(aliased(20, (i) => `, templates: ["products.csv"], idempotencyKey: "burst-${i}"`));
    // requestExport is non-null: the first refusal ends the operation, the later aliases do not run.
    expect(errorCodes(keyed)).toEqual(['UNAVAILABLE']);
    expect(keyed.body.data).toBeNull();
    expect(keyed.body.errors![0].message).toMatch(/^bak already has 3 export job\(s\) queued or running \(\d+, \d+, \d+; at most 3, EXPORT_MAX_QUEUED\): try again when one has finished$/);
    expect(await active()).toHaveLength(3);
    // A request without a key that a queued job answers still gets it.
    const same = await s.gql(aliased(1, () => ', templates: ["products.csv", "items.csv"]'));
    expect(same.body.data.a0).toEqual({ id: first, status: 'QUEUED' });
    expect(errorCodes(await s.gql(aliased(1, () => ', templates: ["categories.csv"]')))).toEqual(['UNAVAILABLE']);
  });

  it('once jobs finish, requests are accepted again; concurrent requests never pass the bound', async () => {
    const queued = await active();
    const worker = await startTestServer(t, { bucketDir: bucket.root, exportUrl: pathToFileURL(dir).href });
    try {
      for (const id of queued) await expect(waitForJob(s.gql, 'bak', id)).resolves.toMatchObject({ status: 'SUCCEEDED' });
    } finally {
      await worker.stop();
    }
    expect(await active()).toEqual([]);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      s.gql(aliased(1, () => `, templates: ["products.csv"], idempotencyKey: "parallel-${i}"`))));
    expect(answers.filter((a) => !a.body.errors)).toHaveLength(3);
    expect(answers.filter((a) => a.body.errors).map(errorCodes)).toEqual(Array(9).fill(['UNAVAILABLE']));
    expect(await active()).toHaveLength(3);
    // A retry of an accepted key gets its job back even while the queue is full.
    const accepted = answers.findIndex((a) => !a.body.errors);
    const retry = await s.gql(aliased(1, () => `, templates: ["products.csv"], idempotencyKey: "parallel-${accepted}"`));
    expect(retry.body.data.a0.id).toBe(answers[accepted].body.data.a0.id);
  });
});
