import fs from 'node:fs';
import path from 'node:path';
import { blockingErrorSql } from '../../src/repositories/load-event.repository';
import { exportJob, withClient } from './chaos-checks';
import { BU, ChaosWorld } from './chaos-world';
import { FAULTS, FaultKind, RECOVERY_TIMEOUT_MS, isReplayRestored, isReplayStart } from './faults';

export interface FaultRecord {
  kind: FaultKind;
  n: number;
  attempts: number;
  injected: boolean;
  recovered: boolean;
  stateEqual: boolean;
  recoverSeconds: number | null;
  detail: string;
  problems: string[];
}

export interface CampaignResult {
  baseline: Record<string, number> | null;
  faults: FaultRecord[];
  /** Attempts whose work ended before the fault point (not counted, tried again). */
  missedWindows: Record<string, number>;
  final: { problems: string[] };
}

/**
 * Runs the campaign on a world: a baseline without faults (which also measures how long each kind
 * of work takes, so faults land inside it, and checks that the oracle agrees before anything is
 * broken), then `faults` rounds of every kind in a seeded order, each judged by the oracle, then a
 * truly fresh load of the whole bucket.
 */
export async function runCampaign(w: ChaosWorld, kinds: readonly FaultKind[], rounds: number, result: CampaignResult): Promise<void> {
  const say = w.opts.say;
  result.baseline = await baseline(w);
  for (let round = 1; round <= rounds; round++) {
    const order = [...kinds];
    for (let i = order.length - 1; i > 0; i--) {
      const j = w.rng.int(0, i);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const kind of order) {
      let record: FaultRecord;
      try {
        record = await runFault(w, kind, round, result);
      } catch (err) {
        // Counted, then the campaign stops: nothing after it could be judged.
        result.faults.push({ kind, n: round, attempts: 1, injected: true, recovered: false, stateEqual: false, recoverSeconds: null,
          detail: 'the service could not be brought back', problems: [(err as Error).message] });
        throw err;
      }
      result.faults.push(record);
      say(`${kind} #${round}: ${record.injected ? 'injected' : 'NOT injected'}, ${record.recovered ? `recovered in ${record.recoverSeconds?.toFixed(1)} s` : 'NOT recovered'}, `
        + `${record.stateEqual ? 'state equal' : 'STATE DIFFERS'} — ${record.detail}${record.problems.length ? `; ${record.problems.join('; ')}` : ''}`);
    }
  }
  say('final check: settled, equal to the reference, and a fresh load of the whole bucket equal to both …');
  const settled = await w.settle(RECOVERY_TIMEOUT_MS);
  if (!settled.ok) result.final.problems.push(`not settled at the end: ${settled.reason}`);
  result.final.problems.push(...await w.judge(), ...await w.oracle.freshLoadDiff(w.units));
}

async function runFault(w: ChaosWorld, kind: FaultKind, n: number, result: CampaignResult): Promise<FaultRecord> {
  const record: FaultRecord = { kind, n, attempts: 0, injected: false, recovered: false, stateEqual: false, recoverSeconds: null, detail: '', problems: [] };
  for (let attempt = 1; attempt <= 4; attempt++) {
    record.attempts = attempt;
    const marks = w.marks();
    let injection;
    try {
      injection = await FAULTS[kind](w, attempt);
    } catch (err) {
      record.detail = `the fault could not be set up: ${(err as Error).message}`;
      record.injected = true; // counted, so the run fails: the campaign itself went wrong
      await repair(w, kind);
      return record;
    }
    const settled = await w.settle(RECOVERY_TIMEOUT_MS);
    w.noteDurations(marks);
    const confirmed = injection.skipped ? { hit: false, detail: injection.skipped } : await injection.confirm();
    if (!confirmed.hit && settled.ok) {
      result.missedWindows[kind] = (result.missedWindows[kind] ?? 0) + 1;
      record.detail = confirmed.detail;
      continue;
    }
    record.injected = true;
    record.detail = confirmed.detail;
    if (settled.ok) {
      record.problems.push(...(await injection.verify?.()) ?? []);
      record.recoverSeconds = (settled.at - injection.injectedAt) / 1000;
    } else {
      record.problems.push(`not recovered within ${RECOVERY_TIMEOUT_MS / 1000} s: ${settled.reason}`);
      await repair(w, kind);
    }
    record.recovered = settled.ok && record.problems.length === 0;
    const diffs = [...await w.judge(), ...(injection.compare ? await injection.compare() : [])];
    record.stateEqual = diffs.length === 0;
    record.problems.push(...diffs);
    clearExports(w);
    return record;
  }
  record.detail = `the work ended before the fault point ${record.attempts} times: ${record.detail}`;
  return record;
}

/** Job folders are compared once and then removed: the disk stays bounded over a long run. */
function clearExports(w: ChaosWorld): void {
  if (!fs.existsSync(w.exportDir)) return;
  for (const entry of fs.readdirSync(w.exportDir)) fs.rmSync(path.join(w.exportDir, entry), { recursive: true, force: true });
}

