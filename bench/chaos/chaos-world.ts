import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../../src/config/config';
import { BusinessUnit, makeBusinessUnit } from '../../src/config/business-unit';
import { createS3Client } from '../../src/storage/s3-client';
import { PROJECT_ROOT } from '../bench-database';
import { Rng, prng } from '../prng';
import { BucketFeed, FedFile } from './bucket-feed';
import { ChaosPostgres } from './chaos-postgres';
import { ChaosS3 } from './chaos-s3';
import { eventLogProblems, partialFiles, unfinishedExports, withClient } from './chaos-checks';
import { Oracle } from './oracle';
import { LogLine, OPERATOR_KEY, ServiceCopy } from './service-copy';

export interface WorldOptions {
  runDir: string;
  products: number;
  deltaSize: number;
  deltaCount: number;
  seed: number;
  say(message: string): void;
}

export const BUCKET = 'chaos-source';
export const BU = makeBusinessUnit('bak');
/** Short, so a file lands in the next pass within a second and a survivor takes over soon. */
const POLL_MS = 1000;

interface LoadStatus {
  running: boolean;
  pendingFiles: string[];
  blockedBy: { id: string; errorMessage: string } | null;
  lock: { pid: number; state: string } | null;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const isFileStart = (uri: string) => (l: LogLine) => l.msg === 'file load started' && l.file === uri;
export const isFileComplete = (uri: string) => (l: LogLine) => l.msg === 'file load complete' && l.file === uri;

/**
 * Everything a fault campaign runs on: PostgreSQL, S3 (s3rver behind its relay), the bucket feed,
 * the oracle, and the running copies of the service; plus "settled" (the service has recovered)
 * and the oracle's judgement.
 */
export class ChaosWorld {
  readonly copies: ServiceCopy[] = [];
  /** `bak`, and the business unit added last (one at a time: every configured one is polled every second). */
  units: BusinessUnit[] = [BU];
  readonly rng: Rng;
  /** Measured durations (ms) of unfaulted work, for choosing fault points inside it. */
  readonly durations: Record<'full' | 'delta' | 'restore' | 'reload' | 'export', number[]> = { full: [], delta: [], restore: [], reload: [], export: [] };
  private started = 0;
  private exports = 0;
  private addedUnits = 0;

  private constructor(
    readonly opts: WorldOptions, readonly pg: ChaosPostgres, readonly s3: ChaosS3, readonly feed: BucketFeed,
    readonly oracle: Oracle, readonly urls: { ownerUrl: string; runtimeUrl: string; adminUrl: string },
    private readonly baseEnv: Record<string, string>, readonly exportDir: string,
  ) {
    this.rng = prng(opts.seed * 7919 + 1);
  }

  static async create(opts: WorldOptions): Promise<ChaosWorld> {
    for (const d of ['logs', 'exports']) fs.mkdirSync(path.join(opts.runDir, d), { recursive: true });
    opts.say(`run folder ${opts.runDir}`);
    const [pg, s3] = await Promise.all([ChaosPostgres.start(path.join(opts.runDir, 'pg')), ChaosS3.start(path.join(opts.runDir, 's3'))]);
    const urls = await pg.createServiceDatabase('chaos');
    const exportDir = path.join(opts.runDir, 'exports');
    const env: Record<string, string> = {
      DATABASE_URL: urls.runtimeUrl, MIGRATION_DATABASE_URL: urls.ownerUrl,
      SOURCE_URL: `s3://${BUCKET}`, S3_ENDPOINT: s3.relayEndpoint, S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1',
      EXPORT_URL: pathToFileURL(exportDir).href, BUSINESS_UNITS: BU.code, PORT: '0', HOST: '127.0.0.1',
      API_KEYS: `${OPERATOR_KEY}:operator`, LOAD_POLL_INTERVAL_MS: String(POLL_MS), EXPORT_POLL_INTERVAL_MS: String(POLL_MS),
      LOG_LEVEL: 'info', NODE_ENV: 'production', PIM_PROJECT_ROOT: PROJECT_ROOT,
    };
    const client = createS3Client({ endpoint: s3.directEndpoint, forcePathStyle: true, region: 'us-east-1' });
    process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';
    const feed = new BucketFeed(client, BUCKET, opts.runDir, { products: opts.products, deltaSize: opts.deltaSize, seed: opts.seed },
      (upload) => s3.whileHeld(upload));
    opts.say(`generating ${opts.products} products and ${opts.deltaCount} deltas of ${opts.deltaSize} lines …`);
    await feed.init(opts.deltaCount);
    // The oracle loads with the service's own limits (its configuration read from the same environment).
    const oracle = await Oracle.start(opts.runDir, { endpoint: s3.directEndpoint, bucket: BUCKET }, [BU], loadConfig(env).loader);
    return new ChaosWorld(opts, pg, s3, feed, oracle, urls, env, exportDir);
  }

  get primary(): ServiceCopy {
    const copy = this.copies.find((c) => c.alive);
    if (!copy) throw new Error('no copy of the service is running');
    return copy;
  }

  /** The environment a copy starts with now: the business units configured at this point. */
  get env(): Record<string, string> {
    return { ...this.baseEnv, BUSINESS_UNITS: this.units.map((u) => u.code).join(',') };
  }

  /**
   * A business unit of its own (schema, folder with a channel file and a full snapshot) in place
   * of the last one added; copies started from now on have it configured, as after a restart in
   * production. Returns the full snapshot its first load applies.
   */
  async addBusinessUnit(): Promise<{ bu: BusinessUnit; full: FedFile }> {
    const bu = makeBusinessUnit(`f${++this.addedUnits}`);
    const full = await this.feed.addBusinessUnit(bu.sourceFolder);
    await this.oracle.addBusinessUnit(bu);
    this.units = [BU, bu];
    return { bu, full };
  }

