import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics, served at /metrics. One registry per process: counters keep counting across
 * every part of the service (several app instances in one test process share it too).
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'pim_' });

const SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];

export const metrics = {
  filesLoaded: new Counter({
    name: 'pim_files_loaded_total', help: 'Files applied (file_complete), per business unit and kind.',
    labelNames: ['bu', 'kind'] as const, registers: [registry],
  }),
  filesFailed: new Counter({
    name: 'pim_files_failed_total', help: 'Files that failed (file_error), per business unit and error code.',
    labelNames: ['bu', 'code'] as const, registers: [registry],
  }),
  linesQuarantined: new Counter({
    name: 'pim_lines_quarantined_total', help: 'Bad lines quarantined, per business unit.',
    labelNames: ['bu'] as const, registers: [registry],
  }),
  applySeconds: new Histogram({
    name: 'pim_file_apply_seconds', help: 'Time to apply one file (read, validate, write, commit).',
    labelNames: ['bu', 'kind'] as const, buckets: SECONDS, registers: [registry],
  }),
  loadLagSeconds: new Gauge({
    name: 'pim_load_lag_seconds', help: 'Age of the oldest file in the source not yet applied (0 when caught up), as of the last load pass.',
    labelNames: ['bu'] as const, registers: [registry],
  }),
  loadBlocked: new Gauge({
    name: 'pim_load_blocked', help: '1 while a file_error holds the business unit\'s loading back, else 0.',
    labelNames: ['bu'] as const, registers: [registry],
  }),
  loadStalled: new Gauge({
    name: 'pim_load_stalled', help: '1 while the session holding the business unit\'s loader lock (any copy) has made no progress for LOAD_STALL_SECONDS, else 0.',
    labelNames: ['bu'] as const, registers: [registry],
  }),
  loadLockHeldSeconds: new Gauge({
    name: 'pim_load_lock_state_seconds', help: 'Seconds the session holding the business unit\'s loader lock has been in its current state (0 when the lock is free).',
    labelNames: ['bu'] as const, registers: [registry],
  }),
  exportSeconds: new Histogram({
    name: 'pim_export_seconds', help: 'Duration of export jobs, per business unit and outcome.',
    labelNames: ['bu', 'status'] as const, buckets: SECONDS, registers: [registry],
  }),
  exportRows: new Counter({
    name: 'pim_export_rows_total', help: 'CSV rows written by exports, per business unit.',
    labelNames: ['bu'] as const, registers: [registry],
  }),
  graphqlSeconds: new Histogram({
    name: 'pim_graphql_request_seconds', help: 'GraphQL request duration by the root field asked (multiple, introspection, other) and outcome.',
    labelNames: ['operation', 'outcome'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
  }),
};
