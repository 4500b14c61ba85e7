import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { BusinessUnit, makeBusinessUnit } from '../../src/config/business-unit';
import { Database } from '../../src/db/database';
import { isTransientError } from '../../src/db/transient-errors';
import { BusinessUnitLoader } from '../../src/loaders/business-unit-loader';
import { LocalSource } from '../../src/loaders/source/local-source';
import { ReplayService } from '../../src/services/replay.service';
import { TempBucket, jsonl } from '../support/bucket-factory';
import { EventRow, comparableState, freshLoad, productKey } from '../support/loader-harness';
import { loaderLimits } from '../support/loader-limits';
import { Rng, prng, productFileNamer, randomAttributeFile, randomChannelFile, randomProductLines, randomSnapshotParts } from '../support/random-bucket';
import { silentLogger } from '../support/silent-logger';
import { TestDatabase, createTestDatabase } from '../support/test-database';

/**
 * The replay invariant (docs/loading-and-replay.md "Replay"): after any sequence of loads, file
 * replacements and deletions, full snapshots, replays, crashes and restarts, in two business
 * units at once, the state of each BU equals a fresh database loaded from the current source
 * (plus the files deleted from it that are still applied: "A file deleted from the source").
 * Randomized over seeded buckets; PROPERTY_SEEDS / PROPERTY_STEPS make it bigger.
 */

/** A count from the environment: a positive integer, or the test refuses to run (never zero assertions). */
function countFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

const SEEDS = Array.from({ length: countFromEnv('PROPERTY_SEEDS', 3) }, (_, i) => i + 1);
const STEPS = countFromEnv('PROPERTY_STEPS', 8);
const LIMITS = { maxBadLines: 100, maxBadRatio: 1 };
/** Two BUs with the same EntityIds (random-bucket draws from one pool): anything crossing shows. */
const UNITS = [makeBusinessUnit('bak'), makeBusinessUnit('gem', 'GEM')];
const FOLDERS = Object.fromEntries(UNITS.map((u) => [u.code, u.sourceFolder]));

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * The system under test as a process sees it: a database pool, a source and a loader. A restart
 * replaces all three (in-memory state such as a snapshot's parts seen so far, or the source's ETag
 * cache, is gone), as a new process would; the database and the bucket stay.
 */
class World {
  db!: Database;
  source!: LocalSource;
  loader!: BusinessUnitLoader;
  readonly log: string[] = [];
  /** Every version ever written: `key \0 etag` → bytes, to put back a deleted file as it was applied. */
  private readonly written = new Map<string, Buffer>();
  readonly deleted = new Set<string>();
  private armed: { code: string; how: string } | null = null;
  crashes = 0;

  constructor(readonly t: TestDatabase, readonly bucket: TempBucket) {}

  async start(): Promise<void> {
    this.db = await Database.connect(this.t.url, { poolSize: 3 });
    this.source = new LocalSource(this.bucket.root);
    this.loader = new BusinessUnitLoader(this.db, this.source, { loader: loaderLimits(LIMITS) }, silentLogger());
  }

