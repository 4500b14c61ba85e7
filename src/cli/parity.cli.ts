import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectDatabase } from '../db/connect';
import { badInput } from '../errors/domain-error';
import { createS3Client } from '../storage/s3-client';
import { parseNormalizeOption, stepName } from '../parity/cell.normalizer';
import type { ParityRun } from '../parity/parity.types';
import { ParityRunService } from '../services/parity-run.service';
import { renderParityReport } from '../parity/parity-report.renderer';
import { ParityProposeService } from '../parity/parity-propose.service';
import { csvFile } from '../parity/csv-file.reader';
import { delimiterOf, encodingOf } from '../parity/csv-dialect.detector';
import { SettingsFileService } from '../services/settings-file.service';
import { parityRequest } from '../parity/parity-request.parser';
import { ExitCode, cliCommand, runCli, selectBusinessUnits } from './cli-runtime';

/**
 * Parity with the legacy files, for the cut-over team:
 *   npm run -s parity -- compare --bu bak --legacy legacy/items.csv --job 12 --file items.csv --key item_id [--normalize price=numeric …]
 * The run is recorded in the BU (parityRuns over GraphQL); stdout is the run as JSON.
 */
const program = cliCommand('parity').description('Compare exports with legacy CSV files and record each comparison as a parity run. '
  + 'Exit code of compare: 0 identical, 4 different, 2 refused (unknown business unit, job, template or column, a file that cannot be read) '
  + 'or bad arguments, 1 error (database or S3 unreachable).');

const collect = (value: string, previous: string[] = []) => [...previous, value];
const commaList = (values: string[] | undefined) => (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);

interface CompareOpts {
  bu: string; legacy: string; export?: string; job?: string; file?: string; template?: string; key: string[]; normalize?: string[];
  ignore?: string[]; maxExamples: string; html?: string; legacyDelimiter?: string; legacyEncoding?: string; legacyQuote?: string; legacyHeader: boolean;
}

program.command('compare')
  .description('Compare an export file with a legacy file by key: rows on one side only, duplicate keys, per-column equal/different counts '
    + 'with examples, columns on one side only. Both files are loaded into PostgreSQL and joined there, so any size fits.')
  .requiredOption('--bu <code>', 'business unit code')
  .requiredOption('--legacy <file>', 'the legacy file: a path, file:///abs/path or s3://bucket/key')
  .option('--export <file>', 'an export file: a path, file:///abs/path or s3://bucket/key')
  .option('--job <id>', 'or: a succeeded export job, whose file is compared')
  .option('--file <name>', 'with --job: which of its files (needed when it wrote several)')
  .option('--template <name>', 'or: a template rendered now from the current state')
  .requiredOption('--key <columns>', 'key column(s), comma list or repeated', collect)
  .option('--normalize <column=steps>', 'e.g. price=numeric, name=trim,case, updated_at=date(MM/DD/YYYY HH:mm), *=trim; repeatable', collect)
  .option('--ignore <columns>', 'columns left out of the comparison, comma list or repeated', collect)
  .option('--max-examples <n>', 'examples kept per finding (0 to 100)', '5')
  .option('--legacy-delimiter <char>', 'delimiter of the legacy file (, ; | tab); detected when left out')
  .option('--legacy-encoding <name>', 'utf-8, utf-16le, utf-16be or windows-1252; detected when left out')
  .option('--legacy-quote <char>', 'quote character of the legacy file', undefined)
  .option('--no-legacy-header', 'the legacy file has no header line: columns are named 1, 2, …')
  .option('--html <file>', 'also write the run\'s HTML report there (its folder is created)')
  .action((o: CompareOpts) => void runCli(async (config, log, scope) => {
    const [bu] = selectBusinessUnits(config, [o.bu]);
    const maxExamples = Number(o.maxExamples);
    if (!Number.isInteger(maxExamples)) throw badInput(`--max-examples must be a whole number, got ${o.maxExamples}`);
    const req = parityRequest({
      legacy: o.legacy, exportUri: o.export, exportJobId: o.job, exportFile: o.file, template: o.template, key: commaList(o.key),
      normalize: (o.normalize ?? []).map(parseNormalizeOption).map(([c, steps]) => [c, steps.map(stepName).join(',')]),
      ignore: commaList(o.ignore), maxExamples, legacyDelimiter: o.legacyDelimiter, legacyEncoding: o.legacyEncoding,
      legacyQuote: o.legacyQuote, legacyHeader: o.legacyHeader,
    }, `cli:${os.userInfo().username}@${os.hostname()}`);
    const database = await connectDatabase(config, log, { poolSize: 3 });
    scope.closeOnSignal(() => database.close());
    const runs = new ParityRunService(database.db, () => createS3Client(config.s3), log);
    try {
      const run = await runs.run(bu, req);
      if (o.html) writeReport(o.html, run);
      process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
      return run.status === 'IDENTICAL' ? ExitCode.Ok : ExitCode.Different;
    } finally {
      await runs.close();
      await database.close();
    }
  }));

