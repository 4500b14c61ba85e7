import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { embeddedPostgres } from '../../src/db/embedded-postgres';
import { TempBucket, productLine } from '../support/bucket-factory';
import { readMigrations } from '../../src/db/migrations-runner';
import { CliResult, RunningCommand, buildCommands, runCommand, startCommand, stdoutJson } from '../support/cli-process';
import { until } from '../support/lock-gate';
import { MIGRATIONS_DIR, PROJECT_ROOT, TestDatabase, createTestDatabase } from '../support/test-database';

/**
 * Every command × outcome of the README's exit-code table, through real child processes, with the
 * embedded PostgreSQL (each command starts and stops its own server in a temp DATA_DIR) and with
 * DATABASE_URL. stdout must hold only the result (JSON where it is JSON); logs go to stderr.
 */

let build: ReturnType<typeof buildCommands>;
beforeAll(() => { build = buildCommands(); }, 120_000);
afterAll(() => build?.remove());

const GEM_BAD_FILE = 'GEM/PRODUCT/2026/04/ecommerce_20260416000000000_001.jsonl';

function makeBucket(): TempBucket {
  const bucket = new TempBucket().copyFrom(path.join(PROJECT_ROOT, 'samples', 'bucket'));
  // Twenty lines that are not JSON: over LOAD_MAX_BAD_LINES (10), so the file fails and blocks GEM.
  bucket.write(GEM_BAD_FILE, `${JSON.stringify(productLine({ id: 1 }))}\n${'{not json\n'.repeat(20)}`);
  return bucket;
}

