import type { S3Client } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { DomainError, ErrorCode, badInput, notFound } from '../errors/domain-error';
import { ExportSettingsError, ExportRunner } from '../export/job/export-runner';
import { LocalExportStore } from '../export/job/export-store';
import { ExportJobEntity } from '../entities/export-job.entity';
import { Logger } from '../logger';
import { findJob } from '../repositories/export-job.repository';
import {
  ParityRunRow, failOrphanedParityRuns, failParityRun, findParityRun, finishParityRun, holdParityRun, insertParityRun, listParityRuns,
  releaseParityRun, setParityExport,
} from '../repositories/parity-run.repository';
import { Page, checkPageSize, decodeCursor, toPage } from './pagination';
import { stepName } from '../parity/cell.normalizer';
import { CsvFile, csvFile } from '../parity/csv-file.reader';
import { checkOptions, compareCsvFiles } from '../parity/parity-compare.service';
import { CompareOptions, ExportSide, ExportSourceKind, ParityRequest, ParityRun, ParityRunStatus, ParitySummary } from '../parity/parity.types';
import { pgClientOf } from '../db/queryable';

const toRun = (bu: BusinessUnit, r: ParityRunRow): ParityRun => ({
  id: r.id, businessUnit: bu.code, status: r.status as ParityRunStatus, requestedBy: r.requested_by, startedAt: r.started_at, finishedAt: r.finished_at,
  legacyUri: r.legacy_uri, legacySha256: r.legacy_sha256, exportSource: r.export_source as ExportSourceKind, exportUri: r.export_uri,
  exportSha256: r.export_sha256, exportJobId: r.export_job_id, templateName: r.template_name, snapshotEventId: r.snapshot_event_id,
  options: r.options, summary: r.summary as ParitySummary | null, error: r.error,
});

/** The options as stored with the run: JSON, normalizations as the text a person would type again. */
function storedOptions(o: CompareOptions): Record<string, unknown> {
  return {
    key: o.key, ignore: o.ignore, maxExamples: o.maxExamples, legacyDialect: o.legacyDialect, exportDialect: o.exportDialect,
    normalize: Object.fromEntries(Object.entries(o.normalize).map(([c, steps]) => [c, steps.map(stepName)])),
  };
}

interface ResolvedExport { file: CsvFile; jobId: string | null; templateName: string | null; snapshotEventId: string | null; cleanup(): Promise<void> }

/**
 * Parity runs of a business unit: each comparison of an export with a legacy file is recorded
 * (who, when, which export job or load event it reflects, the files' sha256, the options, the
 * summary), so "the export equals the legacy file" is something one can point at later.
 */