function writeReport(file: string, run: ParityRun): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, renderParityReport(run));
}

interface ProposeOpts {
  bu: string; legacy: string; keyColumn: string; keyField: string; rowSource: string; name?: string; sample: string; minMatch: string;
  legacyDelimiter?: string; legacyEncoding?: string; out?: string;
}

program.command('propose')
  .description('Propose a template that reproduces a legacy file: for every legacy column, rank the sources that render it (attributes of the row '
    + 'and of its parent product, locales, CVL key or value, the transformations the export knows) by the share of rows they match. '
    + 'Prints the proposal as JSON; --out writes the BU\'s whole configuration with the proposed template in it, for `config import`.')
  .requiredOption('--bu <code>', 'business unit code')
  .requiredOption('--legacy <file>', 'the legacy file: a path, file:///abs/path or s3://bucket/key')
  .requiredOption('--key-column <name>', 'the legacy column that identifies a row')
  .requiredOption('--key-field <field>', 'the inRiver field that column equals, e.g. EntityId or ItemWatscoItemNo')
  .option('--row-source <source>', 'ITEM or PRODUCT', 'ITEM')
  .option('--name <file>', 'the proposed template\'s name (default: the legacy file\'s name)')
  .option('--sample <rows>', 'legacy rows scored (the first ones)', '10000')
  .option('--min-match <rate>', 'below this share of matching rows a column needs decorator data or a mapping', '0.9')
  .option('--legacy-delimiter <char>', 'delimiter of the legacy file; detected when left out')
  .option('--legacy-encoding <name>', 'encoding of the legacy file; detected when left out')
  .option('--out <file>', 'write the configuration (current, with the proposed template added or replaced) there')
  .action((o: ProposeOpts) => void runCli(async (config, log, scope) => {
    const [bu] = selectBusinessUnits(config, [o.bu]);
    const rowSource = o.rowSource.toUpperCase();
    if (rowSource !== 'ITEM' && rowSource !== 'PRODUCT') throw badInput(`--row-source must be ITEM or PRODUCT, got ${o.rowSource}`);
    const legacy = csvFile(o.legacy, () => createS3Client(config.s3));
    const name = o.name ?? path.basename(legacy.uri.replace(/^s3:\/\/|^file:\/\//, ''));
    const database = await connectDatabase(config, log, { poolSize: 2 });
    scope.closeOnSignal(() => database.close());
    try {
      const proposal = await new ParityProposeService(database.db).propose(bu, legacy, {
        keyColumn: o.keyColumn, keyField: o.keyField, rowSource, templateName: name, sampleRows: Number(o.sample), minMatchRate: Number(o.minMatch),
        legacyDialect: {
          ...(o.legacyDelimiter ? { delimiter: delimiterOf(o.legacyDelimiter) } : {}), ...(o.legacyEncoding ? { encoding: encodingOf(o.legacyEncoding) } : {}),
        },
      });
      if (o.out) {
        // A configuration file is the whole truth of each section it has: the proposal joins the current templates instead of replacing them all.
        const current = await new SettingsFileService(database.db).exportConfig(bu);
        const templates = [...(current.templates ?? []).filter((t) => t.name !== name), proposal.template];
        fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
        fs.writeFileSync(o.out, `${JSON.stringify({ ...current, templates }, null, 2)}\n`);
      }
      process.stdout.write(`${JSON.stringify({ businessUnit: bu.code, ...proposal, ...(o.out ? { written: path.resolve(o.out) } : {}) }, null, 2)}\n`);
      return ExitCode.Ok;
    } finally {
      await database.close();
    }
  }));

program.command('report')
  .description('Write the HTML report of a recorded parity run (to --out, or stdout).')
  .requiredOption('--bu <code>', 'business unit code')
  .requiredOption('--run <id>', 'parity run id')
  .option('--out <file>', 'file to write (its folder is created)')
  .action((o: { bu: string; run: string; out?: string }) => void runCli(async (config, log, scope) => {
    const [bu] = selectBusinessUnits(config, [o.bu]);
    const database = await connectDatabase(config, log, { poolSize: 2 });
    scope.closeOnSignal(() => database.close());
    const runs = new ParityRunService(database.db, () => createS3Client(config.s3), log);
    try {
      const run = await runs.get(bu, o.run);
      if (!run) throw badInput(`parity run ${o.run} does not exist in ${bu.code}`);
      if (!o.out) {
        process.stdout.write(renderParityReport(run));
        return ExitCode.Ok;
      }
      writeReport(o.out, run);
      process.stdout.write(`${JSON.stringify({ businessUnit: bu.code, run: run.id, status: run.status, written: path.resolve(o.out) })}\n`);
      return ExitCode.Ok;
    } finally {
      await runs.close();
      await database.close();
    }
  }));

program.parse();
