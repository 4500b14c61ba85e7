import { connectDatabase } from '../db/connect';
import { BusinessUnitLoader, PassResult } from '../loaders/business-unit-loader';
import { LoadScheduler } from '../loaders/load-scheduler';
import { createSource } from '../loaders/source/source-factory';
import { ExitCode, cliCommand, runCli, selectBusinessUnits } from './cli-runtime';

const program = cliCommand('load')
  .description('Load pending inRiver files into PostgreSQL. Prints one JSON line per business unit. Exit code: 0 caught up, '
    + '3 a BU is blocked or a file failed, 1 error or another loader holds a BU (retry later), 2 bad arguments or configuration.')
  .option('--bu <code...>', 'business unit code(s), or "all" (default: all configured)')
  .option('--once', 'one pass per BU, then exit (for Airflow tasks); without it, keep polling')
  .parse();

const opts = program.opts<{ bu?: string[]; once?: boolean }>();

void runCli(async (config, log, scope) => {
  const units = selectBusinessUnits(config, opts.bu);
  const database = await connectDatabase(config, log, { poolSize: 4 });
  const source = createSource(config.source, config.s3);
  const loader = new BusinessUnitLoader(database.db, source, config, log);
  try {
    if (!opts.once) {
      const scheduler = new LoadScheduler(loader, units, log);
      scheduler.start(config.loadPollIntervalMs || 60_000);
      await new Promise<void>((resolve) => scope.stopSignal.addEventListener('abort', () => resolve(), { once: true }));
      await scheduler.stop();
      return ExitCode.Ok;
    }
    scope.closeOnSignal(() => database.close());
    let code = ExitCode.Ok;
    for (const bu of units) {
      const result: PassResult = await loader.loadOnce(bu);
      process.stdout.write(`${JSON.stringify({ businessUnit: bu.code, ...result })}\n`);
      if (result.status === 'blocked' || result.status === 'failed') code = ExitCode.Failed;
      else if ((result.status === 'busy' || result.status === 'interrupted') && code === ExitCode.Ok) code = ExitCode.Error;
    }
    return code;
  } finally {
    await source.close?.();
    await database.close();
  }
});
