import fs from 'node:fs';
import path from 'node:path';
import { servedSchemaText } from '../server/graphql-schema';
import { ExitCode, cliCommand, runCli } from './cli-runtime';

const program = cliCommand('schema')
  .description('Write the served GraphQL schema as SDL to schema.graphql at the project root (or --out). '
    + 'Run it after changing the API and commit the file: a test fails while it is stale.')
  .option('--out <file>', 'file to write (default: schema.graphql at the project root)')
  .parse();

const opts = program.opts<{ out?: string }>();

void runCli(async (config) => {
  const file = path.resolve(opts.out ?? path.join(config.projectRoot, 'schema.graphql'));
  const text = await servedSchemaText();
  // Written only when it changed, so a build watcher or `git status` sees no touch without a change.
  const same = fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text;
  if (!same) fs.writeFileSync(file, text);
  process.stdout.write(`${file}: ${same ? 'up to date' : 'written'}\n`);
  return ExitCode.Ok;
});