  async restart(why: string): Promise<void> {
    const old = this.db;
    await this.start();
    await old.close();
    this.log.push(`restart (${why})`);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  q = (bu: BusinessUnit, sql: string, params: unknown[] = []): Promise<any[]> => this.t.db.withBu(bu, (m) => m.query(sql, params));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ownerQ = (bu: BusinessUnit, sql: string, params: unknown[] = []): Promise<any[]> => this.t.owner.withBu(bu, (m) => m.query(sql, params));

  write(key: string, content: string, gzip = key.endsWith('.gz')): string {
    const bytes = gzip ? gzipSync(content) : Buffer.from(content);
    this.written.set(`${key}\u0000${sha256(bytes)}`, bytes);
    this.deleted.delete(key);
    this.log.push(`write ${key}`);
    return this.bucket.write(key, bytes);
  }

  remove(key: string): void {
    fs.rmSync(path.join(this.bucket.root, key));
    this.deleted.add(key);
    this.log.push(`delete ${key}`);
  }

  replay(bu: BusinessUnit, from: string, reason: string) {
    return new ReplayService(this.db, this.source, silentLogger(), null).replay(bu, from, reason, false);
  }

  /**
   * The next writes in `bu`'s schema kill their own database session, as a kill -9 of the service
   * would end it: after `countdown` product or node rows or file_complete events, or (with
   * `atComplete`) when that file's file_complete is written, its lines all applied but uncommitted.
   */
  async armCrash(bu: BusinessUnit, opts: { countdown: number } | { atComplete: string }): Promise<void> {
    const owner = (sql: string, params: unknown[] = []) => this.ownerQ(bu, sql, params);
    await owner(`INSERT INTO crash_test.plan (schema, countdown) VALUES ($1, $2)`, [bu.schema, 'countdown' in opts ? opts.countdown : 1]);
    if ('countdown' in opts) {
      await owner(`CREATE TRIGGER crash_test BEFORE INSERT OR UPDATE ON product FOR EACH ROW EXECUTE FUNCTION crash_test.crash()`);
      await owner(`CREATE TRIGGER crash_test BEFORE INSERT OR UPDATE ON channel_node FOR EACH ROW EXECUTE FUNCTION crash_test.crash()`);
      await owner(`CREATE TRIGGER crash_test BEFORE INSERT ON load_event FOR EACH ROW WHEN (NEW.event_type = 'file_complete') EXECUTE FUNCTION crash_test.crash()`);
    } else {
      await owner(`CREATE TRIGGER crash_test BEFORE INSERT ON load_event FOR EACH ROW
        WHEN (NEW.event_type = 'file_complete' AND NEW.source_key = '${opts.atComplete.replace(/'/g, "''")}') EXECUTE FUNCTION crash_test.crash()`);
    }
    this.armed = { code: bu.code, how: 'countdown' in opts ? `after ${opts.countdown} writes` : `at the file_complete of ${opts.atComplete}` };
    this.log.push(`arm a crash in ${bu.code} ${this.armed.how}`);
  }

  async disarm(): Promise<void> {
    if (!this.armed) return;
    const bu = UNITS.find((u) => u.code === this.armed!.code)!;
    for (const table of ['product', 'channel_node', 'load_event']) await this.ownerQ(bu, `DROP TRIGGER IF EXISTS crash_test ON ${table}`);
    await this.ownerQ(bu, 'DELETE FROM crash_test.plan WHERE schema = $1', [bu.schema]);
    this.armed = null;
  }

  /** The session died as armed: no crash may happen unless one was armed for that BU. */
  private async crashed(bu: BusinessUnit, what: string): Promise<void> {
    expect({ unexpectedCrash: what, log: this.log, armedIn: this.armed?.code }).toEqual({ unexpectedCrash: what, log: this.log, armedIn: bu.code });
    this.crashes++;
    this.log.push(`crashed during ${what}`);
    await this.disarm();
    await this.restart('after the crash');
  }

  /** A replay as an operator makes it: if the process dies during it, restart and ask again. */
  async replayAndRetry(bu: BusinessUnit, from: string, reason: string): Promise<void> {
    for (;;) {
      try {
        await this.replay(bu, from, reason);
        this.log.push(`replay ${bu.code} from ${from}`);
        return;
      } catch (err) {
        if (!isTransientError(err)) throw err;
        await this.crashed(bu, `replay of ${bu.code} from ${from}`);
      }
    }
  }

  /** Passes until caught up: restarting after a crash, replaying from the event a blocking error names (as an operator would). */
  async catchUp(bu: BusinessUnit): Promise<void> {
    for (let guard = 0; guard < 12; guard++) {
      const result = await this.loader.loadOnce(bu);
      if (result.status === 'done') return;
      if (result.status === 'interrupted') {
        await this.crashed(bu, `a pass of ${bu.code} (${result.message?.slice(0, 80)})`);
        continue;
      }
      if (result.status !== 'blocked' && result.status !== 'failed') throw new Error(`unexpected pass ${JSON.stringify(result)}\n${this.log.join('\n')}`);
      const from = /Replay from event (\d+)/.exec(result.message ?? '')?.[1] ?? result.errorEventId!;
      this.log.push(`${bu.code} blocked (${result.message?.slice(0, 60)}…)`);
      await this.replayAndRetry(bu, from, 'operator fixes the order');
    }
    throw new Error(`loading of ${bu.code} did not catch up\n${this.log.join('\n')}`);
  }

  /** The source a fresh load must read: the bucket as it is, plus deleted files a valid file_complete still stands for, as they were applied. */
  async freshBucket(): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-fresh-'));
    fs.cpSync(this.bucket.root, dir, { recursive: true });
    for (const bu of UNITS) {
      const applied: { source_key: string; source_etag: string }[] = await this.q(bu,
        `SELECT DISTINCT ON (source_key) source_key, source_etag FROM load_event
         WHERE event_type = 'file_complete' AND replay_date IS NULL AND source_key = ANY($1::text[]) ORDER BY source_key, id DESC`, [[...this.deleted]]);
      for (const a of applied) {
        const bytes = this.written.get(`${a.source_key}\u0000${a.source_etag}`);
        if (!bytes) throw new Error(`no content recorded for ${a.source_key} ${a.source_etag}`);
        fs.mkdirSync(path.dirname(path.join(dir, a.source_key)), { recursive: true });
        fs.writeFileSync(path.join(dir, a.source_key), bytes);
      }
    }
    return dir;
  }
}

