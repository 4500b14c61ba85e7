import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { Browser } from 'puppeteer-core';
import { PROJECT_ROOT } from './test-database';

/**
 * A headless Chromium from the @sparticuz/chromium package (the browser ships inside the npm
 * package). The package unpacks it into os.tmpdir()/chromium and reuses whatever it finds there:
 * in a /tmp shared by several users it hands one user another's copy, which that user may not run
 * (seen: "spawn /tmp/chromium EACCES" as a normal user after root had run the tests). It unpacks
 * into a folder of this checkout and user instead; TMPDIR is put back at once, since the test
 * files of one jest worker share the process's environment.
 */
export async function launchHeadlessBrowser(): Promise<Browser> {
  const dir = path.join(PROJECT_ROOT, 'node_modules', '.cache', `chromium-${os.userInfo().uid}`);
  fs.mkdirSync(dir, { recursive: true });
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    const { default: chromium } = await import('@sparticuz/chromium');
    return await puppeteer.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true });
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  }
}
