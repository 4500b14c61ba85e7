import { BusinessUnit } from '../config/business-unit';
import { DEFAULT_EXPORT_MAX_QUEUED } from '../config/config';
import { Database } from '../db/database';
import { ExportJobEntity, ExportFileRecord } from '../entities/export-job.entity';
import { DomainError, ErrorCode, badInput } from '../errors/domain-error';
import { ExportStore } from '../export/job/export-store';
import { activeJobs, findJob, findJobByKey, getJob, insertJob, listJobs, lockQueue } from '../repositories/export-job.repository';
import { templateStates } from '../repositories/export-settings.repository';
import { Page, checkPageSize, decodeCursor, toPage } from './pagination';

export interface ExportRequest {
  templates?: string[] | null;
  idempotencyKey?: string | null;
  requestedBy: string;
}

export interface ExportFileView extends ExportFileRecord {
  downloadUrl: string | null;
}

const MAX_KEY_LENGTH = 200;

const sameTemplates = (a: string[] | null, b: string[] | null) =>
  (a === null || b === null) ? a === b : a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Export jobs: queue one (idempotently, within a bound), read them. The work itself is done by the
 * ExportWorker of whichever running copy claims the job; `onQueued` wakes this process's worker at once.
 */
export class ExportJobService {
  constructor(
    private readonly db: Database,
    private readonly store: ExportStore,
    private readonly downloadUrlExpirySeconds: number,
    private readonly onQueued: (bu: BusinessUnit) => void = () => undefined,
    /** EXPORT_MAX_QUEUED: jobs of a BU QUEUED or RUNNING at once. */
    private readonly maxQueued = DEFAULT_EXPORT_MAX_QUEUED,
  ) {}

  /**
   * Queues an export, or returns a job that already answers it: the job of the same idempotency
   * key (whatever its status), or, for a request without a key, a job still QUEUED for the same
   * templates (it takes its snapshot when it runs, so what it writes is no older than this request).
   * A BU has at most `maxQueued` jobs QUEUED or RUNNING; a request beyond that is UNAVAILABLE.
   * Requests of a BU take turns on an advisory lock (across every copy of the service), so
   * concurrent requests cannot all pass the bound.
   */
  async request(bu: BusinessUnit, req: ExportRequest): Promise<ExportJobEntity> {
    const key = req.idempotencyKey ?? null;
    if (key !== null && (key.trim() === '' || key.length > MAX_KEY_LENGTH)) {
      throw badInput(`idempotencyKey must be 1 to ${MAX_KEY_LENGTH} characters`);
    }
    const templates = req.templates ? [...req.templates] : null;
    if (templates) {
      if (templates.length === 0) throw badInput('templates is empty: leave it out to export every enabled template');
      const dupes = templates.filter((t, i) => templates.indexOf(t) !== i);
      if (dupes.length) throw badInput(`templates lists ${[...new Set(dupes)].join(', ')} more than once`);
    }
    const { job, created } = await this.db.withBu(bu, async (m) => {
      // Requests of the BU take turns from here on, so the bound and the reuse below see each other's jobs.
      await lockQueue(m);
      // A retry gets its job back even if the configuration changed since (validation is for new jobs).
      const existing = key === null ? null : await findJobByKey(m, key);
      if (existing) return { job: existing, created: false };
      const known = await templateStates(m);
      if (templates) {
        const unknown = templates.filter((t) => !known.some((k) => k.name === t));
        if (unknown.length) {
          throw badInput(`unknown template(s): ${unknown.join(', ')}; configured: ${known.map((k) => k.name).join(', ') || 'none'}`);
        }
      } else if (!known.some((k) => k.enabled)) {
        throw badInput('no template is enabled; enable one or name the templates to export');
      }
      const active = await activeJobs(m);
      // A key names a request of its own (its retries must find it), so only requests without one share a job.
      const waiting = key === null ? active.find((j) => j.status === 'QUEUED' && sameTemplates(j.templates, templates)) : undefined;
      if (waiting) return { job: await getJob(m, { id: waiting.id }), created: false };
      if (active.length >= this.maxQueued) {
        throw new DomainError(ErrorCode.Unavailable,
          `${bu.code} already has ${active.length} export job(s) queued or running (${active.map((j) => j.id).join(', ')}; `
          + `at most ${this.maxQueued}, EXPORT_MAX_QUEUED): try again when one has finished`, { activeJobs: active.map((j) => j.id) });
      }
      const inserted = await insertJob(m, key, templates, req.requestedBy);
      if (inserted) return { job: inserted, created: true };
      // Another request with this key committed first (the unique index made this insert wait for it).
      return { job: await getJob(m, { idempotencyKey: key! }), created: false };
    });
    if (!created && key !== null && !sameTemplates(job.templates, templates)) {
      throw new DomainError(ErrorCode.Conflict,
        `idempotencyKey "${key}" was already used for job ${job.id} with other templates (${job.templates?.join(', ') ?? 'all enabled'})`);
    }
    if (created) this.onQueued(bu);
    return job;
  }

  async get(bu: BusinessUnit, id: string): Promise<ExportJobEntity | null> {
    if (!/^\d{1,18}$/.test(id)) return null;
    return this.db.withBu(bu, (m) => findJob(m, id), { readOnly: true });
  }

  /** Newest first. */
  async list(bu: BusinessUnit, first: number | null | undefined, after: string | null | undefined): Promise<Page<ExportJobEntity>> {
    const size = checkPageSize(first, 20);
    const afterKey = decodeCursor(after);
    return this.db.withBu(bu, async (m) => {
      const { rows, totalCount } = await listJobs(m, afterKey, size);
      return toPage(rows, size, totalCount, (r) => r.id);
    }, { readOnly: true, isolation: 'REPEATABLE READ' });
  }

  /** The job's files with a fresh pre-signed download URL each (S3 stores; null for local files). */
  async files(job: ExportJobEntity): Promise<ExportFileView[]> {
    return Promise.all(job.files.map(async (f) => ({ ...f, downloadUrl: await this.store.downloadUrl(f.uri, this.downloadUrlExpirySeconds) })));
  }
}
