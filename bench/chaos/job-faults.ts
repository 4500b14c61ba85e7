import { exportJob, partialFiles, withClient } from './chaos-checks';
import { BU, ChaosWorld, isFileComplete, sleep } from './chaos-world';
import { Fault, Injection, NOT_INJECTED } from './fault-helpers';
import { LogLine } from './service-copy';

/** Faults during the work an operator asks for: a replay, an export. */

/** kill -9 during a replay: while its restore transaction runs, or while its files are applied again. */
export const killDuringReplay: Fault = async (w, attempt) => {
  const copy = w.primary;
  const points = await withClient(w.urls.adminUrl, async (c) => (await c.query<{ start: string }>(
    `SELECT start_event_id::text AS start FROM load_event WHERE event_type = 'file_complete' AND replay_date IS NULL AND entity_type = 'Product'
     ORDER BY id DESC LIMIT 2`)).rows);
  const point = points[w.rng.int(0, points.length - 1)].start;
  const mark = copy.mark();
  let files: string[] | null = null;
  const call = copy.graphql<{ requestReplay: { filesToReplay: string[] } }>(
    `mutation($from: ID!) { requestReplay(businessUnit: "${BU.code}", fromEventId: $from, reason: "chaos campaign") { filesToReplay } }`, { from: point }, 120_000)
    .then((r) => { files = r.requestReplay.filesToReplay; }, () => undefined);
  const started = await copy.waitFor(isReplayStart, mark, 120_000);
  if (!started) throw new Error(`the replay from event ${point} did not start within 120 s`);
  // Half the kills aim at the restore transaction, half at the files applied again after it.
  if (w.rng.chance(0.5)) {
    await sleep(w.delayFor('restore', attempt));
  } else {
    if (!await copy.waitFor(isReplayRestored, mark, 120_000)) throw new Error(`the replay from event ${point} did not restore within 120 s`);
    await sleep(w.delayFor('reload', attempt));
  }
  const restored = copy.find(isReplayRestored, mark);
  const reapplied = files as string[] | null;
  if (restored && reapplied && reapplied.every((f) => copy.find(isFileComplete(f), mark))) {
    await call;
    return { skipped: 'the replay finished first', injectedAt: Date.now(), confirm: NOT_INJECTED };
  }
  await copy.kill9();
  const injectedAt = Date.now();
  await call;
  w.prune();
  await w.startCopy();
  const phase = restored ? `while its ${reapplied?.length ?? '?'} file(s) were applied again` : 'during its restore transaction';
  return { injectedAt, confirm: async () => ({ hit: true, detail: `killed ${injectedAt - started.time} ms after the replay from event ${point} started, ${phase}` }) };
};

export const isReplayStart = (l: LogLine) => l.msg === 'replay started: restoring the state before the event';
export const isReplayRestored = (l: LogLine) => l.msg === 'replay: state restored, events marked';

/** Checks shared by the export faults: the job succeeded within the attempts allowed, nothing partial left, files as the reference's. */
function exportChecks(w: ChaosWorld, id: string): Pick<Injection, 'verify' | 'compare'> {
  return {
    verify: async () => {
      const job = await withClient(w.urls.adminUrl, (c) => exportJob(c, id));
      const problems: string[] = [];
      if (job.status !== 'SUCCEEDED') problems.push(`export job ${id} is ${job.status}`);
      if (job.attempts > 3) problems.push(`export job ${id} took ${job.attempts} attempts`);
      const partial = partialFiles(w.exportDir);
      if (partial.length) problems.push(`.partial files left: ${partial.join(', ')}`);
      return problems;
    },
    compare: async () => w.oracle.compareExport(BU, await withClient(w.urls.adminUrl, (c) => exportJob(c, id))),
  };
}

async function exportStarted(w: ChaosWorld) {
  const copy = w.primary;
  const mark = copy.mark();
  const id = await w.requestExport(copy);
  const started = await copy.waitFor((l) => l.msg === 'export job started' && l.exportJob === id, mark, 120_000);
  if (!started) throw new Error(`export job ${id} did not start within 120 s`);
  return { copy, id, mark };
}

const exportSucceeded = (id: string) => (l: LogLine) => l.msg === 'export job succeeded' && l.exportJob === id;

export const killDuringExport: Fault = async (w, attempt) => {
  const { copy, id, mark } = await exportStarted(w);
  await sleep(w.delayFor('export', attempt));
  if (copy.find(exportSucceeded(id), mark)) return { skipped: 'the export finished first', injectedAt: Date.now(), confirm: NOT_INJECTED, ...exportChecks(w, id) };
  await copy.kill9();
  const injectedAt = Date.now();
  w.prune();
  await w.startCopy();
  return {
    injectedAt,
    ...exportChecks(w, id),
    confirm: async () => {
      const job = await withClient(w.urls.adminUrl, (c) => exportJob(c, id));
      const hit = job.warnings.some((x) => /was interrupted/.test(x));
      return { hit, detail: hit ? `export job ${id} re-queued after the kill, ${job.attempts} attempts` : `export job ${id} was not interrupted` };
    },
  };
};

/** SIGTERM during an export: the job goes back to the queue, nothing partial is left, the next start finishes it. */
export const sigtermDuringExport: Fault = async (w, attempt) => {
  const { copy, id, mark } = await exportStarted(w);
  await sleep(w.delayFor('export', attempt));
  if (copy.find(exportSucceeded(id), mark)) return { skipped: 'the export finished first', injectedAt: Date.now(), confirm: NOT_INJECTED, ...exportChecks(w, id) };
  const injectedAt = Date.now();
  const stop = await copy.sigterm();
  const partial = partialFiles(w.exportDir);
  const job = await withClient(w.urls.adminUrl, (c) => exportJob(c, id));
  w.prune();
  await w.startCopy();
  const checks = exportChecks(w, id);
  return {
    injectedAt,
    compare: checks.compare,
    confirm: async () => {
      const requeued = copy.find((l) => l.msg === 'export job stopped by shutdown; queued again' && l.exportJob === id, mark);
      return { hit: !!requeued, detail: requeued ? `export job ${id} handed back to the queue; exit ${stop.code} after ${stop.ms} ms` : `export job ${id} was ${job.status} at the stop` };
    },
    verify: async () => [
      ...(stop.code === 0 ? [] : [`exit code ${stop.code} after SIGTERM (${stop.ms} ms)`]),
      ...(partial.length ? [`.partial files left by the stop: ${partial.join(', ')}`] : []),
      ...(['QUEUED', 'SUCCEEDED'].includes(job.status) ? [] : [`export job ${id} was ${job.status} after the stop`]),
      ...await checks.verify!(),
    ],
  };
};
