import { connectDatabase } from '../db/connect';
import { BusinessUnitLoader } from '../loaders/business-unit-loader';
import { createSource } from '../loaders/source/source-factory';
import { ReplayService } from '../services/replay.service';
import { ExitCode, cliCommand, runCli, selectBusinessUnits } from './cli-runtime';

const program = cliCommand('replay')
  .description('Replay a business unit from a load event: mark it and every later event, put the state back to just before it, '
    + 'and apply the files from there again as they are in the source now. Exit code: 0 done, 3 the reload stopped at a failing file, '
    + '2 refused (unknown business unit or event, event already replayed, no reason) or bad arguments, 1 error (e.g. a load held the BU too long: retry).')
  .requiredOption('--bu <code>', 'business unit code')
  .requiredOption('--from-event <id>', 'the load event to replay from (see loadEvents)')
  .requiredOption('--reason <text>', 'why (kept on every marked event)')
  .option('--dry-run', 'show which events would be marked and which files re-applied; change nothing')
  .parse();

const opts = program.opts<{ bu: string; fromEvent: string; reason: string; dryRun?: boolean }>();

void runCli(async (config, log, scope) => {
  const [bu] = selectBusinessUnits(config, [opts.bu]);
  const database = await connectDatabase(config, log, { poolSize: 3 });
  scope.closeOnSignal(() => database.close());
  const source = createSource(config.source, config.s3);
  try {
    const replay = new ReplayService(database.db, source, log, null);
    const outcome = await replay.replay(bu, opts.fromEvent, `${opts.reason} (by the replay command)`, !!opts.dryRun);
    const result = {
      businessUnit: bu.code, dryRun: outcome.dryRun, markedEvents: outcome.markedEvents, fromEvent: outcome.fromEvent.id,
      restored: outcome.restored, filesToReplay: outcome.filesToReplay,
    };
    // One JSON document on stdout: the replay, and (unless a dry run) how the reload went.
    const reload = outcome.dryRun ? null : await new BusinessUnitLoader(database.db, source, config, log).loadOnce(bu);
    process.stdout.write(`${JSON.stringify(reload ? { ...result, reload } : result, null, 2)}\n`);
    if (!reload || reload.status === 'done') return ExitCode.Ok;
    return reload.status === 'busy' || reload.status === 'interrupted' ? ExitCode.Error : ExitCode.Failed;
  } finally {
    await source.close?.();
    await database.close();
  }
});
