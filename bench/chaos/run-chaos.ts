import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { PROJECT_ROOT } from '../bench-database';
import { CampaignResult, FaultRecord, runCampaign } from './campaign';
import { ChaosWorld } from './chaos-world';
import { FAULT_KINDS, FaultKind } from './faults';

/**
 * `npm run chaos -- --faults N [--kinds a,b] [--products P] [--seed S]`: a bounded fault campaign
 * against the service as a real process, a real PostgreSQL and a real S3-compatible server, judged
 * by an oracle (docs/reliability.md). Prints one line per fault kind, writes the figures as JSON
 * (bench/chaos-results.json) and exits 1 on any fault not injected, not recovered or with a state
 * that differs. Not part of `npm test`.
 */
const o = new Command('chaos')
  .description('Inject faults into the running service and check it recovers to the state of a fault-free load.')
  .option('--faults <n>', 'faults of each kind', '2')
  .option('--kinds <list>', `comma list of: ${FAULT_KINDS.join(', ')}`, FAULT_KINDS.join(','))
  .option('--products <n>', 'products in each full snapshot', '3000')
  .option('--delta-size <n>', 'lines per delta', '500')
  .option('--seed <n>', 'seed of the bucket and of every random choice', '1')
  .option('--out <file>', 'where the figures go', path.join(PROJECT_ROOT, 'bench', 'chaos-results.json'))
  .option('--keep', 'keep the run folder (logs, data) even when everything passed')
  .parse()
  .opts();

const positive = (name: string, raw: string) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a whole number ≥ 1, got "${raw}"`);
    process.exit(2);
  }
  return n;
};

const say = (m: string) => process.stderr.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

function summary(records: FaultRecord[], kinds: readonly FaultKind[], rounds: number) {
  return kinds.map((kind) => {
    const mine = records.filter((r) => r.kind === kind);
    const seconds = mine.filter((r) => r.recovered && r.recoverSeconds !== null).map((r) => r.recoverSeconds!).sort((a, b) => a - b);
    const median = seconds.length ? (seconds.length % 2 ? seconds[(seconds.length - 1) / 2] : (seconds[seconds.length / 2 - 1] + seconds[seconds.length / 2]) / 2) : null;
    return {
      kind, requested: rounds,
      injected: mine.filter((r) => r.injected).length,
      recovered: mine.filter((r) => r.recovered).length,
      stateEqual: mine.filter((r) => r.stateEqual).length,
      recoverSeconds: { median: median === null ? null : Math.round(median * 10) / 10, max: seconds.length ? Math.round(seconds[seconds.length - 1] * 10) / 10 : null },
    };
  });
}

async function main(): Promise<number> {
  const rounds = positive('faults', o.faults);
  const kinds = String(o.kinds).split(',').map((k) => k.trim()).filter(Boolean) as FaultKind[];
  const unknown = kinds.filter((k) => !FAULT_KINDS.includes(k));
  if (unknown.length || !kinds.length) {
    console.error(`unknown fault kind(s) ${unknown.join(', ')}; known: ${FAULT_KINDS.join(', ')}`);
    return 2;
  }
  const products = positive('products', o.products);
  const deltaSize = positive('delta-size', o.deltaSize);
  const seed = positive('seed', o.seed);
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pim-chaos-'));
  // As root the PostgreSQL server runs as `postgres`, which must be able to enter it.
  fs.chmodSync(runDir, 0o755);
  const started = Date.now();
  let world: ChaosWorld | null = null;
  const result: CampaignResult = { baseline: null, faults: [], missedWindows: {}, final: { problems: [] } };
  let failure: string | null = null;
  try {
    // Enough deltas that a run does not apply the same one twice in a row (past the end they come again, renamed).
    world = await ChaosWorld.create({ runDir, products, deltaSize, deltaCount: Math.max(10, rounds * 6), seed, say });
    await runCampaign(world, kinds, rounds, result);
  } catch (err) {
    failure = (err as Error).stack ?? String(err);
    say(`the campaign stopped: ${failure}`);
  } finally {
    await world?.teardown();
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  const rows = summary(result.faults, kinds, rounds);
  const command = `npm run chaos -- --faults ${rounds}${kinds.length === FAULT_KINDS.length ? '' : ` --kinds ${kinds.join(',')}`} --products ${products} --seed ${seed}`;
  const lines = [
    `${'fault kind'.padEnd(16)}${'injected'.padStart(9)}${'recovered'.padStart(11)}${'state equal'.padStart(13)}   seconds to recover (median / max)`,
    ...rows.map((r) => `${r.kind.padEnd(16)}${`${r.injected}/${r.requested}`.padStart(9)}${String(r.recovered).padStart(11)}${String(r.stateEqual).padStart(13)}   `
      + `${r.recoverSeconds.median ?? '-'} / ${r.recoverSeconds.max ?? '-'}`),
  ];
  process.stdout.write(`${command}\n${lines.join('\n')}\n`);
  const misses = rows.filter((r) => r.injected !== r.requested || r.recovered !== r.injected || r.stateEqual !== r.injected);
  const finalProblems = result.final.problems;
  if (failure) process.stdout.write('final check: not reached (the campaign stopped)\n');
  else if (finalProblems.length) process.stdout.write(`final check: ${finalProblems.join('; ')}\n`);
  else process.stdout.write('final check: settled; equal to the reference; a fresh load of the whole bucket equals both\n');
  fs.writeFileSync(o.out, `${JSON.stringify({
    command, date: new Date().toISOString(), seconds,
    settings: { faults: rounds, kinds, products, deltaSize, seed },
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    baseline: result.baseline, kinds: rows, missedWindows: result.missedWindows,
    final: failure ? null : result.final, failure, faults: result.faults,
  }, null, 2)}\n`);
  const ok = !failure && !misses.length && !finalProblems.length;
  say(`${ok ? 'passed' : 'FAILED'} in ${seconds} s; figures in ${o.out}${ok && !o.keep ? '' : `; logs and data in ${runDir}`}`);
  if (ok && !o.keep) fs.rmSync(runDir, { recursive: true, force: true });
  return ok ? 0 : 1;
}

main().then((code) => process.exit(code), (err) => {
  console.error(err);
  process.exit(1);
});