/** The crash-test functions (owner's): a per-schema countdown; the session that brings it to 0 terminates itself. */
async function installCrashFunctions(t: TestDatabase): Promise<void> {
  await t.owner.query(`CREATE SCHEMA crash_test`);
  await t.owner.query(`CREATE TABLE crash_test.plan (schema text PRIMARY KEY, countdown int NOT NULL)`);
  // SECURITY DEFINER: the service's role may not write the plan; it may only run the countdown.
  await t.owner.query(`CREATE FUNCTION crash_test.tick(s text) RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = crash_test AS $$
    UPDATE crash_test.plan SET countdown = countdown - 1 WHERE schema = s RETURNING countdown $$`);
  // Not SECURITY DEFINER: a session may terminate itself, the owner may not terminate the service's sessions.
  await t.owner.query(`CREATE FUNCTION crash_test.crash() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF crash_test.tick(TG_TABLE_SCHEMA) <= 0 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;
      RETURN NEW;
    END $$`);
  await t.owner.query(`GRANT USAGE ON SCHEMA crash_test TO PUBLIC`);
}

/** Runs expectations; a failure also prints what led there (jest's diff would show only the lines around a change). */
function withContext(context: string, check: () => void): void {
  try {
    check();
  } catch (err) {
    (err as Error).message += `\n\n${context}`;
    throw err;
  }
}

/** A state with its file URIs relative to the source root (the fresh load reads a copy of the bucket elsewhere). */
const relative = (state: unknown, rootUrl: string) => JSON.parse(JSON.stringify(state).split(`${rootUrl}/`).join(''));

/** What every file_complete of a full snapshot said about products absent from the snapshot, by file. */
const absentBySnapshotPart = (events: EventRow[]) => Object.fromEntries(events
  .filter((e) => e.event_type === 'file_complete' && !e.replay_date && e.metadata?.fullSnapshot)
  .map((e) => [e.source_key, e.metadata.absentFromSnapshot]));

/** One random operation; returns a crash to arm before the BU catches up, if any. */
function operation(w: World, rng: Rng, names: ReturnType<typeof productFileNamer>, files: Map<string, string[]>,
  heldBack: Map<string, { name: string; lines: unknown[] }[]>) {
  const bu = rng.pick(UNITS);
  const own = files.get(bu.code)!;
  const roll = rng.next();
  let crashAt: string | null = null;
  const add = (name: string, lines: unknown[]) => {
    const key = w.write(productKey(bu.sourceFolder, name), jsonl(lines));
    own.push(key);
    return key;
  };
  if (roll < 0.2 || own.length === 0) {
    add(names.delta(), randomProductLines(rng));
  } else if (roll < 0.4) {
    // A full snapshot in 1 to 3 parts; some parts may arrive in a later step (other files may come between).
    const count = rng.int(1, 3);
    const parts = randomSnapshotParts(rng, count);
    const keys = names.full(count);
    const now = rng.chance(0.35) ? rng.int(1, count) : count;
    keys.slice(0, now).forEach((name, i) => add(name, parts[i]));
    heldBack.get(bu.code)!.push(...keys.slice(now).map((name, i) => ({ name, lines: parts[now + i] })));
    if (now > 1 && rng.chance(0.6)) crashAt = productKey(bu.sourceFolder, keys[rng.int(1, now - 1)]);
  } else if (roll < 0.46 && heldBack.get(bu.code)!.length) {
    for (const part of heldBack.get(bu.code)!.splice(0)) add(part.name, part.lines);
  } else if (roll < 0.53) {
    w.write(`${bu.sourceFolder}/CHANNEL/ChannelStructure_001.jsonl`, randomChannelFile(rng));
  } else if (roll < 0.57) {
    w.write('SHARED/AttributeFile.json', randomAttributeFile(rng));
  } else if (roll < 0.68) {
    const key = rng.pick(own);
    w.write(key, jsonl(key.includes('_full_') ? randomSnapshotParts(rng, 1)[0] : randomProductLines(rng)));
  } else if (roll < 0.76) {
    // Deleted after it was applied (every file is applied at the end of each step).
    const key = own.splice(rng.int(0, own.length - 1), 1)[0];
    w.remove(key);
  } else if (roll < 0.9) {
    return { bu, replay: true as const, crashAt };
  } else {
    return { bu, restartOnly: true as const, crashAt };
  }
  return { bu, crashAt };
}

