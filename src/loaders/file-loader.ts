import { QueryRunner } from 'typeorm';
import { AppConfig } from '../config/config';
import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { Queryable } from '../db/queryable';
import { isTransientError } from '../db/transient-errors';
import { Logger, PROGRESS_INTERVAL_MS, progressEvery } from '../logger';
import { metrics } from '../metrics/metrics';
import { AttributeReport, parseAttributeFile } from './attribute-file';
import { readAttributeSchema, writeAttributeDefinitions } from './attribute-writer';
import { ParsedLine, parseEntityLine } from './entity-line';
import { removeNodesAbsentFrom, writeTopLevelBatch } from './entity-writer';
import { ApplyCounts, WriteContext, emptyCounts } from './write-context';
import { EventFile, LoadErrorCode, OutcomeCounts, insertComplete, insertError, insertStart, reserveEventId } from './event-log';
import { LineReader, gzipFor, readWholeJson } from './line-reader';
import type { PlannedFile } from './load-planner';
import { membershipCheck } from './membership-check';
import { Source } from './source';
import { describeUtf8Problem } from './utf8-check';

export interface FileLoadResult {
  ok: boolean;
  eventId: string;
  counts: OutcomeCounts;
  error?: string;
}

interface Quarantined { lineNumber: number; reason: string; rawLine: string }

/** A reason to fail the whole file; the code tells operators (and the planner) what kind of failure. */
class FileRejected extends Error {
  constructor(readonly code: LoadErrorCode, message: string) {
    super(message);
  }
}

const BATCH_LINES = 500;
const BATCH_BYTES = 8 * 1024 * 1024;
const KEPT_EXAMPLES = 100;
const ABSENT_LISTED = 1000;

const ENTITY_TYPE: Record<PlannedFile['kind'], string> = { attributes: 'Attribute', channel: 'ChannelNode', product: 'Product' };

/**
 * Applies one file to one BU: `file_start` committed on its own, then every good line and the
 * `file_complete` event in one transaction, so the state never shows part of a file. Any failure
 * rolls the transaction back and records `file_error` with a message a person can act on.
 */
export class FileLoader {
  constructor(
    private readonly db: Database,
    private readonly source: Source,
    private readonly limits: AppConfig['loader'],
    private readonly log: Logger,
  ) {}

  /**
   * Runs on the caller's connection, the one holding the BU's loader lock: a pass then needs a
   * single pooled connection, so passes of several BUs cannot exhaust a small pool waiting on each other.
   */
  async apply(bu: BusinessUnit, file: PlannedFile, runner: QueryRunner): Promise<FileLoadResult> {
    const eventFile: EventFile = { uri: file.uri, key: file.key, etag: file.etag, entityType: ENTITY_TYPE[file.kind] };
    const started = Date.now();
    const startId = await this.db.inBuTransaction(runner, bu, {}, () => insertStart(runner, eventFile));
    const log = this.log.child({ bu: bu.code, file: file.uri, startEventId: startId });
    log.info({ bytes: file.size }, 'file load started');

    const run = new FileRun(file, this.limits);
    try {
      const eventId = await this.db.inBuTransaction(runner, bu, {}, async () => {
        const completeId = await reserveEventId(runner);
        const readBefore = await rowsReadSoFar(runner);
        const ctx: WriteContext = { runner, eventId: completeId, sourceFile: file.uri, counts: run.counts };
        if (file.kind === 'attributes') await this.applyAttributeFile(ctx, run);
        else await this.applyLines(ctx, run, log);
        run.checkBadLineLimit();
        const metadata = {
          ...run.metadata(), durationMs: Date.now() - started, ...(await membershipCheck(runner, file, run.entityIds)),
          rowsRead: (await rowsReadSoFar(runner)) - readBefore,
        };
        await insertComplete(runner, completeId, startId, eventFile, run.sha256, run.outcome(), metadata);
        return completeId;
      });
      log.info({ eventId, ...run.outcome(), durationMs: Date.now() - started }, 'file load complete');
      metrics.filesLoaded.inc({ bu: bu.code, kind: file.kind });
      metrics.applySeconds.observe({ bu: bu.code, kind: file.kind }, (Date.now() - started) / 1000);
      if (run.quarantined) metrics.linesQuarantined.inc({ bu: bu.code }, run.quarantined);
      return { ok: true, eventId, counts: run.outcome() };
    } catch (err) {
      if (isTransientError(err)) {
        // Not the file's fault: record a non-blocking outcome if the database (still) answers; if it
        // does not, the next pass closes this file_start as interrupted. Either way it is applied again.
        await this.db.inBuTransaction(runner, bu, {}, () => insertError(runner, eventFile, startId, 'interrupted',
          `interrupted: the database or the source did not answer while ${file.uri} was applied (${(err as Error).message}); nothing of it was applied and it will be tried again`))
          .catch(() => undefined);
        throw err;
      }
      const code: LoadErrorCode = err instanceof FileRejected ? err.code : 'apply_failed';
      const message = err instanceof FileRejected ? err.message
        : `applying ${file.uri} failed, nothing of it was applied: ${(err as Error).message}`;
      if (!(err instanceof FileRejected)) log.error({ err }, 'file load failed');
      // The file's transaction has rolled back; the same connection records why.
      const eventId = await this.db.inBuTransaction(runner, bu, {}, async () => {
        const id = await insertError(runner, eventFile, startId, code, message, {
          sha256: run.sha256, counts: run.outcome(), metadata: { ...run.metadata(), durationMs: Date.now() - started },
        });
        // The file's own quarantine rows rolled back with it; keep the first few so operators see why.
        await insertQuarantined(runner, file.uri, run.examples, id);
        return id;
      });
      log.warn({ eventId, code, error: message }, 'file load failed; later files of this business unit wait');
      metrics.filesFailed.inc({ bu: bu.code, code });
      return { ok: false, eventId, counts: run.outcome(), error: message };
    }
  }

