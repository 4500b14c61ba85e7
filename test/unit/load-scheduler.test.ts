import { makeBusinessUnit } from '../../src/config/business-unit';
import type { PassResult } from '../../src/loaders/business-unit-loader';
import { LoadScheduler } from '../../src/loaders/load-scheduler';
import { silentLogger } from '../support/silent-logger';

/**
 * Triggers never pile up (issue 11, item 7): the rules of LoadScheduler, with a loader whose passes
 * the test starts listing and ends by hand (the real passes: test/integration/load-trigger.test.ts).
 */

interface ManualPass { scan(): void; finish(result: PassResult): void; fail(err: Error): void }

function manualLoader() {
  const passes: ManualPass[] = [];
  const loader = {
    isRunning: () => false,
    loadOnce: (_bu: unknown, onScan?: () => void) => new Promise<PassResult>((resolve, reject) => {
      passes.push({ scan: () => onScan?.(), finish: resolve, fail: reject });
    }),
  };
  return { loader, passes };
}

const BAK = makeBusinessUnit('bak');
const GEM = makeBusinessUnit('gem');
const done = (applied: number): PassResult => ({ status: 'done', applied });
const tick = () => new Promise((r) => setImmediate(r));

describe('load triggers', () => {
  it('join the pass that has not listed the source yet', async () => {
    const { loader, passes } = manualLoader();
    const scheduler = new LoadScheduler(loader, [BAK], silentLogger());
    const first = scheduler.trigger(BAK);
    const again = Array.from({ length: 49 }, () => scheduler.trigger(BAK));
    expect(passes).toHaveLength(1);
    for (const t of again) expect(t).toBe(first);
    passes[0].scan();
    passes[0].finish(done(2));
    await expect(first).resolves.toEqual(done(2));
    await tick();
    expect(passes).toHaveLength(1);
  });

  it('after the listing started, make one pass after it, which every later trigger joins', async () => {
    const { loader, passes } = manualLoader();
    const scheduler = new LoadScheduler(loader, [BAK, GEM], silentLogger());
    const first = scheduler.trigger(BAK)!;
    passes[0].scan();
    const later = Array.from({ length: 50 }, () => scheduler.trigger(BAK));
    expect(later[0]).not.toBe(first);
    for (const t of later) expect(t).toBe(later[0]);
    // Another BU is not held up.
    scheduler.trigger(GEM);
    expect(passes).toHaveLength(2);

    passes[0].finish(done(1));
    await expect(first).resolves.toEqual(done(1));
    await tick();
    expect(passes).toHaveLength(3);
    // The waiting pass is now the one in flight, not listed yet: triggers join it.
    const joined = scheduler.trigger(BAK);
    passes[2].scan();
    passes[2].finish(done(3));
    await expect(later[0]).resolves.toEqual(done(3));
    await expect(joined).resolves.toEqual(done(3));
    await tick();
    expect(passes).toHaveLength(3);
    passes[1].finish(done(0));
    await scheduler.idle(GEM);
  });

  it('report a failed pass as failed, and a waiting pass the stop cancelled as not run', async () => {
    const { loader, passes } = manualLoader();
    const scheduler = new LoadScheduler(loader, [BAK], silentLogger());
    const first = scheduler.trigger(BAK)!;
    passes[0].scan();
    const waiting = scheduler.trigger(BAK)!;
    const stopped = scheduler.stop();
    passes[0].fail(new Error('database gone'));
    await expect(first).resolves.toEqual({ status: 'failed', applied: 0, message: 'database gone' });
    await expect(waiting).resolves.toMatchObject({ status: 'busy', applied: 0 });
    await stopped;
    expect(passes).toHaveLength(1);
    expect(scheduler.trigger(BAK)).toBeUndefined();
  });
});
