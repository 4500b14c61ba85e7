import { AppConfig } from '../../config/config';
import type { LoadErrorCode, OutcomeCounts } from '../../repositories/load-event.repository';
import { QuarantinedLine, insertQuarantined } from '../../repositories/quarantine.repository';
import { AttributeReport } from '../parse/attribute-file';
import type { PlannedFile } from '../plan/load-planner';
import { ApplyCounts, WriteContext, emptyCounts } from './write-context';

/** Bad lines of a failed file kept (after its transaction rolled back) so operators see why. */
const KEPT_EXAMPLES = 100;

/** A reason to fail the whole file; the code tells operators (and the planner) what kind of failure. */
export class FileRejected extends Error {
  constructor(readonly code: LoadErrorCode, message: string) {
    super(message);
  }
}

/** Bookkeeping of one file's application. */
export class FileRun {
  readonly counts: ApplyCounts = emptyCounts();
  readonly examples: QuarantinedLine[] = [];
  quarantined = 0;
  processed = 0;
  lines = 0;
  bytes = 0;
  sha256: string | null = null;
  report: AttributeReport | null = null;
  absentFromSnapshot: Record<string, unknown> | null = null;
  /** EntityIds of the file's good lines (ids only: a few MB even for a 100K-product file). */
  readonly entityIds = new Set<string>();

  constructor(readonly file: PlannedFile, private readonly limits: AppConfig['loader']) {}

  async quarantine(ctx: WriteContext, q: QuarantinedLine): Promise<void> {
    this.quarantined++;
    if (this.examples.length < KEPT_EXAMPLES) this.examples.push(q);
    await insertQuarantined(ctx.runner, this.file.uri, [q], ctx.eventId);
  }

  checkBadLineLimit(): void {
    const { maxBadLines, maxBadRatio } = this.limits;
    if (this.quarantined > maxBadLines && this.quarantined > maxBadRatio * this.lines) {
      throw new FileRejected('too_many_bad_lines',
        `${this.file.uri} has ${this.quarantined} bad lines out of ${this.lines}, over the limit ` +
        `(more than ${maxBadLines} and more than ${(maxBadRatio * 100).toFixed(2)}%). Nothing of it was applied; ` +
        `the first ${Math.min(this.quarantined, KEPT_EXAMPLES)} bad lines are quarantined with their reasons. ` +
        'Fix or replace the file, then replay from this event.');
    }
  }

  /**
   * Every line read is counted once: processed = inserted + updated + unchanged + deleted +
   * quarantined (blank lines are not lines; for the AttributeFile, a line is a definition).
   */
  outcome(): OutcomeCounts {
    const c = this.counts;
    return {
      processed: this.processed + this.quarantined, inserted: c.inserted, updated: c.updated, unchanged: c.unchanged, deleted: c.deleted,
      quarantined: this.quarantined,
    };
  }

  metadata(): Record<string, unknown> {
    const c = this.counts;
    return {
      lines: this.lines,
      bytes: this.bytes,
      ...(this.file.kind === 'product' ? { items: c.items } : {}),
      ...(c.deletesOfUnknown ? { deletesOfUnknown: c.deletesOfUnknown } : {}),
      ...(c.removedAbsent ? { removedAbsent: c.removedAbsent } : {}),
      ...(this.file.full ? { fullSnapshot: true, absentFromSnapshot: this.absentFromSnapshot } : {}),
      ...(this.report && Object.keys(this.report.drift).length ? { schemaDrift: this.report.drift } : {}),
      ...(this.report && Object.keys(this.report.mismatches).length ? { typeMismatches: this.report.mismatches } : {}),
    };
  }
}


