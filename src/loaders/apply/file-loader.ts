import { QueryRunner } from 'typeorm';
import { BusinessUnit } from '../../config/business-unit';
import { AppConfig } from '../../config/config';
import { Database } from '../../db/database';
import { rowsReadSoFar } from '../../db/session-stats';
import { isTransientError } from '../../db/transient-errors';
import { FILE_ENTITY_TYPE } from '../../entities/entity-types';
import { Logger, PROGRESS_INTERVAL_MS, progressEvery } from '../../logger';
import { metrics } from '../../metrics/metrics';
import { EventFile, LoadErrorCode, OutcomeCounts, insertComplete, insertError, insertStart, reserveEventId } from '../../repositories/load-event.repository';
import { insertQuarantined } from '../../repositories/quarantine.repository';
import { AttributeReport, parseAttributeFile } from '../parse/attribute-file';
import { ParsedLine, parseEntityLine } from '../parse/entity-line';
import { LineReader, gzipFor, readWholeJson } from '../parse/line-reader';
import { describeUtf8Problem } from '../parse/utf8-check';
import type { PlannedFile } from '../plan/load-planner';
import { Source } from '../source/source';
import { readAttributeSchema, writeAttributeDefinitions } from './attribute-writer';
import { removeNodesAbsentFrom, writeTopLevelBatch } from './entity-writer';
import { FileRejected, FileRun } from './file-run';
import { IndexCleaner } from './index-cleaner';
import { membershipCheck } from './membership-check';
import { absentFromSnapshot } from './snapshot-tracker';
import { WriteContext } from './write-context';

export interface FileLoadResult {
  ok: boolean;
  eventId: string;
  counts: OutcomeCounts;
  error?: string;
}

const BATCH_LINES = 500;
const BATCH_BYTES = 8 * 1024 * 1024;

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
    const eventFile: EventFile = { uri: file.uri, key: file.key, etag: file.etag, entityType: FILE_ENTITY_TYPE[file.kind] };
    const started = Date.now();
    const startId = await this.db.inBuTransaction(runner, bu, {}, () => insertStart(runner, eventFile));
    const log = this.log.child({ bu: bu.code, file: file.uri, startEventId: startId });
    log.info({ bytes: file.size }, 'file load started');

    const run = new FileRun(file, this.limits);
    const cleaner = file.kind === 'attributes' ? null : IndexCleaner.start(this.db, bu, this.limits.indexCleanIntervalMs, log);
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
    } finally {
      await cleaner?.stop();
    }
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
    const expectedType = FILE_ENTITY_TYPE[run.file.kind];
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
    if (run.file.full) run.absentFromSnapshot = await absentFromSnapshot(ctx.runner, ctx.eventId, run.file, run.entityIds);
    run.sha256 = reader.sha256();
    run.bytes = reader.bytesRead();
  }
}
