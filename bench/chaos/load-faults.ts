import { withClient } from './chaos-checks';
import { ChaosWorld, isFileComplete, isFileStart, sleep } from './chaos-world';
import { Fault, Injection, NOT_INJECTED, addFile, fileStarted, interrupted } from './fault-helpers';

/** Faults while files load: kills, a database restart, S3 outages, two copies, a graceful stop. */

/** kill -9 while a delta applies, then a new process. */
export const killDuringDelta: Fault = async (w, attempt) => {
  const s = await fileStarted(w, 'delta', [w.primary]);
  await sleep(w.delayFor('delta', attempt));
  if (s.copy.find(isFileComplete(s.uri), s.from)) return { skipped: 'the file committed first', injectedAt: Date.now(), confirm: NOT_INJECTED };
  await s.copy.kill9();
  const injectedAt = Date.now();
  w.prune();
  await w.startCopy();
  return { injectedAt, confirm: interrupted(w, s.startId) };
};

/**
 * kill -9 during a full load: the first load of a business unit just added (its schema empty), as
 * when a business unit is added in production (configuration, restart), then a new process.
 */
export const killDuringFullLoad: Fault = async (w, attempt) => {
  const { bu, full } = await w.addBusinessUnit();
  await w.primary.sigterm();
  w.prune();
  const copy = await w.startCopy();
  const uri = w.uri(full);
  const started = await copy.waitFor(isFileStart(uri), 0, 120_000);
  if (!started) throw new Error(`the first load of ${bu.code} did not start ${uri} within 120 s`);
  await sleep(w.delayFor('full', attempt));
  if (copy.find(isFileComplete(uri))) return { skipped: 'the file committed first', injectedAt: Date.now(), confirm: NOT_INJECTED };
  await copy.kill9();
  const injectedAt = Date.now();
  w.prune();
  await w.startCopy();
  return { injectedAt, confirm: interrupted(w, String(started.startEventId), bu) };
};

/** A fast shutdown of PostgreSQL while a file applies; the service is left alone to recover. */
export const pgRestartDuringLoad: Fault = async (w, attempt) => {
  const s = await fileStarted(w, 'either', [w.primary]);
  await sleep(w.delayFor(s.file.kind === 'full' ? 'full' : 'delta', attempt));
  if (s.copy.find(isFileComplete(s.uri), s.from)) return { skipped: 'the file committed first', injectedAt: Date.now(), confirm: NOT_INJECTED };
  const injectedAt = Date.now();
  await w.pg.restart(w.rng.int(0, 2000));
  return {
    injectedAt,
    confirm: interrupted(w, s.startId),
    verify: async () => (s.copy.alive ? [] : [`${s.copy.name} exited after the database restart`]),
  };
};

/** s3rver stopped in the middle of the `nth` listing of a load pass, restarted after a random outage. */
export const s3DuringListing: Fault = async (w) => {
  await w.feed.addDelta();
  const nth = w.rng.int(1, 3);
  const downtime = w.rng.int(500, 4000);
  let seen = 0;
  return s3Outage(w, downtime, `listing ${nth} of a pass`, {
    match: (req) => /[?&]list-type=2/.test(req.path) && ++seen === nth,
    afterBytes: 0,
  });
};

/** s3rver stopped after a random share of a product file's bytes went out, restarted after a random outage. */
export const s3DuringRead: Fault = async (w) => {
  const file = await addFile(w, 'either');
  const cut = 400 + Math.floor(w.rng.next() * file.size * 0.95);
  const downtime = w.rng.int(500, 4000);
  return s3Outage(w, downtime, `the read of ${file.key} after ${cut} of ~${file.size} bytes`, {
    match: (req) => req.method === 'GET' && req.path.split('?')[0] === `/${w.feed.bucket}/${file.key}`,
    afterBytes: cut,
  });
};

async function s3Outage(w: ChaosWorld, downtime: number, where: string, tap: { match: (r: { method: string; path: string }) => boolean; afterBytes: number }): Promise<Injection> {
  let outage: Promise<void> | null = null;
  let injectedAt = 0;
  const fired = new Promise<void>((resolve) => w.s3.arm({
    ...tap,
    fire: () => {
      injectedAt = Date.now();
      outage = w.s3.outage(downtime);
      resolve();
    },
  }));
  // The service's own poll lists the bucket every second: no trigger (its answer would list too).
  const timeout = sleep(120_000).then(() => 'timeout');
  if (await Promise.race([fired, timeout]) === 'timeout') {
    w.s3.disarm();
    throw new Error(`s3: ${where} was never requested within 120 s`);
  }
  await outage;
  return { injectedAt, confirm: async () => ({ hit: true, detail: `s3rver down for ${downtime} ms from ${where}` }) };
}

/** Two copies poll one database; the one applying a file is killed, the other must finish it. */
export const twoCopies: Fault = async (w, attempt) => {
  await w.startCopy();
  const copies = w.copies.filter((c) => c.alive);
  await sleep(1500); // both polling
  const s = await fileStarted(w, 'either', copies, false);
  await sleep(w.delayFor(s.file.kind === 'full' ? 'full' : 'delta', attempt));
  if (s.copy.find(isFileComplete(s.uri), s.from)) {
    await copies[copies.length - 1].sigterm();
    w.prune();
    return { skipped: 'the file committed first', injectedAt: Date.now(), confirm: NOT_INJECTED };
  }
  await s.copy.kill9();
  const injectedAt = Date.now();
  w.prune();
  const survivor = w.primary;
  const survivorMark = survivor.mark();
  return {
    injectedAt,
    confirm: interrupted(w, s.startId),
    verify: async () => (survivor.find(isFileComplete(s.uri), survivorMark) ? [] : [`${survivor.name} did not apply ${s.uri}`]),
  };
};

/** SIGTERM while a file applies: the file commits (or rolls back) whole, the process exits 0, nothing is left open. */
export const sigtermDuringLoad: Fault = async (w, attempt) => {
  const s = await fileStarted(w, 'either', [w.primary]);
  await sleep(w.delayFor(s.file.kind === 'full' ? 'full' : 'delta', attempt));
  if (s.copy.find(isFileComplete(s.uri), s.from)) return { skipped: 'the file committed first', injectedAt: Date.now(), confirm: NOT_INJECTED };
  const injectedAt = Date.now();
  const stop = await s.copy.sigterm();
  const open = await withClient(w.urls.adminUrl, async (c) => (await c.query(
    `SELECT s.id FROM load_event s WHERE s.event_type = 'file_start' AND NOT EXISTS (SELECT 1 FROM load_event o WHERE o.start_event_id = s.id)`)).rows);
  w.prune();
  await w.startCopy();
  return {
    injectedAt,
    confirm: async () => {
      const done = s.copy.find(isFileComplete(s.uri), s.from);
      const hit = !!done && done.time >= injectedAt - 5;
      return { hit, detail: hit ? `the file committed ${done!.time - injectedAt} ms after SIGTERM; exit ${stop.code} after ${stop.ms} ms` : 'the file did not commit after SIGTERM' };
    },
    verify: async () => [
      ...(stop.code === 0 ? [] : [`exit code ${stop.code} after SIGTERM (${stop.ms} ms)`]),
      ...(open.length ? [`file_start left without an outcome by the stop: ${open.map((o) => o.id).join(', ')}`] : []),
    ],
  };
};
