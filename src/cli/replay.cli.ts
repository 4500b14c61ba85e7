import { Command } from 'commander';
import { connectDatabase } from '../db/connect';
import { BusinessUnitLoader } from '../loaders/business-unit-loader';
import { createSource } from '../loaders/source-factory';
import { ReplayService } from '../services/replay.service';
import { runCli, selectBusinessUnits } from './cli-runtime';

const program = new Command('replay')
  .description('Replay a business unit from a load event: mark it and every later event, put the state back to just before it, '
    + 'and apply the files from there again as they are in the source now. Exit code: 0 done, 3 the reload stopped at a failing file, 1 error.')
  .requiredOption('--bu <code>', 'business unit code')
  .requiredOption('--from-event <id>', 'the load event to replay from (see loadEvents)')
  .requiredOption('--reason <text>', 'why (kept on every marked event)')
  .option('--dry-run', 'show which events would be marked and which files re-applied; change nothing')
  .parse();

const opts = program.opts<{ bu: string; fromEvent: string; reason: string; dryRun?: boolean }>();

void runCli(async (config, log) => {
  const [bu] = selectBusinessUnits(config, [opts.bu]);
  const database = await connectDatabase(config, log, { poolSize: 3 });
  const source = createSource(config.source, config.s3);
  try {
    const replay = new ReplayService(database.db, source, log, null);
    const outcome = await replay.replay(bu, opts.fromEvent, `${opts.reason} (by the replay command)`, !!opts.dryRun);
    process.stdout.write(`${JSON.stringify({
      businessUnit: bu.code, dryRun: outcome.dryRun, markedEvents: outcome.markedEvents, fromEvent: outcome.fromEvent.id,
      restored: outcome.restored, filesToReplay: outcome.filesToReplay,
    }, null, 2)}\n`);
    if (outcome.dryRun) return 0;
    const pass = await new BusinessUnitLoader(database.db, source, config, log).loadOnce(bu);
    process.stdout.write(`${JSON.stringify({ businessUnit: bu.code, reload: pass })}\n`);
    return pass.status === 'done' ? 0 : 3;
  } finally {
    await source.close?.();
    await database.close();
  }
});
