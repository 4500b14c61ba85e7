import chromium from '@sparticuz/chromium';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { Browser } from 'puppeteer-core';
import { PROJECT_ROOT } from './test-database';

/**
 * A headless Chromium from the @sparticuz/chromium package (the browser ships inside the npm
 * package). The package unpacks it into os.tmpdir()/chromium and reuses whatever it finds there:
 * in a /tmp shared by several users it hands one user another's copy, which that user may not run
 * (seen: "spawn /tmp/chromium EACCES" as a normal user after root had run the tests). It is
 * unpacked into a folder of this checkout and user instead, by a child process whose TMPDIR says
 * so (jest gives test code a copy of the environment, which os.tmpdir() does not read).
 */
export async function launchHeadlessBrowser(): Promise<Browser> {
  const dir = path.join(PROJECT_ROOT, 'node_modules', '.cache', `chromium-${os.userInfo().uid}`);
  fs.mkdirSync(dir, { recursive: true });
  const executablePath = execFileSync(process.execPath,
    ['-e', "const c = require('@sparticuz/chromium'); (c.default ?? c).executablePath().then((p) => process.stdout.write(p))"],
    { cwd: PROJECT_ROOT, env: { ...process.env, TMPDIR: dir }, encoding: 'utf8' });
  if (path.dirname(executablePath) !== dir) throw new Error(`the browser was unpacked to ${executablePath}, not into ${dir}`);
  return puppeteer.launch({ executablePath, args: chromium.args, headless: true });
}
