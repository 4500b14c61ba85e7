import os from 'node:os';
import { connectDatabase } from '../db/connect';
import { badInput } from '../errors/domain-error';
import { ExportRunner } from '../export/job/export-runner';
import { createExportStore } from '../export/job/export-store';
import { ExportWorker } from '../export/job/export-worker';
import { ExportJobService } from '../services/export-job.service';
import { ExitCode, cliCommand, runCli, selectBusinessUnits } from './cli-runtime';

const program = cliCommand('export')
  .description('Queue a full CSV export of a business unit (as requestExport does) and, with --wait, run it here and wait for it. '
    + 'Without --idempotency-key, a job still queued for the same templates is reused. '
    + 'Exit code: 0 succeeded (or queued, without --wait), 3 the export failed, 4 --timeout passed, '
    + '2 refused (unknown business unit or template, idempotency key used with other templates) or bad arguments, '
    + '1 busy (the business unit already has EXPORT_MAX_QUEUED jobs queued or running: retry later) or error.')
  .requiredOption('--bu <code>', 'business unit code')
  .option('--templates <names>', 'comma list of template (file) names; default: every enabled template')
  .option('--idempotency-key <key>', 'same key => same job (an Airflow retry reuses the job instead of starting another)')
  .option('--wait', 'run the export in this process (a running service may claim it first) and wait for the outcome')
  .option('--timeout <seconds>', 'with --wait: give up waiting after this long', '21600')
  .parse();

const opts = program.opts<{ bu: string; templates?: string; idempotencyKey?: string; wait?: boolean; timeout: string }>();
const POLL_MS = 1000;

void runCli(async (config, log, scope) => {
  const startedAt = Date.now();
  const [bu] = selectBusinessUnits(config, [opts.bu]);
  const timeoutMs = Number(opts.timeout) * 1000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw badInput(`--timeout must be a positive number of seconds, got ${opts.timeout}`);
  const database = await connectDatabase(config, log, { poolSize: 4 });
  scope.closeOnSignal(() => database.close());
  const store = createExportStore(config.exportTarget, config.s3);
  const worker = opts.wait ? new ExportWorker(database.db, new ExportRunner(database.db, store, log), [bu], log) : null;
  try {
    const jobs = new ExportJobService(database.db, store, config.export.downloadUrlExpirySeconds, () => worker?.wake(), config.export.maxQueued);
    const templates = opts.templates?.split(',').map((t) => t.trim()).filter(Boolean);
    let job = await jobs.request(bu, {
      templates: templates?.length ? templates : null,
      idempotencyKey: opts.idempotencyKey ?? null,
      requestedBy: `cli:${os.userInfo().username}@${os.hostname()}`,
    });
    if (worker) {
      worker.start(POLL_MS);
      const deadline = startedAt + timeoutMs;
      while (job.status === 'QUEUED' || job.status === 'RUNNING') {
        if (Date.now() > deadline) {
          process.stdout.write(`${JSON.stringify({ businessUnit: bu.code, jobId: job.id, status: job.status, timedOut: true })}\n`);
          return ExitCode.TimedOut;
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
        job = (await jobs.get(bu, job.id))!;
      }
    }
    process.stdout.write(`${JSON.stringify({ businessUnit: bu.code, ...job }, null, 2)}\n`);
    return job.status === 'FAILED' ? ExitCode.Failed : ExitCode.Ok;
  } finally {
    await worker?.stop();
    await store.close();
    await database.close();
  }
});