export class ParityRunService {
  private s3: S3Client | null = null;
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Database,
    private readonly s3Client: () => S3Client,
    private readonly log: Logger,
    /**
     * Local folders API callers may name files in (the local EXPORT_URL folder). Anything else on
     * the server's disk is out of their reach: a comparison shows cells, so it would read any file.
     */
    private readonly apiLocalRoots: readonly string[] = [],
  ) {}

  private client = (): S3Client => (this.s3 ??= this.s3Client());

  /**
   * Records the run and compares now; resolves with the finished run. A failure is recorded on the
   * run (FAILED, with its message) and thrown, so a command can tell a wrong call from an outage.
   */
  async run(bu: BusinessUnit, req: ParityRequest): Promise<ParityRun> {
    const { id, held } = await this.insert(bu, req);
    await held(() => this.execute(bu, id, req));
    return (await this.get(bu, id))!;
  }

  /**
   * For API callers: records the run and returns it RUNNING; the comparison goes on in this process
   * (poll `get`). Files must be on S3 or inside `apiLocalRoots`.
   */
  async start(bu: BusinessUnit, req: ParityRequest): Promise<ParityRun> {
    this.checkApiLocation(req.legacy);
    if (req.export.kind === 'FILE') this.checkApiLocation(req.export.uri);
    const { id, held } = await this.insert(bu, req);
    // The outcome, a failure included, is recorded on the run (and logged): nobody awaits this.
    const work = held(() => this.execute(bu, id, req)).catch(() => undefined);
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
    return (await this.get(bu, id))!;
  }

  /** Waits for runs started here (a stopping service lets them record their outcome). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  async get(bu: BusinessUnit, id: string): Promise<ParityRun | null> {
    if (!/^\d{1,18}$/.test(id)) return null;
    const read = () => this.db.withBu(bu, (m) => findParityRun(m, id), { readOnly: true });
    const row = await read();
    if (row?.status === 'RUNNING' && (await this.failOrphaned(bu)).includes(id)) return toRun(bu, (await read())!);
    return row && toRun(bu, row);
  }

  /** Newest first. */
  async list(bu: BusinessUnit, first: number | null | undefined, after: string | null | undefined): Promise<Page<ParityRun>> {
    const size = checkPageSize(first, 20);
    const afterKey = decodeCursor(after);
    const read = () => this.db.withBu(bu, (m) => listParityRuns(m, afterKey ?? null, size + 1), { readOnly: true, isolation: 'REPEATABLE READ' });
    let { rows, total } = await read();
    if (rows.some((r) => r.status === 'RUNNING') && (await this.failOrphaned(bu)).length) ({ rows, total } = await read());
    return toPage(rows.map((r) => toRun(bu, r)), size, total, (r) => r.id);
  }

  /** Runs left RUNNING by a process that died (killed, its host gone) are failed when someone reads them. */
  private async failOrphaned(bu: BusinessUnit): Promise<string[]> {
    const ids = await this.db.withBu(bu, (m) => failOrphanedParityRuns(m, bu));
    if (ids.length) this.log.warn({ bu: bu.code, parityRuns: ids }, 'parity runs interrupted (their process stopped); marked FAILED');
    return ids;
  }

  async close(): Promise<void> {
    await this.drain();
    this.s3?.destroy();
  }

  private checkApiLocation(location: string): void {
    const l = location.trim();
    if (l.startsWith('s3://')) return;
    const file = l.startsWith('file://') ? fileURLToPath(l) : null;
    // Real paths: a link inside the folder must not lead out of it.
    const real = (p: string) => { try { return fs.realpathSync(p); } catch { return path.resolve(p); } };
    const inside = file !== null && this.apiLocalRoots.some((root) => {
      const rel = path.relative(real(root), real(file));
      return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
    });
    if (!inside) {
      throw badInput(`"${l}": over the API, files are s3://bucket/key${this.apiLocalRoots.length
        ? ` or file:// URIs inside ${this.apiLocalRoots.map((r) => pathToFileURL(r).href).join(', ')}` : ''}; the parity command reads local paths`);
    }
  }

  /**
   * Records the run on a connection of its own that holds the run's lock from before the insert
   * commits until `held`'s work has recorded the outcome (see failOrphanedParityRuns).
   */
  private async insert(bu: BusinessUnit, req: ParityRequest): Promise<{ id: string; held<T>(work: () => Promise<T>): Promise<T> }> {
    checkOptions(req.options);
    const legacy = csvFile(req.legacy, this.client);
    const side = req.export;
    if (side.kind === 'FILE') csvFile(side.uri, this.client);
    if (side.kind === 'JOB' && !/^\d{1,18}$/.test(side.jobId)) throw badInput(`export job id "${side.jobId}" is not a job id`);
    if (side.kind === 'TEMPLATE' && !side.template.trim()) throw badInput('name the template to render');
    const conn = this.db.dataSource.createQueryRunner();
    try {
      await conn.connect();
      const id = await this.db.inBuTransaction(conn, bu, {}, async () => {
        const inserted = await insertParityRun(conn, {
          requestedBy: req.requestedBy, legacyUri: legacy.uri, exportSource: side.kind, exportJobId: side.kind === 'JOB' ? side.jobId : null,
          templateName: side.kind === 'TEMPLATE' ? side.template : null, options: storedOptions(req.options),
        });
        await holdParityRun(conn, bu, inserted);
        return inserted;
      });
      const held = async <T>(work: () => Promise<T>): Promise<T> => {
        try {
          return await work();
        } finally {
          // An unlock fails only when the connection broke, and its session (with the lock) ended with it.
          await releaseParityRun(conn, bu, id).catch(() => undefined);
          await conn.release();
        }
      };
      return { id, held };
    } catch (err) {
      await conn.release();
      throw err;
    }
  }

  private async execute(bu: BusinessUnit, id: string, req: ParityRequest): Promise<void> {
    const log = this.log.child({ bu: bu.code, parityRun: id });
    log.info({ legacy: req.legacy, export: req.export }, 'parity run started');
    try {
      const summary = await this.compare(bu, id, req);
      await this.db.withBu(bu, (m) => finishParityRun(m, id, {
        status: summary.identical ? 'IDENTICAL' : 'DIFFERENT', legacySha256: summary.legacy.sha256, exportSha256: summary.export.sha256, summary,
      }));
      log.info({ identical: summary.identical, differentCells: summary.differentCells, ms: summary.durationMs }, 'parity run finished');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof DomainError) log.warn({ reason: message }, 'parity run refused');
      else log.error({ err }, 'parity run failed');
      await this.db.withBu(bu, (m) => failParityRun(m, id, message))
        .catch((recordErr) => log.error({ err: recordErr }, 'the failure of a parity run could not be recorded: it stays RUNNING'));
      throw err;
    }
  }

  /** Resolves the export side, compares, and removes a file rendered for the run before the outcome is recorded (a reader of a finished run finds it gone). */
  private async compare(bu: BusinessUnit, id: string, req: ParityRequest): Promise<ParitySummary> {
    let resolved: ResolvedExport | null = null;
    try {
      resolved = await this.resolveExport(bu, id, req.export, req.requestedBy);
      const r = resolved;
      await this.db.withBu(bu, (m) => setParityExport(m, id, { uri: r.file.uri, jobId: r.jobId, templateName: r.templateName, snapshotEventId: r.snapshotEventId }));
      return await this.db.withBu(bu, async (m) => {
        return compareCsvFiles(await pgClientOf(m), csvFile(req.legacy, this.client), r.file, req.options);
      });
    } finally {
      await resolved?.cleanup().catch((err) => this.log.warn({ err, parityRun: id }, 'could not remove the file rendered for the run'));
    }
  }

  private async resolveExport(bu: BusinessUnit, runId: string, side: ExportSide, requestedBy: string): Promise<ResolvedExport> {
    const none = async () => undefined;
    if (side.kind === 'FILE') return { file: csvFile(side.uri, this.client), jobId: null, templateName: null, snapshotEventId: null, cleanup: none };
    if (side.kind === 'JOB') {
      const job = await this.db.withBu(bu, (m) => findJob(m, side.jobId), { readOnly: true });
      if (!job) throw notFound(`export job ${side.jobId} does not exist`);
      if (job.status !== 'SUCCEEDED') throw badInput(`export job ${job.id} is ${job.status}: only a succeeded job's files can be compared`);
      const name = side.file ?? (job.files.length === 1 ? job.files[0].name : null);
      if (!name) throw badInput(`export job ${job.id} wrote ${job.files.map((f) => f.name).join(', ')}: name the file to compare`);
      const f = job.files.find((x) => x.name === name);
      if (!f) throw badInput(`export job ${job.id} has no file ${name}; it wrote ${job.files.map((x) => x.name).join(', ')}`);
      return { file: csvFile(f.uri, this.client), jobId: job.id, templateName: f.name, snapshotEventId: job.snapshotEventId, cleanup: none };
    }
    return this.renderTemplate(bu, runId, side.template, requestedBy);
  }

  /**
   * The template rendered now, as an export job would (same runner, one snapshot), into a private
   * temporary folder that is removed after the comparison; no job is queued.
   */
  private async renderTemplate(bu: BusinessUnit, runId: string, template: string, requestedBy: string): Promise<ResolvedExport> {
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'pim-parity-'));
    const cleanup = () => fs.promises.rm(dir, { recursive: true, force: true });
    const runner = new ExportRunner(this.db, new LocalExportStore(dir), this.log);
    const job = Object.assign(new ExportJobEntity(), {
      id: `parity-${runId}`, status: 'RUNNING', idempotencyKey: null, templates: [template], requestedBy, requestedAt: new Date(),
      startedAt: new Date(), finishedAt: null, attempts: 1, worker: null, snapshotEventId: null, files: [], manifestUri: null, warnings: [], error: null,
    });
    const conn = this.db.dataSource.createQueryRunner();
    try {
      await conn.connect();
      const result = await runner.run(conn, bu, job, new AbortController().signal);
      return { file: csvFile(result.files[0].uri, this.client), jobId: null, templateName: template, snapshotEventId: result.snapshotEventId, cleanup };
    } catch (err) {
      await cleanup();
      if (err instanceof ExportSettingsError) throw new DomainError(ErrorCode.BadUserInput, `template ${template}: ${err.message}`);
      throw err;
    } finally {
      await conn.release();
    }
  }
}
