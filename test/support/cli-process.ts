import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './test-database';

/**
 * The commands as a user runs them: compiled by tsc (the build `npm run` uses), started as real
 * child processes, exit code and both streams captured. The build goes under node_modules/.cache
 * so the compiled files resolve the project's packages as `dist/` does.
 */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function buildCommands(): { dir: string; remove(): void } {
  const dir = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'pim-accumulator-cli-test', String(process.pid));
  fs.rmSync(dir, { recursive: true, force: true });
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(PROJECT_ROOT, 'tsconfig.build.json'), '--outDir', dir],
    { cwd: PROJECT_ROOT, stdio: 'pipe' });
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A command (or, as "main", the service) started from the build, its output gathered as it comes. */
export interface RunningCommand {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/** Starts `node <build>/src/cli/<name>.cli.js args…` (`main`: the service) with only the given environment (plus PATH/HOME). */
export function startCommand(buildDir: string, name: string, args: string[], env: Record<string, string>): RunningCommand {
  const entry = name === 'main' ? path.join(buildDir, 'src', 'main.js') : path.join(buildDir, 'src', 'cli', `${name}.cli.js`);
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PIM_PROJECT_ROOT: PROJECT_ROOT, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => { stdout += d; });
  child.stderr!.on('data', (d) => { stderr += d; });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs a command to its end (killed after `timeoutMs`, which fails the test). */
export async function runCommand(buildDir: string, name: string, args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliResult> {
  const command = startCommand(buildDir, name, args, env);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      command.child.kill('SIGKILL');
      reject(new Error(`${name} ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout: ${command.stdout()}\nstderr: ${command.stderr()}`));
    }, timeoutMs);
  });
  try {
    const code = await Promise.race([command.exited, timedOut]);
    return { code, stdout: command.stdout(), stderr: command.stderr() };
  } finally {
    clearTimeout(timer);
  }
}

/** stdout as JSON documents: one document, or one per line. Throws when anything else is there. */
export function stdoutJson(result: CliResult): unknown[] {
  const text = result.stdout.trim();
  try {
    return [JSON.parse(text)];
  } catch {
    return text.split('\n').map((line) => JSON.parse(line));
  }
}