  /**
   * Products stored but in no part of this full snapshot so far: counted and listed, never
   * deleted (a partial snapshot must not wipe a catalogue). Parts share folder and timestamp;
   * the figure on the last part applied is the snapshot's. The parts before this one are read
   * from the database (snapshot_part, only those whose event is valid), not from memory: a
   * restart, a crash or another copy of the service between two parts, or a replay that undid
   * some, must not change what a part reports.
   */
  private async absentFromSnapshot(ctx: WriteContext, file: PlannedFile, seen: Set<string>): Promise<Record<string, unknown>> {
    const snapshot = `${file.key.slice(0, file.key.lastIndexOf('/'))}|${file.timestamp}`;
    const earlier: { entity_ids: string[] }[] = await ctx.runner.query(
      `SELECT s.entity_ids FROM snapshot_part s JOIN load_event e ON e.id = s.event_id
       WHERE s.snapshot = $1 AND e.replay_date IS NULL`, [snapshot]);
    const inSnapshot = new Set(seen);
    for (const part of earlier) for (const id of part.entity_ids) inSnapshot.add(String(id));
    // Kept with this part's file_complete (same transaction): the next part counts it, whoever applies that one.
    await ctx.runner.query('INSERT INTO snapshot_part (event_id, snapshot, entity_ids) VALUES ($1, $2, $3::bigint[])',
      [ctx.eventId, snapshot, [...seen]]);
    const [row] = await ctx.runner.query(
      `SELECT count(*)::int AS count, (array_agg(entity_id ORDER BY entity_id))[1:$2] AS ids
       FROM product WHERE NOT deleted AND entity_id <> ALL($1::bigint[])`,
      [[...inSnapshot], ABSENT_LISTED]);
    return { count: row.count, ids: (row.ids ?? []).map(String), listedUpTo: ABSENT_LISTED, productsInSnapshot: inSnapshot.size };
  }

  private async applyAttributeFile(ctx: WriteContext, run: FileRun): Promise<void> {
    const stream = await this.source.open(run.file.key);
    let parsed;
    try {
      const doc = await readWholeJson(stream, { gzip: gzipFor(run.file.key), maxNestingDepth: this.limits.maxNestingDepth });
      run.sha256 = doc.sha256;
      run.bytes = doc.bytes;
      parsed = parseAttributeFile(doc.value);
    } catch (err) {
      // The connection to the source broke mid-read: not the file's fault, it is read again on the next pass.
      if (isTransientError(err)) throw err;
      throw new FileRejected('unreadable', `cannot read ${run.file.uri}: ${(err as Error).message}. Nothing of it was applied.`);
    } finally {
      stream.destroy();
    }
    run.lines = parsed.definitions.length + parsed.rejected.length;
    run.processed = parsed.definitions.length;
    for (const r of parsed.rejected) await run.quarantine(ctx, { lineNumber: r.position, reason: r.reason, rawLine: r.raw });
    await writeAttributeDefinitions(ctx, parsed.definitions);
  }

  private async applyLines(ctx: WriteContext, run: FileRun, log: Logger): Promise<void> {
    const report = new AttributeReport(await readAttributeSchema(ctx.runner));
    run.report = report;
    const stream = await this.source.open(run.file.key);
    try {
      await this.readAndWrite(ctx, run, log, new LineReader(stream, { gzip: gzipFor(run.file.key), maxLineBytes: this.limits.maxLineBytes }), report);
    } finally {
      // A failed file stops being read half-way: its handle (or S3 response) is let go, not leaked.
      stream.destroy();
    }
  }

