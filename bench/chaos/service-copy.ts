import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../bench-database';

/** A pino line of the service's log (stderr), with the time this process received it. */
export interface LogLine {
  msg: string;
  level: number;
  /** When the service logged it (epoch ms); the same machine's clock as the campaign's. */
  time: number;
  [field: string]: unknown;
}

export const OPERATOR_KEY = 'chaos-campaign-operator-key';

/**
 * One copy of the service as production runs it: `node dist/src/main.js`, its own process, its
 * JSON log on stderr (kept in a file and watched for what the campaign waits on).
 */
export class ServiceCopy {
  readonly lines: LogLine[] = [];
  private waiters: { from: number; pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitedAt: number | null = null;

  private constructor(readonly name: string, private readonly child: ChildProcess, readonly url: string, logFile: string, early: string) {
    const log = fs.createWriteStream(logFile, { flags: 'a' });
    log.write(early);
    const first = early.split('\n');
    let partial = first.pop() ?? '';
    for (const text of first) this.take(text);
    child.stderr!.on('data', (d: Buffer) => {
      log.write(d);
      partial += d.toString('utf8');
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) this.take(text);
    });
    this.exited = new Promise((resolve) => child.once('close', (code, signal) => {
      this.exitedAt = Date.now();
      log.end();
      resolve({ code, signal });
    }));
  }

  static async start(name: string, env: Record<string, string>, logFile: string): Promise<ServiceCopy> {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'src', 'main.js')], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let early = '';
    const onEarly = (d: Buffer) => { early += d; };
    child.stderr!.on('data', onEarly);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        const m = /GraphQL:\s+(\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`service ${name} exited with ${code} before it was ready:\n${early.slice(-4000)}`)));
    });
    child.stderr!.off('data', onEarly);
    return new ServiceCopy(name, child, url, logFile, early);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exitedAt === null;
  }

  private take(text: string): void {
    if (!text.startsWith('{')) return;
    let line: LogLine;
    try {
      line = JSON.parse(text);
    } catch {
      return;
    }
    // The service logs ISO times; kept as epoch ms for comparing with this process's clock.
    line.time = typeof line.time === 'string' ? Date.parse(line.time) : Number(line.time);
    this.lines.push(line);
    const index = this.lines.length - 1;
    this.waiters = this.waiters.filter((w) => {
      if (index < w.from || !w.pred(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** Where the log is now: waitFor(…, mark) sees only what comes after. */
  mark(): number {
    return this.lines.length;
  }

  /** The first line from `from` on that `pred` accepts (also one already received). */
  waitFor(pred: (l: LogLine) => boolean, from: number, timeoutMs: number): Promise<LogLine | null> {
    const seen = this.lines.slice(from).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const waiter = { from, pred, resolve: (l: LogLine) => { clearTimeout(timer); resolve(l); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(null);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  find(pred: (l: LogLine) => boolean, from = 0): LogLine | undefined {
    return this.lines.slice(from).find(pred);
  }

  /** kill -9: nothing of the service runs after it, no handler, no cleanup. */
  async kill9(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and the wait for the process to end; the exit code says whether the stop was graceful. */
  async sigterm(): Promise<{ code: number | null; ms: number }> {
    const started = Date.now();
    this.child.kill('SIGTERM');
    const { code } = await this.exited;
    return { code, ms: Date.now() - started };
  }

  async graphql<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR_KEY}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.json() as { data?: T; errors?: { message: string }[] };
    if (body.errors?.length) throw new Error(`${this.name}: ${body.errors.map((e) => e.message).join('; ')}`);
    return body.data as T;
  }

  async readyz(): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(this.url.replace(/\/graphql$/, '/readyz'), {
      headers: { authorization: `Bearer ${OPERATOR_KEY}` }, signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: await res.json() as Record<string, unknown> };
  }
}
