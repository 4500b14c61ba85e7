import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import { CliResult, buildCommands, runCommand, startCommand, stdoutJson } from '../support/cli-process';
import { exportAndWait, fileByName, readLocal } from '../support/export-helpers';
import { PROJECT_ROOT, TestDatabase, createTestDatabase } from '../support/test-database';
import { errorCodes, startTestServer } from '../support/test-server';

/**
 * Parity runs over GraphQL (operator role, recorded per BU) and through the parity command as a
 * real child process (exit 0 identical, 4 different, 2 refused), over the sample bucket's export.
 */

const READER = 'reader-key-123';
const OPERATOR = 'operator-key-123';
const RUN_FIELDS = `id businessUnit status requestedBy startedAt finishedAt legacyUri legacySha256 exportSource exportUri exportSha256
  exportJobId templateName snapshotEventId options error
  summary { identical key legacyRows exportRows matchedRows rowsOnlyInLegacy rowsOnlyInExport duplicateKeysInLegacy duplicateKeysInExport
    columnsOnlyInLegacy columnsOnlyInExport differentCells columns { name normalization equal different matchRate examples { key legacy export } } }`;

let build: ReturnType<typeof buildCommands>;
beforeAll(() => { build = buildCommands(); }, 120_000);
afterAll(() => build?.remove());

