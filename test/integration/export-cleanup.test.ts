import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureDir } from '../../src/export/job/export-store';
import { TempBucket } from '../support/bucket-factory';
import { exportAndWait } from '../support/export-helpers';
import { PROJECT_ROOT } from '../support/test-database';
import { serveBucket } from '../support/test-server';

/** An export attempt that fails, or whose process died, leaves nothing that looks like an export. */
describe('export folders after failures', () => {
  let served: Awaited<ReturnType<typeof serveBucket>>;
  let dir: string;
  let failAfterFirstFile = false;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-export-cleanup-'));
    served = await serveBucket(new TempBucket().copyFrom(path.join(PROJECT_ROOT, 'samples', 'bucket')), ['bak'], {
      exportUrl: pathToFileURL(dir).href,
      exportHooks: { afterFile: async () => { if (failAfterFirstFile) throw new Error('the disk filled up'); } },
    });
  });
  afterAll(async () => {
    await served.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const folderOf = (job: { id: string; requestedAt: string }) => path.join(dir, 'BAK', job.requestedAt.slice(0, 10), job.id);

  it('a job that fails after a finished file removes it: no file, no .partial, no manifest', async () => {
    failAfterFirstFile = true;
    try {
      const job = await exportAndWait(served.s.gql, 'bak', { templates: ['categories.csv', 'items.csv'] });
      expect(job).toMatchObject({ status: 'FAILED', files: [], manifestUri: null, error: expect.stringMatching(/the disk filled up/) });
      expect(fs.existsSync(folderOf(job))).toBe(false);
    } finally {
      failAfterFirstFile = false;
    }
  });

  it("an attempt clears what a dead attempt of the same job left in its folder", async () => {
    // The next job's folder, as a process killed mid-export leaves it.
    const [{ next }] = await served.t.db.withBu(served.t.bu('bak'), (m) => m.query(
      `SELECT nextval(pg_get_serial_sequence('export_job', 'id')) + 1 AS next`));
    const leftover = path.join(dir, 'BAK', new Date().toISOString().slice(0, 10), String(next));
    fs.mkdirSync(leftover, { recursive: true });
    for (const name of ['items.csv.partial', 'stale.csv', 'manifest.json']) fs.writeFileSync(path.join(leftover, name), 'old');
    const job = await exportAndWait(served.s.gql, 'bak', { templates: ['products.csv'] });
    expect(job.status).toBe('SUCCEEDED');
    expect(folderOf(job)).toBe(leftover);
    expect(fs.readdirSync(leftover).sort()).toEqual(['manifest.json', 'products.csv']);
    expect(JSON.parse(fs.readFileSync(path.join(leftover, 'manifest.json'), 'utf8')).jobId).toBe(job.id);
  });
});

describe('creating an export folder', () => {
  it('says why it cannot, and returns (Node\'s recursive mkdir never returns under /proc and says ENOENT on a read-only disk)', async () => {
    const started = Date.now();
    await expect(ensureDir('/proc/pim-accumulator-export/BAK/2026-04-16')).rejects.toThrow(/ENOENT|EACCES|EPERM/);
    expect(Date.now() - started).toBeLessThan(2000);
    const blocker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pim-ensure-')), 'file');
    fs.writeFileSync(blocker, '');
    await expect(ensureDir(path.join(blocker, 'BAK'))).rejects.toThrow(/ENOTDIR/);
    await expect(ensureDir(blocker)).rejects.toThrow(/a file of that name is in the way/);
    const made = path.join(path.dirname(blocker), 'a', 'b', 'c');
    await ensureDir(made);
    expect(fs.statSync(made).isDirectory()).toBe(true);
  });
});
