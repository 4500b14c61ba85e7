import { Command } from 'commander';
import { connectDatabase } from '../db/connect';
import { BusinessUnitLoader, PassResult } from '../loaders/business-unit-loader';
import { LoadScheduler } from '../loaders/load-scheduler';
import { createSource } from '../loaders/source-factory';
import { runCli, selectBusinessUnits } from './cli-runtime';

const program = new Command('load')
  .description('Load pending inRiver files into PostgreSQL. Exit code: 0 all done, 3 a BU is blocked or a file failed, 1 error.')
  .option('--bu <code...>', 'business unit code(s), or "all" (default: all configured)')
  .option('--once', 'one pass per BU, then exit (for Airflow tasks); without it, keep polling')
  .parse();

const opts = program.opts<{ bu?: string[]; once?: boolean }>();

void runCli(async (config, log) => {
  const units = selectBusinessUnits(config, opts.bu);
  const database = await connectDatabase(config, log, { poolSize: 4 });
  const source = createSource(config.source, config.s3);
  const loader = new BusinessUnitLoader(database.db, source, config, log);
  try {
    if (!opts.once) {
      const scheduler = new LoadScheduler(loader, units, log);
      scheduler.start(config.loadPollIntervalMs || 60_000);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await scheduler.stop();
      return 0;
    }
    let code = 0;
    for (const bu of units) {
      const result: PassResult = await loader.loadOnce(bu);
      process.stdout.write(`${JSON.stringify({ businessUnit: bu.code, ...result })}\n`);
      if (result.status !== 'done') code = 3;
    }
    return code;
  } finally {
    await source.close?.();
    await database.close();
  }
});
