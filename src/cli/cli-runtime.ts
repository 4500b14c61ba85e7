import 'reflect-metadata';
import { AppConfig, ConfigError, loadConfig } from '../config/config';
import { BusinessUnit, findBusinessUnit } from '../db/business-unit';
import { Logger, createLogger } from '../logger';

/** The validated configuration, or exit 2 with the message that names the bad variable. */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

/** Shared start-up of the one-shot commands: validated config, logger, exit codes. */
export async function runCli(fn: (config: AppConfig, log: Logger) => Promise<number>): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config.logLevel);
  let code: number;
  try {
    code = await fn(config, log);
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    code = 1;
  }
  process.exitCode = code;
  // Without DATABASE_URL a command may start the embedded PostgreSQL, whose package ends the
  // process with exit code 0 on 'beforeExit' (async-exit-hook): the command's own code must win.
  process.once('exit', () => {
    process.exitCode = code;
  });
}

/** `--bu bak --bu gem` or `--bu all`; unknown codes are an error naming the configured ones. */
export function selectBusinessUnits(config: AppConfig, codes: string[] | undefined): BusinessUnit[] {
  if (!codes?.length || codes.includes('all')) return [...config.businessUnits];
  return codes.map((code) => {
    const bu = findBusinessUnit(config.businessUnits, code);
    if (!bu) throw new Error(`unknown business unit "${code}"; configured (BUSINESS_UNITS): ${config.businessUnits.map((u) => u.code).join(', ')}`);
    return bu;
  });
}