describe('parity runs', () => {
  let t: TestDatabase;
  let s: Awaited<ReturnType<typeof startTestServer>>;
  let dir: string;
  let job: any;
  let exported: string;
  let legacyChanged: string;
  let legacySame: string;

  const startRun = (input: Record<string, unknown>, key = OPERATOR) =>
    s.gql(`mutation($i: ParityCompareInput!) { startParityRun(businessUnit: "bak", input: $i) { ${RUN_FIELDS} } }`, { i: input }, key);
  const waitRun = async (id: string): Promise<any> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await s.gql(`query($id: ID!) { parityRun(businessUnit: "bak", id: $id) { ${RUN_FIELDS} } }`, { id }, OPERATOR);
      if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
      if (r.body.data.parityRun.status !== 'RUNNING') return r.body.data.parityRun;
      if (Date.now() > deadline) throw new Error(`parity run ${id} still RUNNING`);
      await new Promise((res) => setTimeout(res, 100));
    }
  };

  beforeAll(async () => {
    t = await createTestDatabase(['bak']);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-parity-'));
    s = await startTestServer(t, {
      bucketDir: path.join(PROJECT_ROOT, 'samples', 'bucket'), exportUrl: pathToFileURL(dir).href, apiKeys: `${READER}:reader,${OPERATOR}:operator`,
    });
    await expect(s.load('bak')).resolves.toMatchObject({ status: 'done', applied: 4 });
    job = await exportAndWait(s.gql, 'bak', { templates: ['items.csv', 'products.csv'], key: OPERATOR });
    expect(job.status).toBe('SUCCEEDED');
    exported = readLocal(fileByName(job, 'items.csv').uri).toString('utf8');
    fs.mkdirSync(path.join(dir, 'legacy'));
    legacySame = path.join(dir, 'legacy', 'items-same.csv');
    fs.writeFileSync(legacySame, exported.replace(/\n/g, '\r\n'));
    // One cell changed (item 3430's upc), the last row dropped.
    const lines = exported.trimEnd().split('\n');
    legacyChanged = path.join(dir, 'legacy', 'items-changed.csv');
    fs.writeFileSync(legacyChanged, `${lines.slice(0, -1).map((l) => l.replace(',012345678929,', ',999,')).join('\n')}\n`);
  }, 120_000);
  afterAll(async () => {
    await s.stop();
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('compares an export job\'s file with a legacy file and records the run: who, what, the job and event, hashes, options, summary', async () => {
    const started = await startRun({ legacyUri: pathToFileURL(legacyChanged).href, exportJobId: job.id, exportFile: 'items.csv', key: ['item_id'],
      normalize: [{ column: 'upc', steps: 'trim' }], ignore: ['updated_at'], maxExamples: 3 });
    expect(started.body.errors).toBeUndefined();
    expect(started.body.data.startParityRun).toMatchObject({ businessUnit: 'bak', status: 'RUNNING', requestedBy: 'key#2(operator)', exportSource: 'JOB' });
    const run = await waitRun(started.body.data.startParityRun.id);
    expect(run).toMatchObject({
      status: 'DIFFERENT', exportJobId: job.id, templateName: 'items.csv', snapshotEventId: job.snapshotEventId,
      exportUri: fileByName(job, 'items.csv').uri, exportSha256: fileByName(job, 'items.csv').sha256, legacyUri: pathToFileURL(legacyChanged).href,
      options: { key: ['item_id'], normalize: { upc: ['trim'] }, ignore: ['updated_at'], maxExamples: 3 }, error: null,
    });
    expect(run.legacySha256).toMatch(/^[0-9a-f]{64}$/);
    expect(run.summary).toMatchObject({ identical: false, legacyRows: 2, exportRows: 3, matchedRows: 2, rowsOnlyInLegacy: 0, rowsOnlyInExport: 1,
      duplicateKeysInLegacy: 0, columnsOnlyInLegacy: [], columnsOnlyInExport: [], differentCells: 1 });
    expect(run.summary.columns.find((c: any) => c.name === 'upc')).toEqual({ name: 'upc', normalization: ['trim'], equal: 1, different: 1, matchRate: 0.5,
      examples: [{ key: ['3430'], legacy: '999', export: '012345678929' }] });
    expect(run.summary.columns.map((c: any) => c.name)).not.toContain('updated_at');

    const list = await s.gql('{ parityRuns(businessUnit: "bak", first: 5) { totalCount nodes { id status } } }', {}, OPERATOR);
    expect(list.body.data.parityRuns).toEqual({ totalCount: 1, nodes: [{ id: run.id, status: 'DIFFERENT' }] });
  });

  it('renders a template now, or reads an export file, and finds an equal legacy file (CRLF) identical', async () => {
    const rendered = await waitRun((await startRun({ legacyUri: pathToFileURL(legacySame).href, template: 'items.csv', key: ['item_id'] }))
      .body.data.startParityRun.id);
    expect(rendered).toMatchObject({ status: 'IDENTICAL', exportSource: 'TEMPLATE', templateName: 'items.csv', exportJobId: null,
      snapshotEventId: job.snapshotEventId, summary: { identical: true, matchedRows: 3 } });
    // The file rendered for the run is gone with it, and no export job was queued for it.
    expect(fs.existsSync(new URL(rendered.exportUri))).toBe(false);
    const jobs = await s.gql('{ exportJobs(businessUnit: "bak") { totalCount } }', {}, OPERATOR);
    expect(jobs.body.data.exportJobs.totalCount).toBe(1);
    const byFile = await waitRun((await startRun({ legacyUri: pathToFileURL(legacySame).href, exportUri: fileByName(job, 'items.csv').uri, key: ['item_id'] }))
      .body.data.startParityRun.id);
    expect(byFile).toMatchObject({ status: 'IDENTICAL', exportSource: 'FILE', exportJobId: null });
  });

  it('records what cannot be compared as FAILED with the reason, and refuses wrong calls before recording anything', async () => {
    const failed = await waitRun((await startRun({ legacyUri: pathToFileURL(legacySame).href, exportJobId: job.id, exportFile: 'items.csv', key: ['sku'] }))
      .body.data.startParityRun.id);
    expect(failed).toMatchObject({ status: 'FAILED', summary: null });
    expect(failed.error).toMatch(/has no key column sku/);
    const before = (await s.gql('{ parityRuns(businessUnit: "bak") { totalCount } }', {}, OPERATOR)).body.data.parityRuns.totalCount;
    // Outside the export folder, the server's disk is out of reach of API callers (a comparison shows cells).
    const outside = await startRun({ legacyUri: 'file:///etc/passwd', template: 'items.csv', key: ['item_id'] });
    expect(errorCodes(outside)).toEqual(['BAD_USER_INPUT']);
    const escape = await startRun({ legacyUri: `${pathToFileURL(dir).href}/../../etc/passwd`, template: 'items.csv', key: ['item_id'] });
    expect(errorCodes(escape)).toEqual(['BAD_USER_INPUT']);
    const twoSides = await startRun({ legacyUri: pathToFileURL(legacySame).href, template: 'items.csv', exportJobId: job.id, key: ['item_id'] });
    expect(errorCodes(twoSides)).toEqual(['BAD_USER_INPUT']);
    const badStep = await startRun({ legacyUri: pathToFileURL(legacySame).href, template: 'items.csv', key: ['item_id'], normalize: [{ column: 'upc', steps: 'soundex' }] });
    expect(errorCodes(badStep)).toEqual(['BAD_USER_INPUT']);
    const after = (await s.gql('{ parityRuns(businessUnit: "bak") { totalCount } }', {}, OPERATOR)).body.data.parityRuns.totalCount;
    expect(after).toBe(before);
  });

  it('needs the operator role, for reads too (runs show file contents)', async () => {
    const start = await startRun({ legacyUri: pathToFileURL(legacySame).href, template: 'items.csv', key: ['item_id'] }, READER);
    expect(errorCodes(start)).toEqual(['FORBIDDEN']);
    const list = await s.gql('{ parityRuns(businessUnit: "bak") { totalCount } }', {}, READER);
    expect(errorCodes(list)).toEqual(['FORBIDDEN']);
    const one = await s.gql('{ parityRun(businessUnit: "bak", id: "1") { id } }', {}, READER);
    expect(errorCodes(one)).toEqual(['FORBIDDEN']);
  });

  describe('the parity command', () => {
    const env = () => ({ DATABASE_URL: t.url, MIGRATION_DATABASE_URL: t.ownerUrl, BUSINESS_UNITS: 'bak', EXPORT_URL: pathToFileURL(dir).href,
      SOURCE_URL: pathToFileURL(path.join(PROJECT_ROOT, 'samples', 'bucket')).href, LOG_LEVEL: 'info' });
    const parity = (args: string[]) => runCommand(build.dir, 'parity', ['compare', '--bu', 'bak', ...args], env(), 120_000);
    const expectExit = (r: CliResult, code: number) => {
      if (r.code !== code) throw new Error(`exit ${r.code}, expected ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    };

    it('exits 0 when identical, 4 when different, with the recorded run as JSON on stdout and logs on stderr', async () => {
      const same = await parity(['--legacy', legacySame, '--job', job.id, '--file', 'items.csv', '--key', 'item_id']);
      expectExit(same, 0);
      const [run] = stdoutJson(same) as any[];
      expect(run).toMatchObject({ status: 'IDENTICAL', exportSource: 'JOB', exportJobId: job.id, requestedBy: expect.stringMatching(/^cli:/) });
      expect(same.stderr).toMatch(/"msg":"parity run finished"/);
      const changed = await parity(['--legacy', pathToFileURL(legacyChanged).href, '--template', 'items.csv', '--key', 'item_id',
        '--normalize', 'upc=trim', '--ignore', 'updated_at']);
      expectExit(changed, 4);
      const [diff] = stdoutJson(changed) as any[];
      expect(diff).toMatchObject({ status: 'DIFFERENT', summary: { rowsOnlyInExport: { count: 1 }, differentCells: 1 } });
      const listed = await s.gql('{ parityRuns(businessUnit: "bak", first: 2) { nodes { id status requestedBy } } }', {}, OPERATOR);
      expect(listed.body.data.parityRuns.nodes.map((n: any) => n.id)).toEqual([diff.id, run.id]);
    });

    it('exits 2 for a wrong call: an unknown key column (the run is recorded FAILED), a missing file, no export side', async () => {
      const noKey = await parity(['--legacy', legacySame, '--job', job.id, '--file', 'items.csv', '--key', 'sku']);
      expectExit(noKey, 2);
      expect(noKey.stdout).toBe('');
      expect(noKey.stderr).toMatch(/no key column sku/);
      const missing = await parity(['--legacy', path.join(dir, 'nope.csv'), '--template', 'items.csv', '--key', 'item_id']);
      expectExit(missing, 2);
      expect(missing.stderr).toMatch(/cannot read .*nope\.csv/);
      expectExit(await parity(['--legacy', legacySame, '--key', 'item_id']), 2);
      expectExit(await parity(['--legacy', legacySame, '--template', 'nope.csv', '--key', 'item_id']), 2);
    });

    it('a run whose process dies stays RUNNING only while that process lives: read afterwards, it is FAILED as interrupted', async () => {
      // A named pipe nobody writes to: the command records its run, then waits on the legacy file for ever.
      const fifo = path.join(dir, 'legacy', 'never-written.csv');
      execFileSync('mkfifo', [fifo]);
      const cmd = startCommand(build.dir, 'parity', ['compare', '--bu', 'bak', '--legacy', fifo, '--template', 'items.csv', '--key', 'item_id'], env());
      const runsNow = async () => (await s.gql('{ parityRuns(businessUnit: "bak", first: 1) { nodes { id status legacyUri error } } }', {}, OPERATOR)).body.data.parityRuns.nodes[0];
      const deadline = Date.now() + 30_000;
      let run = await runsNow();
      while (!(run?.legacyUri.endsWith('never-written.csv') && run.status === 'RUNNING')) {
        if (Date.now() > deadline) {
          cmd.child.kill('SIGKILL');
          throw new Error(`no RUNNING run of the pipe (newest: ${JSON.stringify(run)}); stderr: ${cmd.stderr()}`);
        }
        await new Promise((r) => setTimeout(r, 200));
        run = await runsNow();
      }
      // Alive: reading it (list and one run) leaves it RUNNING.
      const one = async () => (await s.gql('query($id: ID!) { parityRun(businessUnit: "bak", id: $id) { status error } }', { id: run.id }, OPERATOR)).body.data.parityRun;
      await expect(one()).resolves.toEqual({ status: 'RUNNING', error: null });
      cmd.child.kill('SIGKILL');
      expect(await cmd.exited).toBe(null);
      // The database notices the dropped connection (and its lock) within moments.
      const until = Date.now() + 10_000;
      let after = await one();
      while (after.status === 'RUNNING' && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
        after = await one();
      }
      expect(after).toEqual({ status: 'FAILED', error: expect.stringMatching(/^interrupted: the process running this comparison stopped/) });
      expect((await runsNow())).toMatchObject({ id: run.id, status: 'FAILED' });
    }, 90_000);
  });
});
