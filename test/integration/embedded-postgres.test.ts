import { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { dataLocation, reachable } from '../../src/db/embedded-postgres-files';
import { RunningCommand, buildCommands, runCommand, startCommand } from '../support/cli-process';
import { PROJECT_ROOT } from '../support/test-database';

/**
 * The embedded PostgreSQL's lifecycle across processes: whoever starts it stops it; a process
 * that finds it running under a living owner is a guest and leaves it alone; a server whose owner
 * died (kill -9) is adopted by the next process, which stops it in turn.
 */

let build: ReturnType<typeof buildCommands>;
let work: string;
let env: Record<string, string>;
const pidFile = () => path.join(work, 'data', 'pg', 'postmaster.pid');

beforeAll(() => {
  build = buildCommands();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-embedded-'));
  fs.chmodSync(work, 0o755);
  env = {
    DATA_DIR: path.join(work, 'data'), SOURCE_URL: `file://${path.join(PROJECT_ROOT, 'samples', 'bucket')}`, LOG_LEVEL: 'info',
    LOAD_POLL_INTERVAL_MS: '60000',
  };
}, 120_000);
afterAll(() => {
  build?.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Until the embedded server runs and names `pid` as its owner. */
function ownedBy(pid: number | undefined): boolean {
  try {
    return JSON.parse(fs.readFileSync(path.join(work, 'data', 'pg', 'pim-accumulator.owner'), 'utf8')).pid === pid && fs.existsSync(pidFile());
  } catch {
    return false;
  }
}

/** `load` without --once: keeps polling (and the embedded server running) until a signal. */
function startPolling(): RunningCommand {
  const command = startCommand(build.dir, 'load', [], env);
  children.push(command.child);
  return command;
}

/** A server whose owner was killed (kill -9): it keeps running, owned by nobody alive. */
async function orphanServer(): Promise<void> {
  const owner = startPolling();
  await until('the server of the polling command', () => ownedBy(owner.child.pid));
  owner.child.kill('SIGKILL');
  await owner.exited;
}

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function serverAnswers(): Promise<boolean> {
  const port = Number(fs.readFileSync(pidFile(), 'utf8').split('\n')[3]);
  const client = new Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/postgres` });
  try {
    await client.connect();
    return (await client.query('SELECT 1 AS one')).rows[0].one === 1;
  } finally {
    await client.end().catch(() => undefined);
  }
}

it('a command run beside the process that started the server shares it and leaves it running; SIGTERM stops the owner and its server', async () => {
  const owner = startPolling();
  await until('the first load pass', () => /load pass done/.test(owner.stderr()));
  expect(owner.stderr()).toMatch(/creating the embedded PostgreSQL data folder/);

  const guest = await runCommand(build.dir, 'load', ['--once'], env);
  expect(guest.code).toBe(0);
  expect(guest.stderr).not.toMatch(/adopted/);
  expect(await serverAnswers()).toBe(true);

  owner.child.kill('SIGTERM');
  expect(await owner.exited).toBe(0);
  expect(fs.existsSync(pidFile())).toBe(false);
}, 90_000);

it('a server left running by a killed owner is adopted by the next command, which stops it', async () => {
  await orphanServer();
  expect(await serverAnswers()).toBe(true); // the killed owner could not stop it

  const next = await runCommand(build.dir, 'migrate', [], env);
  expect(next.code).toBe(0);
  expect(next.stderr).toMatch(/adopted the embedded PostgreSQL \(pid \d+\) left running by process \d+, which is gone/);
  expect(fs.existsSync(pidFile())).toBe(false);
}, 90_000);

it('SIGTERM during a one-shot command closes the database and stops the server it owns', async () => {
  await orphanServer();
  // Hold BAK's loader lock so that the replay below waits (up to 60 s) inside its work.
  const port = Number(fs.readFileSync(pidFile(), 'utf8').split('\n')[3]);
  const holder = new Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/postgres` });
  holder.on('error', () => undefined); // the server stops under it: that is the point
  await holder.connect();
  await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', ['pim-accumulator:load:inriver_bak']);
  try {
    const replay = startCommand(build.dir, 'replay', ['--bu', 'bak', '--from-event', '1', '--reason', 'test'], env);
    children.push(replay.child);
    await until('the replay to adopt the server', () => /adopted/.test(replay.stderr()));
    await waitForLockWaiter(holder);
    replay.child.kill('SIGTERM');
    expect(await replay.exited).toBe(143);
    expect(replay.stderr()).toMatch(/stopping: closing the database, work in flight rolls back/);
    expect(fs.existsSync(pidFile())).toBe(false);
  } finally {
    await holder.end().catch(() => undefined);
  }
}, 90_000);

/** Until another session polls for the lock the holder has (the replay retries pg_try_advisory_lock). */
async function waitForLockWaiter(holder: Client): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { rows } = await holder.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE '%pg_try_advisory_lock%'`);
    if (rows[0].n > 0) return;
    if (Date.now() > deadline) throw new Error('the replay never asked for the lock');
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('the service started on the embedded default stops on SIGTERM, with its server, exit 0', async () => {
  const service = startCommand(build.dir, 'main', [], { ...env, PORT: '0' });
  children.push(service.child);
  await until('the start banner', () => /pim-accumulator is running/.test(service.stdout()));
  expect(service.stdout()).toMatch(/database: +embedded PostgreSQL on port \d+, data in /);
  const stoppedAt = Date.now();
  service.child.kill('SIGTERM');
  expect(await service.exited).toBe(0);
  expect(Date.now() - stoppedAt).toBeLessThan(15_000);
  expect(fs.existsSync(pidFile())).toBe(false);
}, 90_000);

describe('where the server user can reach (as root the server runs as "postgres")', () => {
  const other = { name: 'postgres', uid: 4_000_001, gid: 4_000_001 };

  it('sees a private folder (mode 700, another owner) as out of reach, and an enterable one as reachable', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-reach-'));
    try {
      fs.chmodSync(dir, 0o700);
      expect(reachable(other, path.join(dir, 'data'))).toBe(false);
      fs.chmodSync(dir, 0o711);
      expect(reachable(other, path.join(dir, 'data'))).toBe(true);
      expect(reachable(null, path.join(dir, 'data'))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never moves a data folder the user chose; a default one moves under /var/lib (root) or is an error naming the private folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-reach-'));
    try {
      fs.chmodSync(dir, 0o700);
      const requested = path.join(dir, '.data', 'pg');
      expect(() => dataLocation(requested, other, { chosen: true, projectRoot: dir })).toThrow(`cannot enter ${dir}`);
      if (process.getuid?.() === 0) {
        const moved = dataLocation(requested, other, { chosen: false, projectRoot: dir });
        expect(moved.relocatedFrom).toBe(requested);
        expect(moved.dir).toMatch(new RegExp(`^/var/lib/pim-accumulator/${path.basename(dir)}-[0-9a-f]{8}/pg$`));
        fs.rmSync(path.dirname(moved.dir), { recursive: true, force: true });
      } else {
        expect(() => dataLocation(requested, other, { chosen: false, projectRoot: dir })).toThrow(/cannot be used instead/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
