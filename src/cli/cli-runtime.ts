import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { getEventListeners } from 'node:events';
import os from 'node:os';
import { AppConfig, ConfigError, loadConfig } from '../config/config';
import { BusinessUnit, findBusinessUnit } from '../config/business-unit';
import { DomainError, ErrorCode, badInput } from '../errors/domain-error';
import { Logger, createLogger } from '../logger';

/**
 * What every command's exit code means (Airflow decides success and retries from it):
 * 0 done; 1 an unexpected error (database or S3 unreachable…: a retry may help); 2 the call is
 * wrong (bad option or configuration, unknown business unit, event or template, a refused request:
 * a retry will not help); 3 the work ran and failed or is blocked (a person must look);
 * 4 gave up waiting (--timeout); for `parity compare`, which waits for nothing: the files differ
 * (0 there means identical).
 */
export enum ExitCode {
  Ok = 0,
  Error = 1,
  Usage = 2,
  Failed = 3,
  TimedOut = 4,
  /** `parity compare`: the comparison ran and the files differ (no command has both this and a timeout). */
  Different = 4,
}

/** A commander program whose usage errors (unknown option, missing argument) exit 2, help 0. */
export function cliCommand(name: string): Command {
  return new Command(name).exitOverride((err: CommanderError) => process.exit(err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage));
}

/** The validated configuration, or exit 2 with the message that names the bad variable. */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(ExitCode.Usage);
    }
    throw err;
  }
}

/** The exit code and the lines to print on stderr for an error that ended a command. */
export function describeFailure(err: unknown): { code: ExitCode; message: string } {
  if (err instanceof DomainError) {
    const problems = (err.details?.problems as string[] | undefined) ?? [];
    const message = problems.length ? `error: ${err.message.split(':')[0]}:\n${problems.map((p) => `  - ${p}`).join('\n')}` : `error: ${err.message}`;
    const retryable = err.code === ErrorCode.Unavailable || err.code === ErrorCode.Internal;
    return { code: retryable ? ExitCode.Error : ExitCode.Usage, message };
  }
  if (err instanceof ConfigError) return { code: ExitCode.Usage, message: err.message };
  return { code: ExitCode.Error, message: `error: ${err instanceof Error ? err.message : String(err)}` };
}

/** What a command gets besides the configuration and the logger. */
export interface CliScope {
  /** Aborted on SIGTERM/SIGINT; a command that runs until told to stop (polling) ends on it. */
  readonly stopSignal: AbortSignal;
  /**
   * For one-shot commands: on SIGTERM/SIGINT these run (last registered first) and the process
   * exits 128 + the signal number. Closing the database stops an embedded server this process
   * owns, so work in flight rolls back whole instead of leaving the server running.
   */
  closeOnSignal(close: () => Promise<void>): void;
}

const SIGNAL_CLOSE_LIMIT_MS = 20_000;

/**
 * Shared start-up of the commands: validated config, logger (stderr), exit code. Only the
 * command's result goes to stdout.
 */
export async function runCli(fn: (config: AppConfig, log: Logger, scope: CliScope) => Promise<ExitCode>): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger(config.logLevel);
  const stop = new AbortController();
  const closers: (() => Promise<void>)[] = [];
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) return;
    log.warn({ signal }, closers.length ? 'stopping: closing the database, work in flight rolls back' : 'stopping');
    const handled = getEventListeners(stop.signal, 'abort').length > 0;
    stop.abort();
    const code = 128 + (os.constants.signals[signal] ?? 15);
    if (handled && !closers.length) return;
    const closeAll = (async () => {
      for (const close of [...closers].reverse()) await close().catch((err) => log.error({ err }, 'error while stopping'));
    })();
    void Promise.race([closeAll, new Promise((r) => setTimeout(r, SIGNAL_CLOSE_LIMIT_MS).unref())]).then(() => process.exit(code));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    process.exitCode = await fn(config, log, { stopSignal: stop.signal, closeOnSignal: (close) => closers.push(close) });
  } catch (err) {
    if (stop.signal.aborted) return; // the signal handler decides the exit
    const failure = describeFailure(err);
    if (failure.code === ExitCode.Error) log.error({ err }, 'command failed');
    console.error(failure.message);
    process.exitCode = failure.code;
  }
}

/** `--bu bak --bu gem` or `--bu all`; unknown codes are a usage error naming the configured ones. */
export function selectBusinessUnits(config: AppConfig, codes: string[] | undefined): BusinessUnit[] {
  if (!codes?.length || codes.includes('all')) return [...config.businessUnits];
  return codes.map((code) => {
    const bu = findBusinessUnit(config.businessUnits, code);
    if (!bu) throw badInput(`unknown business unit "${code}"; configured (BUSINESS_UNITS): ${config.businessUnits.map((u) => u.code).join(', ')}`);
    return bu;
  });
}