describe.each(SEEDS)('replay invariant, seed %i', (seed) => {
  let t: TestDatabase;
  let bucket: TempBucket;
  let w: World;
  beforeAll(async () => {
    t = await createTestDatabase(UNITS.map((u) => u.code));
    await installCrashFunctions(t);
    bucket = new TempBucket();
    w = new World(t, bucket);
    await w.start();
  });
  afterAll(async () => {
    await w.db.close();
    await t.close();
    bucket.remove();
  });

  it(`holds after each of ${STEPS} random operations, crashes and restarts in two business units`, async () => {
    expect.hasAssertions();
    const rng = prng(seed);
    const names = productFileNamer(rng);
    const files = new Map<string, string[]>(UNITS.map((u) => [u.code, []]));
    const heldBack = new Map<string, { name: string; lines: unknown[] }[]>(UNITS.map((u) => [u.code, []]));
    w.write('SHARED/AttributeFile.json', randomAttributeFile(rng));
    for (const bu of UNITS) w.write(`${bu.sourceFolder}/CHANNEL/ChannelStructure_001.jsonl`, randomChannelFile(rng));

    for (let step = 0; step < STEPS; step++) {
      w.log.push(`-- step ${step}`);
      const op = operation(w, rng, names, files, heldBack);
      // A crash: at a chosen part of a snapshot (a restart between its parts), or after a few writes of whatever comes next.
      if (op.crashAt) await w.armCrash(op.bu, { atComplete: op.crashAt });
      else if (rng.chance(0.3)) await w.armCrash(op.bu, { countdown: rng.int(1, 8) });
      if ('replay' in op) {
        const valid = await w.q(op.bu, 'SELECT id FROM load_event WHERE replay_date IS NULL ORDER BY id');
        if (valid.length) await w.replayAndRetry(op.bu, rng.pick(valid).id, `random replay at step ${step}`);
      }
      if ('restartOnly' in op || rng.chance(0.15)) await w.restart('between passes');
      for (const bu of UNITS) await w.catchUp(bu);
      await w.disarm(); // armed but not reached: nothing was left to write

      const dir = await w.freshBucket();
      try {
        // New objects all the way: a new source (no ETag cache shared with the loader under test), loader and database.
        const fresh = await freshLoad({ codes: UNITS.map((u) => u.code), folders: FOLDERS, limits: LIMITS, source: new LocalSource(dir) });
        for (const [i, bu] of UNITS.entries()) {
          const events: EventRow[] = await w.q(bu, 'SELECT * FROM load_event ORDER BY id');
          const state = await comparableState((sql, params) => w.q(bu, sql, params), bu.code);
          const problems = await logProblems(w, bu, events);
          withContext(`seed ${seed}, step ${step}, ${bu.code}; what happened:\n  ${w.log.join('\n  ')}`, () => {
            expect(fresh[i].result.status).toBe('done');
            expect(relative(state, w.source.url)).toEqual(relative(fresh[i].state, pathToFileURL(dir).href));
            // Each snapshot part reports what a fresh load reports: the parts before it count, across restarts, crashes and replays.
            expect(absentBySnapshotPart(events)).toEqual(absentBySnapshotPart(fresh[i].events));
            expect(problems).toEqual([]);
          });
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    if (process.env.PROPERTY_LOG) console.log(`seed ${seed}:\n  ${w.log.join('\n  ')}`); // eslint-disable-line no-console
  });
});

/**
 * The event log after catching up: every file_start has exactly one outcome (a crashed one is
 * closed as interrupted), each product file has exactly one valid file_complete, and every count
 * adds up (processed = inserted + updated + unchanged + deleted + quarantined).
 */
async function logProblems(w: World, bu: BusinessUnit, events: EventRow[]): Promise<string[]> {
  const problems: string[] = [];
  const outcomes = new Map<string, number>();
  for (const e of events) if (e.start_event_id) outcomes.set(String(e.start_event_id), (outcomes.get(String(e.start_event_id)) ?? 0) + 1);
  for (const e of events.filter((x) => x.event_type === 'file_start')) {
    if (outcomes.get(String(e.id)) !== 1) problems.push(`file_start ${e.id} (${e.source_key}) has ${outcomes.get(String(e.id)) ?? 0} outcomes`);
  }
  const valid = events.filter((e) => e.event_type === 'file_complete' && !e.replay_date);
  const perProductKey = new Map<string, number>();
  for (const e of valid.filter((x) => x.entity_type === 'Product')) perProductKey.set(e.source_key, (perProductKey.get(e.source_key) ?? 0) + 1);
  for (const [key, n] of perProductKey) if (n !== 1) problems.push(`${key} has ${n} valid file_complete events`);
  for await (const o of w.source.list(`${bu.sourceFolder}/PRODUCT/`)) {
    if (!valid.some((e) => e.source_key === o.key && e.source_etag === o.etag)) problems.push(`${o.key} (${o.etag}) has no valid file_complete`);
  }
  for (const e of events.filter((x) => x.event_type === 'file_complete')) {
    const sum = Number(e.records_inserted) + Number(e.records_updated) + Number(e.records_unchanged) + Number(e.records_deleted) + Number(e.records_quarantined);
    if (Number(e.records_processed) !== sum) problems.push(`event ${e.id}: processed ${e.records_processed} ≠ ${sum}`);
  }
  return problems;
}
