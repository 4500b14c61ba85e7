import { connectDatabase } from '../db/connect';
import { ExitCode, cliCommand, runCli } from './cli-runtime';

cliCommand('migrate')
  .description('Create or bring up to date the schema of every configured business unit (BUSINESS_UNITS), as the owner role '
    + '(MIGRATION_DATABASE_URL), and set the service role\'s privileges. '
    + 'Exit code: 0 done, 1 error, 2 bad configuration.')
  .parse();

void runCli(async (config, log, scope) => {
  const database = await connectDatabase(config, log, { poolSize: 2, migrate: false });
  scope.closeOnSignal(() => database.close());
  try {
    const reports = await database.migrate();
    for (const r of reports) {
      process.stdout.write(`${r.businessUnit} (${r.schema}): ${r.applied.length ? `applied ${r.applied.join(', ')}` : 'up to date'}\n`);
    }
    return ExitCode.Ok;
  } finally {
    await database.close();
  }
});
