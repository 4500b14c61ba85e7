import fs from 'node:fs';

export default async function globalTeardown() {
  const state = globalThis.__PIM_TEST_STATE__ ?? {};
  if (state.s3) {
    const exited = new Promise((resolve) => state.s3.once('exit', resolve));
    state.s3.kill('SIGTERM');
    await exited;
  }
  if (state.pg) await state.pg.stop();
  for (const dir of [state.pgDir, state.s3Dir]) {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}
