import { progressEvery } from '../../src/logger';

describe('progressEvery', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-04-16T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  it('reports at most once per interval, with the count and the rate since the start', () => {
    const lines: [number, number][] = [];
    const progress = progressEvery(10_000, (done, perSecond) => lines.push([done, perSecond]));
    progress(100);
    jest.advanceTimersByTime(9_999);
    progress(5_000);
    expect(lines).toEqual([]);
    jest.advanceTimersByTime(1);
    progress(5_000);
    progress(5_001);
    expect(lines).toEqual([[5_000, 500]]);
    jest.advanceTimersByTime(10_000);
    progress(30_000);
    expect(lines).toEqual([[5_000, 500], [30_000, 1_500]]);
  });
});