/**
 * What an operator would do when the service did not recover by itself (the fault is already
 * counted as not recovered): restart the copies, and replay from the event that blocks the
 * business unit. The campaign goes on only if that brings it back.
 */
async function repair(w: ChaosWorld, kind: FaultKind): Promise<void> {
  w.opts.say(`${kind}: not recovered by itself; restarting the service and replaying from a blocking event, as an operator would`);
  if (!w.s3.isUp) await w.s3.up();
  for (const copy of w.copies.filter((c) => c.alive)) await copy.kill9();
  w.prune();
  await w.startCopy();
  let settled = await w.settle(60_000);
  if (settled.ok) return;
  for (const bu of w.units) {
    const [blocked] = await withClient(w.urls.adminUrl, async (c) => (await c.query<{ id: string; error_message: string }>(blockingErrorSql())).rows, bu.schema);
    if (!blocked) continue;
    // The runbook: from the event the message names (a late or overwritten file), else from the error.
    const from = /Replay from event (\d+)/.exec(blocked.error_message)?.[1] ?? String(blocked.id);
    await w.primary.graphql(`mutation($from: ID!) { requestReplay(businessUnit: "${bu.code}", fromEventId: $from, reason: "chaos campaign: repair") { markedEvents } }`,
      { from }, 120_000);
  }
  settled = await w.settle(RECOVERY_TIMEOUT_MS);
  if (!settled.ok) throw new Error(`the service could not be brought back after ${kind}: ${settled.reason}`);
}

/** Loads, a delta, a replay and an export without faults: timings, and the oracle agreeing with the service. */
async function baseline(w: ChaosWorld): Promise<Record<string, number>> {
  const say = w.opts.say;
  const expectEqual = async (what: string) => {
    const diffs = await w.judge();
    if (diffs.length) throw new Error(`before any fault, after ${what}, the service and the oracle differ: ${diffs.join('; ')}`);
  };
  const settle = async (what: string) => {
    const s = await w.settle(600_000);
    if (!s.ok) throw new Error(`before any fault, ${what} did not settle: ${s.reason}`);
    return s.at;
  };
  say('baseline: the first load (AttributeFile, channel file, full snapshot) …');
  let t = Date.now();
  const copy = await w.startCopy();
  let marks = new Map([[copy, 0]]);
  const first = (await settle('the first load')) - t;
  w.noteDurations(marks);
  await expectEqual('the first load');
  say('baseline: a delta, a replay, an export …');
  marks = w.marks();
  await w.feed.addDelta();
  t = Date.now();
  await w.triggerLoad();
  const delta = (await settle('a delta')) - t;
  w.noteDurations(marks);
  await expectEqual('a delta');
  const [{ start }] = await withClient(w.urls.adminUrl, async (c) => (await c.query<{ start: string }>(
    `SELECT start_event_id::text AS start FROM load_event WHERE event_type = 'file_complete' AND replay_date IS NULL AND entity_type = 'Product' ORDER BY id DESC LIMIT 1`)).rows);
  const replayMark = w.primary.mark();
  await w.primary.graphql(`mutation($from: ID!) { requestReplay(businessUnit: "${BU.code}", fromEventId: $from, reason: "chaos baseline") { markedEvents } }`, { from: start }, 120_000);
  const replayEnd = await settle('a replay');
  const replayStart = w.primary.find(isReplayStart, replayMark);
  const replayRestored = w.primary.find(isReplayRestored, replayMark);
  if (!replayStart || !replayRestored) throw new Error('before any fault, the replay did not log its start and its restore');
  // Its restore transaction, then its files applied again: where a kill lands during a replay.
  w.durations.restore.push(replayRestored.time - replayStart.time);
  w.durations.reload.push(replayEnd - replayRestored.time);
  const replay = replayEnd - replayStart.time;
  await expectEqual('a replay');
  const mark = w.primary.mark();
  const id = await w.requestExport();
  const started = await w.primary.waitFor((l) => l.msg === 'export job started' && l.exportJob === id, mark, 120_000);
  const done = await w.primary.waitFor((l) => l.msg === 'export job succeeded' && l.exportJob === id, mark, 600_000);
  if (!started || !done) throw new Error(`before any fault, export job ${id} did not succeed`);
  w.durations.export.push(done.time - started.time);
  await settle('an export');
  const exportDiffs = await w.oracle.compareExport(BU, await withClient(w.urls.adminUrl, (c) => exportJob(c, id)));
  if (exportDiffs.length) throw new Error(`before any fault, the export differs from the reference's: ${exportDiffs.join('; ')}`);
  clearExports(w);
  return {
    firstLoadMs: first, fullApplyMs: w.durations.full[0] ?? 0, deltaMs: delta, deltaApplyMs: w.durations.delta[0] ?? 0,
    replayMs: replay, replayRestoreMs: w.durations.restore[0], replayReloadMs: w.durations.reload[0], exportMs: w.durations.export[0],
  };
}