  private async readAndWrite(ctx: WriteContext, run: FileRun, log: Logger, reader: LineReader, report: AttributeReport): Promise<void> {
    const table = run.file.kind === 'product' ? 'product' : 'channel_node';
    const expectedType = ENTITY_TYPE[run.file.kind];
    let batch: ParsedLine[] = [];
    let batchIds = new Set<string>();
    let batchBytes = 0;
    // One batch is written while the next is read and parsed: PostgreSQL and this process work at
    // the same time. Batches still apply strictly in file order (a write starts after the last ends).
    let writing: Promise<void> = Promise.resolve();
    const flush = async () => {
      await writing;
      if (batch.length) {
        writing = writeTopLevelBatch(ctx, table, batch);
        writing.catch(() => undefined); // surfaced by the next await of `writing`
      }
      batch = [];
      batchIds = new Set();
      batchBytes = 0;
    };
    const lines = reader.lines()[Symbol.asyncIterator]();
    const progress = progressEvery(PROGRESS_INTERVAL_MS, (lines, linesPerSecond) => {
      const bytesRead = reader.bytesRead();
      const percent = run.file.size ? Math.min(100, Math.round((1000 * bytesRead) / run.file.size) / 10) : null;
      log.info({ lines, bytesRead, totalBytes: run.file.size, percent, linesPerSecond }, 'file load progress');
    });
    for (;;) {
      let next: IteratorResult<Awaited<ReturnType<typeof lines.next>>['value']>;
      try {
        next = await lines.next();
      } catch (err) {
        // The connection to the source broke mid-read (the store restarting, a network cut): the pass
        // is interrupted and the file read again, rather than failed as unreadable, which would block the BU.
        if (isTransientError(err)) throw err;
        const where = run.lines ? ` (after line ${run.lines})` : '';
        throw new FileRejected('unreadable', `cannot read ${run.file.uri}${where}: ${(err as Error).message}. Nothing of it was applied.`);
      }
      if (next.done) break;
      const rec = next.value;
      run.lines = rec.lineNumber;
      if ('tooLong' in rec) {
        await run.quarantine(ctx, {
          lineNumber: rec.lineNumber,
          reason: `line is ${rec.bytes} bytes, over the ${this.limits.maxLineBytes}-byte limit (LOAD_MAX_LINE_BYTES); only its first bytes are kept`,
          rawLine: rec.head,
        });
        continue;
      }
      if ('invalidUtf8' in rec) {
        const more = rec.invalidBytes > 1 ? `; ${rec.invalidBytes} invalid bytes in the line` : '';
        await run.quarantine(ctx, {
          lineNumber: rec.lineNumber,
          reason: `${describeUtf8Problem(rec.invalidUtf8)}${more}; raw_line shows each invalid byte as \\xNN`,
          rawLine: rec.raw,
        });
        continue;
      }
      const result = parseEntityLine(rec.text, this.limits.maxNestingDepth);
      if (!result.ok) {
        await run.quarantine(ctx, { lineNumber: rec.lineNumber, reason: result.reason, rawLine: rec.text });
        continue;
      }
      const line = result.line;
      if (line.entityTypeId !== expectedType) {
        await run.quarantine(ctx, {
          lineNumber: rec.lineNumber,
          reason: `EntityTypeId "${line.entityTypeId}" does not belong in a ${run.file.kind} file (expected ${expectedType})`,
          rawLine: rec.text,
        });
        continue;
      }
      run.processed++;
      if (!line.deleted) {
        report.check(line.entityTypeId, line.attributes);
        for (const item of line.items) report.check('Item', item.attributes);
      }
      // A batch sees each entity once; a repeated id starts a new batch so file order holds.
      if (batchIds.has(line.entityId) || batch.length >= BATCH_LINES || batchBytes >= BATCH_BYTES) await flush();
      batch.push(line);
      batchIds.add(line.entityId);
      run.entityIds.add(line.entityId);
      batchBytes += rec.text.length;
      progress(rec.lineNumber);
    }
    await flush();
    await writing;
    if (table === 'channel_node') run.counts.removedAbsent += await removeNodesAbsentFrom(ctx, [...run.entityIds]);
    if (run.file.full) run.absentFromSnapshot = await this.absentFromSnapshot(ctx, run.file, run.entityIds);
    run.sha256 = reader.sha256();
    run.bytes = reader.bytesRead();
  }
}

/** Bookkeeping of one file's application. */
class FileRun {
  readonly counts: ApplyCounts = emptyCounts();
  readonly examples: Quarantined[] = [];
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

  async quarantine(ctx: WriteContext, q: Quarantined): Promise<void> {
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


/**
 * Table and index rows this session has read and not yet reported to the statistics collector.
 * PostgreSQL reports them only between transactions, so the difference between the start and the
 * end of a file's transaction is what applying the file read: a few rows per line whatever the
 * state of the planner's statistics; a plan that scans whole tables shows here first.
 */
async function rowsReadSoFar(db: Queryable): Promise<number> {
  const [row] = await db.query(
    `SELECT coalesce(sum(pg_stat_get_xact_tuples_returned(c.oid)), 0)::bigint AS n FROM pg_class c
     WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'i')`);
  return Number(row.n);
}

async function insertQuarantined(db: Queryable, sourceFile: string, lines: Quarantined[], eventId: string): Promise<void> {
  if (!lines.length) return;
  await db.query(
    `INSERT INTO quarantined_line (source_file, line_number, reason, raw_line, event_id)
     SELECT $1, r.line_number, r.reason, r.raw_line, $3 FROM jsonb_to_recordset($2::jsonb) AS r(line_number int, reason text, raw_line text)`,
    [sourceFile, JSON.stringify(lines.map((l) => ({ line_number: l.lineNumber, reason: l.reason, raw_line: l.rawLine.replace(/\u0000/g, '\\u0000') }))), eventId]);
}