describe.each(['embedded', 'external'] as const)('commands and their exit codes, %s PostgreSQL', (mode) => {
  let bucket: TempBucket;
  let work: string;
  let db: TestDatabase | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    bucket = makeBucket();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-cli-'));
    fs.chmodSync(work, 0o755); // as root the embedded server's user must reach DATA_DIR
    env = {
      BUSINESS_UNITS: 'bak,gem', SOURCE_URL: `file://${bucket.root}`, EXPORT_URL: `file://${path.join(work, 'exports')}`,
      LOG_LEVEL: 'info', EXPORT_POLL_INTERVAL_MS: '200',
    };
    if (mode === 'external') {
      db = await createTestDatabase(['bak', 'gem']);
      env.DATABASE_URL = db.url;
      env.MIGRATION_DATABASE_URL = db.ownerUrl;
    } else {
      env.DATA_DIR = path.join(work, 'data');
    }
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    bucket?.remove();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const run = async (name: string, args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> => {
    const result = await runCommand(build.dir, name, args, { ...env, ...extraEnv });
    if (mode === 'embedded' && !extraEnv.DATA_DIR) {
      // Whoever started the embedded server stopped it again.
      expect(fs.existsSync(path.join(env.DATA_DIR, 'pg', 'postmaster.pid'))).toBe(false);
    }
    return result;
  };
  const expectExit = (result: CliResult, code: number) => {
    if (result.code !== code) throw new Error(`exit ${result.code}, expected ${code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  };

  describe('load', () => {
    it('0 when caught up: one JSON line per business unit on stdout, logs on stderr', async () => {
      const r = await run('load', ['--bu', 'bak', '--once']);
      expectExit(r, 0);
      expect(stdoutJson(r)).toEqual([{ businessUnit: 'bak', status: 'done', applied: 4 }]); // AttributeFile, channel, 2 product files
      expect(r.stderr).toMatch(/"msg":"load pass done"/);
    });

    it('3 when a file fails, and 3 again while that file blocks the business unit', async () => {
      const failed = await run('load', ['--bu', 'gem', '--once']);
      expectExit(failed, 3);
      const [first] = stdoutJson(failed) as { status: string; errorEventId: string }[];
      expect(first).toMatchObject({ businessUnit: 'gem', status: 'failed' });
      const blocked = await run('load', ['--bu', 'gem', '--once']);
      expectExit(blocked, 3);
      expect(stdoutJson(blocked)).toEqual([expect.objectContaining({ status: 'blocked', errorEventId: first.errorEventId })]);
    });

    it('2 for an unknown business unit, an unknown option and a bad setting', async () => {
      const unknownBu = await run('load', ['--bu', 'nope', '--once']);
      expectExit(unknownBu, 2);
      expect(unknownBu.stdout).toBe('');
      expect(unknownBu.stderr).toMatch(/unknown business unit "nope"; configured \(BUSINESS_UNITS\): bak, gem/);
      const unknownOption = await run('load', ['--bogus']);
      expectExit(unknownOption, 2);
      expect(unknownOption.stderr).toMatch(/unknown option '--bogus'/);
      const badSetting = await run('load', ['--once'], { LOAD_MAX_BAD_RATIO: '2' });
      expectExit(badSetting, 2);
      expect(badSetting.stderr).toMatch(/LOAD_MAX_BAD_RATIO/);
    });

    it('1 when the source cannot be read: the pass is interrupted (not failed: the BU is not blocked) and says why', async () => {
      const r = await run('load', ['--bu', 'bak', '--once'], { SOURCE_URL: 's3://no-such-bucket-pim', S3_ENDPOINT: 'http://127.0.0.1:9', S3_FORCE_PATH_STYLE: 'true',
        AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_MAX_ATTEMPTS: '1' });
      expectExit(r, 1);
      expect(stdoutJson(r)).toEqual([expect.objectContaining({ businessUnit: 'bak', status: 'interrupted',
        message: expect.stringMatching(/S3 ListObjectsV2 of s3:\/\/no-such-bucket-pim\/.* failed: connect ECONNREFUSED/) })]);
    });
  });

  describe('replay', () => {
    it('0 for a dry run and for a replay whose reload catches up', async () => {
      const dry = await run('replay', ['--bu', 'bak', '--from-event', '1', '--reason', 'cli test', '--dry-run']);
      expectExit(dry, 0);
      expect(stdoutJson(dry)).toEqual([expect.objectContaining({ businessUnit: 'bak', dryRun: true, fromEvent: '1' })]);
      const done = await run('replay', ['--bu', 'bak', '--from-event', '1', '--reason', 'cli test']);
      expectExit(done, 0);
      expect(stdoutJson(done)).toEqual([expect.objectContaining({ businessUnit: 'bak', dryRun: false, fromEvent: '1', reload: { status: 'done', applied: 4 } })]);
    });

    it('3 when the reload stops at a file that still fails', async () => {
      const [blocked] = stdoutJson(await run('load', ['--bu', 'gem', '--once'])) as { errorEventId: string }[];
      const r = await run('replay', ['--bu', 'gem', '--from-event', blocked.errorEventId, '--reason', 'file not fixed yet']);
      expectExit(r, 3);
      expect((stdoutJson(r)[0] as { reload: { status: string } }).reload.status).toBe('failed');
    });

    it('2 for an unknown event, an event already replayed, a missing reason and an unknown business unit', async () => {
      const unknown = await run('replay', ['--bu', 'bak', '--from-event', '999999', '--reason', 'x']);
      expectExit(unknown, 2);
      expect(unknown.stderr).toMatch(/there is no load event 999999 in business unit bak/);
      const again = await run('replay', ['--bu', 'bak', '--from-event', '1', '--reason', 'x']);
      expectExit(again, 2);
      expect(again.stderr).toMatch(/load event 1 was already replayed/);
      expectExit(await run('replay', ['--bu', 'bak', '--from-event', '1']), 2);
      expectExit(await run('replay', ['--bu', 'nope', '--from-event', '1', '--reason', 'x']), 2);
      for (const r of [unknown, again]) expect(r.stdout).toBe('');
    });
  });

  describe('export', () => {
    it('0 when the export succeeds, with the job as JSON on stdout', async () => {
      const r = await run('export', ['--bu', 'bak', '--wait', '--templates', 'products.csv,items.csv']);
      expectExit(r, 0);
      const [job] = stdoutJson(r) as { status: string; files: { name: string; rows: number }[] }[];
      expect(job.status).toBe('SUCCEEDED');
      expect(job.files.map((f) => [f.name, f.rows])).toEqual([['products.csv', 3], ['items.csv', 3]]);
    });

    it('2 for an unknown template, an idempotency key reused with other templates, and a bad --timeout', async () => {
      const unknown = await run('export', ['--bu', 'bak', '--templates', 'nope.csv']);
      expectExit(unknown, 2);
      expect(unknown.stderr).toMatch(/unknown template\(s\): nope.csv/);
      expectExit(await run('export', ['--bu', 'bak', '--templates', 'items.csv', '--idempotency-key', 'k1']), 0);
      const clash = await run('export', ['--bu', 'bak', '--templates', 'products.csv', '--idempotency-key', 'k1']);
      expectExit(clash, 2);
      expect(clash.stderr).toMatch(/k1/);
      expectExit(await run('export', ['--bu', 'bak', '--wait', '--timeout', 'soon']), 2);
      for (const r of [unknown, clash]) expect(r.stdout).toBe('');
    });

    it('4 when --timeout passes before the job ends', async () => {
      const r = await run('export', ['--bu', 'bak', '--wait', '--timeout', '0.001']);
      expectExit(r, 4);
      expect(stdoutJson(r)).toEqual([expect.objectContaining({ timedOut: true })]);
    });

    it('3 when the export fails', async () => {
      // A file where the export folder should be: writing the first file fails (ENOTDIR), even as root.
      const blocker = path.join(work, 'not-a-folder');
      fs.writeFileSync(blocker, '');
      const r = await run('export', ['--bu', 'bak', '--wait', '--templates', 'items.csv'], { EXPORT_URL: `file://${blocker}/exports` });
      expectExit(r, 3);
      expect(stdoutJson(r)).toEqual([expect.objectContaining({ status: 'FAILED', error: expect.stringMatching(/ENOTDIR/) })]);
    });

    it('1 while the business unit already has EXPORT_MAX_QUEUED jobs queued or running (busy: retry later); a job queued for the same templates is reused', async () => {
      // A --wait worker runs queued jobs oldest first: once its own is done, none of the earlier tests' is left.
      expectExit(await run('export', ['--bu', 'bak', '--wait', '--templates', 'products.csv']), 0);
      const one = { EXPORT_MAX_QUEUED: '1' };
      const queued = await run('export', ['--bu', 'bak', '--templates', 'items.csv'], one);
      expectExit(queued, 0);
      const [job] = stdoutJson(queued) as { id: string; status: string }[];
      expect(job.status).toBe('QUEUED');
      const same = await run('export', ['--bu', 'bak', '--templates', 'items.csv'], one);
      expectExit(same, 0);
      expect(stdoutJson(same)).toEqual([expect.objectContaining({ id: job.id, status: 'QUEUED' })]);
      const busy = await run('export', ['--bu', 'bak', '--templates', 'products.csv'], one);
      expectExit(busy, 1);
      expect(busy.stdout).toBe('');
      expect(busy.stderr).toMatch(/^error: bak already has 1 export job\(s\) queued or running \(\d+; at most 1, EXPORT_MAX_QUEUED\): try again/m);
      // --wait for the same templates runs that job and reports it.
      const waited = await run('export', ['--bu', 'bak', '--wait', '--templates', 'items.csv'], one);
      expectExit(waited, 0);
      expect(stdoutJson(waited)).toEqual([expect.objectContaining({ id: job.id, status: 'SUCCEEDED' })]);
    });
  });

  describe('config', () => {
    it('0 for export to stdout (JSON) and to a file in a folder that does not exist yet, and for importing it back', async () => {
      const out = await run('config', ['export', '--bu', 'bak']);
      expectExit(out, 0);
      const [config] = stdoutJson(out) as { templates: { name: string }[] }[];
      expect(config.templates.map((t) => t.name)).toContain('items.csv');
      const file = path.join(work, 'config', 'nested', 'bak.json');
      const written = await run('config', ['export', '--bu', 'bak', '--out', file]);
      expectExit(written, 0);
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(config);
      const imported = await run('config', ['import', '--bu', 'bak', file]);
      expectExit(imported, 0);
      expect(stdoutJson(imported)).toEqual([expect.objectContaining({ businessUnit: 'bak' })]);
    });

    it('2 for an invalid file (nothing saved), a file that is not JSON, and an unknown business unit', async () => {
      const before = (await run('config', ['export', '--bu', 'bak'])).stdout;
      const bad = path.join(work, 'bad.json');
      fs.writeFileSync(bad, JSON.stringify({ formatVersion: 1, templates: [{ name: 'x.csv', rowSource: 'NOPE', columns: [] }] }));
      const invalid = await run('config', ['import', '--bu', 'bak', bad]);
      expectExit(invalid, 2);
      expect(invalid.stderr).toMatch(/NOPE/);
      expect((await run('config', ['export', '--bu', 'bak'])).stdout).toBe(before);
      const notJson = path.join(work, 'not.json');
      fs.writeFileSync(notJson, '{');
      expectExit(await run('config', ['import', '--bu', 'bak', notJson]), 2);
      expectExit(await run('config', ['export', '--bu', 'nope']), 2);
      expectExit(await run('config', ['frobnicate']), 2);
    });
  });

  describe('migrate', () => {
    it('0 when every schema is current', async () => {
      expectExit(await run('migrate', []), 0);
      const ok = await run('migrate', []);
      expectExit(ok, 0);
      expect(ok.stdout).toBe('bak (inriver_bak): up to date\ngem (inriver_gem): up to date\n');
    });
  });

  describe('every command', () => {
    it('1 when the database cannot be used, with the reason on stderr and nothing on stdout', async () => {
      const notACluster = path.join(work, 'not-a-cluster');
      const broken: Record<string, string> = mode === 'external' ? { DATABASE_URL: 'postgres://nobody:x@127.0.0.1:9/none' } : { DATA_DIR: notACluster };
      if (mode === 'embedded') fs.mkdirSync(path.join(notACluster, 'pg', 'something'), { recursive: true });
      const commands: [string, string[]][] = [['load', ['--once']], ['replay', ['--bu', 'bak', '--from-event', '1', '--reason', 'x']],
        ['export', ['--bu', 'bak']], ['config', ['export', '--bu', 'bak']], ['migrate', []]];
      for (const [name, args] of commands) {
        const failed = await run(name, args, broken);
        expectExit(failed, 1);
        expect(failed.stdout).toBe('');
        expect(failed.stderr).toMatch(mode === 'external' ? /ECONNREFUSED/ : /holds no PostgreSQL data/);
      }
    });

    it('load --once: 1 while another loader holds the business unit (retry later)', async () => {
      // As the service would: this test holds BAK's loader lock (on the embedded server, as its owner).
      const server = mode === 'embedded' ? await embeddedPostgres({ dataDir: path.join(env.DATA_DIR, 'pg'), port: 0 }) : null;
      const holder = new Client({ connectionString: server?.url ?? env.DATABASE_URL });
      await holder.connect();
      try {
        await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', ['pim-accumulator:load:inriver_bak']);
        const r = await runCommand(build.dir, 'load', ['--bu', 'bak', '--once'], env);
        expectExit(r, 1);
        expect(stdoutJson(r)).toEqual([expect.objectContaining({ businessUnit: 'bak', status: 'busy' })]);
      } finally {
        await holder.end();
        await server?.stop();
      }
    });
  });
});