  async startCopy(): Promise<ServiceCopy> {
    const name = `copy-${++this.started}`;
    const copy = await ServiceCopy.start(name, this.env, path.join(this.opts.runDir, 'logs', `${name}.log`));
    this.copies.push(copy);
    return copy;
  }

  /** Forgets copies that have ended. */
  prune(): void {
    for (let i = this.copies.length - 1; i >= 0; i--) if (!this.copies[i].alive) this.copies.splice(i, 1);
  }

  uri(f: FedFile): string {
    return this.feed.uriOf(f.key);
  }

  /** A point inside work of this kind: up to 90% of its typical duration, halved on each retry. */
  delayFor(kind: keyof ChaosWorld['durations'], attempt: number): number {
    const d = [...this.durations[kind]].sort((a, b) => a - b);
    const typical = d.length ? d[Math.floor(d.length / 2)] : 1000;
    return Math.max(20, Math.round(this.rng.next() * typical * 0.9 / 2 ** (attempt - 1)));
  }

  /** Records the apply times the copies logged since `from` marks. */
  noteDurations(marks: Map<ServiceCopy, number>): void {
    for (const copy of this.copies.concat([...marks.keys()].filter((c) => !this.copies.includes(c)))) {
      for (const l of copy.lines.slice(marks.get(copy) ?? 0)) {
        if (l.msg === 'file load complete' && typeof l.durationMs === 'number' && String(l.file).includes('/PRODUCT/')) {
          this.durations[String(l.file).includes('_full_') ? 'full' : 'delta'].push(l.durationMs);
        }
      }
    }
  }

  marks(): Map<ServiceCopy, number> {
    return new Map(this.copies.map((c) => [c, c.mark()]));
  }

  async triggerLoad(copy = this.primary): Promise<void> {
    await copy.graphql(`mutation { triggerLoad(businessUnit: "${BU.code}") { businessUnit } }`).catch(() => undefined);
  }

  async requestExport(copy = this.primary): Promise<string> {
    const data = await copy.graphql<{ requestExport: { id: string } }>(
      `mutation($key: String) { requestExport(businessUnit: "${BU.code}", idempotencyKey: $key) { id } }`, { key: `chaos-${++this.exports}` });
    return data.requestExport.id;
  }

  /** Why the service has not recovered yet; null once it has. */
  async unsettled(): Promise<string | null> {
    if (!this.s3.isUp) return 's3 is down';
    const live = this.copies.filter((c) => c.alive);
    if (!live.length) return 'no copy of the service runs';
    for (const copy of live) {
      const ready = await copy.readyz().catch((err: Error) => ({ status: 0, body: { error: err.message } }));
      if (ready.status !== 200) return `${copy.name} /readyz ${ready.status}: ${JSON.stringify(ready.body).slice(0, 300)}`;
    }
    for (const bu of this.units) {
      const problems = await withClient(this.urls.adminUrl, (c) => eventLogProblems(c, this.feed.filesFor(bu.sourceFolder)), bu.schema);
      if (problems.length) return `${bu.code}: ${problems.join('; ')}`;
    }
    const exports = await withClient(this.urls.adminUrl, (c) => unfinishedExports(c));
    if (exports.length) return exports.join('; ');
    const partial = partialFiles(this.exportDir);
    if (partial.length) return `.partial files left: ${partial.join(', ')}`;
    for (const copy of live) {
      for (const bu of this.units) {
        const { loadStatus: s } = await copy.graphql<{ loadStatus: LoadStatus }>(
          `{ loadStatus(businessUnit: "${bu.code}") { running pendingFiles blockedBy { id errorMessage } lock { pid state } } }`);
        if (s.blockedBy) return `${copy.name}: ${bu.code} blocked by event ${s.blockedBy.id}: ${s.blockedBy.errorMessage}`;
        if (s.pendingFiles.length) return `${copy.name}: ${bu.code}: ${s.pendingFiles.length} files pending`;
        // A poll pass holds the lock for a moment every second: seen, the next check looks again.
        if (s.running || s.lock) return `${copy.name}: ${bu.code}: a pass is running (lock: ${JSON.stringify(s.lock)})`;
        // A plain read goes through the business unit's read-only pool, which must have reconnected too.
        await copy.graphql(`{ products(businessUnit: "${bu.code}", first: 1) { nodes { entityId } } }`);
      }
    }
    return null;
  }

  /** Checks until the service has recovered or `timeoutMs` passed; `at` is when it was first seen recovered. */
  async settle(timeoutMs: number): Promise<{ ok: boolean; at: number; reason: string | null }> {
    const deadline = Date.now() + timeoutMs;
    let reason: string | null = 'not checked';
    while (Date.now() < deadline) {
      reason = await this.unsettled().catch((err: Error) => `check failed: ${err.message}`);
      if (!reason) return { ok: true, at: Date.now(), reason: null };
      await sleep(250);
    }
    return { ok: false, at: Date.now(), reason };
  }

  /** The oracle: each business unit's state equals the reference's (a fault-free load of the same bucket). */
  async judge(): Promise<string[]> {
    const problems: string[] = [];
    for (const bu of this.units) {
      await this.oracle.catchUp(bu);
      problems.push(...await this.oracle.compareWithReference(this.urls.adminUrl, bu));
    }
    return problems;
  }

  async teardown(): Promise<void> {
    await Promise.allSettled(this.copies.filter((c) => c.alive).map((c) => c.sigterm()));
    await this.oracle.stop().catch(() => undefined);
    await this.s3.stop().catch(() => undefined);
    await this.pg.stop().catch(() => undefined);
  }
}
