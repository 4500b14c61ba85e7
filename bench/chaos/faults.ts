import { Fault } from './fault-helpers';
import { killDuringExport, killDuringReplay, sigtermDuringExport } from './job-faults';
import { killDuringDelta, killDuringFullLoad, pgRestartDuringLoad, s3DuringListing, s3DuringRead, sigtermDuringLoad, twoCopies } from './load-faults';

export type { Injection } from './fault-helpers';
export { isReplayRestored, isReplayStart } from './job-faults';

export type FaultKind = 'kill-full' | 'kill-delta' | 'kill-replay' | 'kill-export' | 'pg-restart' | 's3-list' | 's3-read'
  | 'two-copies' | 'sigterm-load' | 'sigterm-export';

export const FAULT_KINDS: readonly FaultKind[] = ['kill-full', 'kill-delta', 'kill-replay', 'kill-export', 'pg-restart', 's3-list', 's3-read',
  'two-copies', 'sigterm-load', 'sigterm-export'];

export const FAULTS: Record<FaultKind, Fault> = {
  'kill-full': killDuringFullLoad,
  'kill-delta': killDuringDelta,
  'kill-replay': killDuringReplay,
  'kill-export': killDuringExport,
  'pg-restart': pgRestartDuringLoad,
  's3-list': s3DuringListing,
  's3-read': s3DuringRead,
  'two-copies': twoCopies,
  'sigterm-load': sigtermDuringLoad,
  'sigterm-export': sigtermDuringExport,
};

/** How long each kind may take to recover before it counts as not recovered. */
export const RECOVERY_TIMEOUT_MS = 180_000;
