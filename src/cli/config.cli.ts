import fs from 'node:fs';
import path from 'node:path';
import { connectDatabase } from '../db/connect';
import { badInput } from '../errors/domain-error';
import { SettingsFileService } from '../services/settings-file.service';
import { ExitCode, cliCommand, runCli, selectBusinessUnits } from './cli-runtime';

/**
 * The export configuration as a JSON file, for version control and bulk setup:
 *   npm run -s config -- export --bu bak [--out bak-export-config.json]
 *   npm run -s config -- import --bu bak bak-export-config.json [--dry-run]
 */
const program = cliCommand('config').description('Export or import the CSV export configuration (templates, field mappings, decorators) '
  + 'of a business unit. Exit code: 0 done, 2 refused (unknown business unit, unreadable or invalid file: nothing saved) or bad arguments, 1 error.');

function connectAndRun(code: string, fn: (files: SettingsFileService, bu: ReturnType<typeof selectBusinessUnits>[number]) => Promise<ExitCode>) {
  void runCli(async (config, log, scope) => {
    const [bu] = selectBusinessUnits(config, [code]);
    const database = await connectDatabase(config, log, { poolSize: 2 });
    scope.closeOnSignal(() => database.close());
    try {
      return await fn(new SettingsFileService(database.db), bu);
    } finally {
      await database.close();
    }
  });
}

program.command('export')
  .description('Write the configuration as JSON (to stdout, or --out; its folder is created).')
  .requiredOption('--bu <code>', 'business unit code')
  .option('--out <file>', 'file to write')
  .action((o: { bu: string; out?: string }) => connectAndRun(o.bu, async (files, bu) => {
    const text = `${JSON.stringify(await files.exportConfig(bu), null, 2)}\n`;
    if (o.out) {
      fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
      fs.writeFileSync(o.out, text);
      process.stdout.write(`${JSON.stringify({ businessUnit: bu.code, written: path.resolve(o.out), bytes: Buffer.byteLength(text) })}\n`);
    } else {
      process.stdout.write(text);
    }
    return ExitCode.Ok;
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
      throw badInput(`cannot read ${file} as JSON: ${(err as Error).message}`);
    }
    const summary = await files.importConfig(bu, raw, { dryRun: !!o.dryRun });
    process.stdout.write(`${JSON.stringify({ businessUnit: bu.code, ...summary }, null, 2)}\n`);
    return ExitCode.Ok;
  }));

program.parse();
