import fs from 'node:fs';
import { makeBusinessUnit } from '../src/db/business-unit';
import { Database } from '../src/db/database';
import { ExportRunner } from '../src/export/export-runner';
import { LocalExportStore } from '../src/export/export-store';
import { ExportWorker } from '../src/export/export-worker';
import { createLogger } from '../src/logger';
import { ExportJobService } from '../src/services/export-job.service';
async function main() {
  const db = await Database.connect('postgres://postgres:postgres@127.0.0.1:55432/benchkeep');
  const bu = makeBusinessUnit('bak');
  const store = new LocalExportStore('/tmp/expbench/out');
  const log = createLogger('warn');
  let t0 = 0;
  const runner = new ExportRunner(db, store, log, { afterSnapshot: async () => { t0 = performance.now(); },
    afterFile: async (_j, f) => { console.log(f.name, f.rows, ((performance.now() - t0) / 1000).toFixed(2)); t0 = performance.now(); } });
  const worker = new ExportWorker(db, runner, [bu], log);
  const jobs = new ExportJobService(db, store, 3600);
  const templates = (process.env.T ?? 'items.csv').split(',');
  await jobs.request(bu, { requestedBy: 'prof', templates });
  await worker.runNext(bu);
  await db.close();
}
main();
