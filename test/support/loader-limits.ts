import { LoaderLimits } from '../../src/config/config';

export const loaderLimits = (overrides: Partial<LoaderLimits> = {}): LoaderLimits => ({
  maxBadLines: 10, maxBadRatio: 0.01, maxLineBytes: 64 * 1024 * 1024, maxNestingDepth: 64, stallSeconds: 0, indexCleanIntervalMs: 300, ...overrides,
});
