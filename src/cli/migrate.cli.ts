import { Command } from 'commander';
import path from 'node:path';
import { connectDatabase } from '../db/connect';
import { runMigrations } from '../db/migrations-runner';
import { runCli } from './cli-runtime';

new Command('migrate')
  .description('Create or bring up to date the schema of every configured business unit (BUSINESS_UNITS).')
  .parse();

void runCli(async (config, log) => {
  const database = await connectDatabase(config, log, { poolSize: 2, migrate: false });
  try {
    const reports = await runMigrations(database.db, config.businessUnits, path.join(config.projectRoot, 'migrations'));
    for (const r of reports) {
      process.stdout.write(`${r.businessUnit} (${r.schema}): ${r.applied.length ? `applied ${r.applied.join(', ')}` : 'up to date'}\n`);
    }
    return 0;
  } finally {
    await database.close();
  }
});
