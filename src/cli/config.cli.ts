import { Command } from 'commander';
import fs from 'node:fs';
import { connectDatabase } from '../db/connect';
import { DomainError } from '../errors/domain-error';
import { ConfigFileService } from '../services/config-file.service';
import { runCli, selectBusinessUnits } from './cli-runtime';

/**
 * The export configuration as a JSON file, for version control and bulk setup:
 *   npm run config -- export --bu bak [--out bak-export-config.json]
 *   npm run config -- import --bu bak bak-export-config.json [--dry-run]
 */
const program = new Command('config').description('Export or import the CSV export configuration (templates, field mappings, decorators) of a business unit.');

function connectAndRun(code: string, fn: (files: ConfigFileService, bu: ReturnType<typeof selectBusinessUnits>[number]) => Promise<number>) {
  void runCli(async (config, log) => {
    const [bu] = selectBusinessUnits(config, [code]);
    const database = await connectDatabase(config, log, { poolSize: 2 });
    try {
      return await fn(new ConfigFileService(database.db), bu);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      const problems = (err.details?.problems as string[] | undefined) ?? [err.message];
      console.error(`error: ${err.message.split(':')[0]}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
      return 1;
    } finally {
      await database.close();
    }
  });
}

program.command('export')
  .description('Write the configuration as JSON (to stdout, or --out).')
  .requiredOption('--bu <code>', 'business unit code')
  .option('--out <file>', 'file to write')
  .action((o: { bu: string; out?: string }) => connectAndRun(o.bu, async (files, bu) => {
    const text = `${JSON.stringify(await files.exportConfig(bu), null, 2)}\n`;
    if (o.out) fs.writeFileSync(o.out, text);
    else process.stdout.write(text);
    return 0;
  }));

program.command('import')
  .description('Validate a configuration file and make each section it has (templates, fieldMappings, decorators, defaultLocale) '
    + 'exactly what the file says, in one transaction; nothing is saved if anything is invalid.')
  .requiredOption('--bu <code>', 'business unit code')
  .argument('<file>', 'JSON file, as written by `config export`')
  .option('--dry-run', 'validate and report; save nothing')
  .action((file: string, o: { bu: string; dryRun?: boolean }) => connectAndRun(o.bu, async (files, bu) => {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`cannot read ${file} as JSON: ${(err as Error).message}`);
    }
    const summary = await files.importConfig(bu, raw, { dryRun: !!o.dryRun });
    process.stdout.write(`${JSON.stringify({ businessUnit: bu.code, ...summary }, null, 2)}\n`);
    return 0;
  }));

program.parse();