describe('migrate, two processes at once on a new database', () => {
  it('applies each migration once: for each business unit one process applies them, the other finds them done; both exit 0', async () => {
    const db = await createTestDatabase(['bak', 'gem'], { migrationsDir: null });
    const holder = new Client({ connectionString: db.ownerUrl });
    await holder.connect();
    const key = 'pim-accumulator:migrate:inriver_bak';
    const commands: RunningCommand[] = [];
    try {
      // Taken here first: both processes wait at BAK's migration lock, so they surely migrate at the same time.
      await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
      const env = {
        BUSINESS_UNITS: 'bak,gem', SOURCE_URL: `file://${path.join(PROJECT_ROOT, 'samples', 'bucket')}`,
        DATABASE_URL: db.url, MIGRATION_DATABASE_URL: db.ownerUrl, LOG_LEVEL: 'info',
      };
      commands.push(startCommand(build.dir, 'migrate', [], env), startCommand(build.dir, 'migrate', [], env));
      await until('both migrate commands to wait for the lock', async () => (await holder.query(
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1 AND NOT granted
           AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`, [key])).rows[0].n === 2, 60_000);
      await holder.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
      const codes = await Promise.all(commands.map((c) => c.exited));
      expect({ codes, stderr: commands.map((c) => c.stderr()) }).toEqual({ codes: [0, 0], stderr: commands.map((c) => c.stderr()) });
      const all = readMigrations(MIGRATIONS_DIR).map((m) => m.name);
      for (const bu of ['bak (inriver_bak)', 'gem (inriver_gem)']) {
        const lines = commands.map((c) => c.stdout().split('\n').find((l) => l.startsWith(bu)));
        expect(lines.sort()).toEqual([`${bu}: applied ${all.join(', ')}`, `${bu}: up to date`]);
      }
      for (const schema of ['inriver_bak', 'inriver_gem']) {
        const { rows } = await holder.query(`SELECT version, count(*)::int AS n FROM ${schema}.schema_migration GROUP BY 1 ORDER BY 1`);
        expect(rows).toEqual(readMigrations(MIGRATIONS_DIR).map((m) => ({ version: m.version, n: 1 })));
      }
    } finally {
      for (const c of commands) if (c.child.exitCode === null) c.child.kill('SIGKILL');
      await holder.end();
      await db.close();
    }
  }, 90_000);
});
