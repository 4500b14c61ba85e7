import fs from 'node:fs';
import type { SuiteState } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const state = (globalThis as { __PIM_TEST_STATE__?: SuiteState }).__PIM_TEST_STATE__ ?? {};
  if (state.s3) {
    const exited = new Promise((resolve) => state.s3!.once('exit', resolve));
    state.s3.kill('SIGTERM');
    await exited;
  }
  await state.pg?.stop();
  if (state.s3Dir) fs.rmSync(state.s3Dir, { recursive: true, force: true });
}
