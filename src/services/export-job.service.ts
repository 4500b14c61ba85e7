import { BusinessUnit } from '../db/business-unit';
import { Database } from '../db/database';
import { ExportJobEntity, ExportFileRecord } from '../entities/export-job.entity';
import { DomainError, ErrorCode, badInput } from '../errors/domain-error';
import { ExportStore } from '../export/export-store';
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
 * Export jobs: queue one (idempotently), read them. The work itself is done by the ExportWorker of
 * whichever running copy claims the job; `onQueued` wakes this process's worker at once.
 */
export class ExportJobService {
  constructor(
    private readonly db: Database,
    private readonly store: ExportStore,
    private readonly downloadUrlExpirySeconds: number,
    private readonly onQueued: (bu: BusinessUnit) => void = () => undefined,
  ) {}

  /**
   * Queues an export, or returns the job already queued under the same idempotency key (two
   * concurrent requests with one key meet at the unique index: one inserts, the other reads it).
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
      const repo = m.getRepository(ExportJobEntity);
      // A retry gets its job back even if the configuration changed since (validation is for new jobs).
      const existing = key === null ? null : await repo.findOneBy({ idempotencyKey: key });
      if (existing) return { job: existing, created: false };
      const known: { name: string; enabled: boolean }[] = await m.query('SELECT name, enabled FROM csv_templates ORDER BY name');
      if (templates) {
        const unknown = templates.filter((t) => !known.some((k) => k.name === t));
        if (unknown.length) {
          throw badInput(`unknown template(s): ${unknown.join(', ')}; configured: ${known.map((k) => k.name).join(', ') || 'none'}`);
        }
      } else if (!known.some((k) => k.enabled)) {
        throw badInput('no template is enabled; enable one or name the templates to export');
      }
      const inserted: { id: string }[] = await m.query(
        `INSERT INTO export_job (idempotency_key, templates, requested_by) VALUES ($1, $2::text[], $3)
         ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id::text AS id`,
        [key, templates, req.requestedBy]);
      if (inserted.length) return { job: await repo.findOneByOrFail({ id: inserted[0].id }), created: true };
      // Another request with this key committed first (the unique index made this insert wait for it).
      return { job: await repo.findOneByOrFail({ idempotencyKey: key! }), created: false };
    });
    if (!created && !sameTemplates(job.templates, templates)) {
      throw new DomainError(ErrorCode.Conflict,
        `idempotencyKey "${key}" was already used for job ${job.id} with other templates (${job.templates?.join(', ') ?? 'all enabled'})`);
    }
    if (created) this.onQueued(bu);
    return job;
  }

  async get(bu: BusinessUnit, id: string): Promise<ExportJobEntity | null> {
    if (!/^\d{1,18}$/.test(id)) return null;
    return this.db.withBu(bu, (m) => m.getRepository(ExportJobEntity).findOneBy({ id }), { readOnly: true });
  }

  /** Newest first. */
  async list(bu: BusinessUnit, first: number | null | undefined, after: string | null | undefined): Promise<Page<ExportJobEntity>> {
    const size = checkPageSize(first, 20);
    const afterKey = decodeCursor(after);
    return this.db.withBu(bu, async (m) => {
      const qb = m.getRepository(ExportJobEntity).createQueryBuilder('j');
      const totalCount = await qb.getCount();
      if (afterKey) qb.where('j.id < :afterKey', { afterKey });
      const rows = await qb.orderBy('j.id', 'DESC').limit(size + 1).getMany();
      return toPage(rows, size, totalCount, (r) => r.id);
    }, { readOnly: true, isolation: 'REPEATABLE READ' });
  }

  /** The job's files with a fresh pre-signed download URL each (S3 stores; null for local files). */
  async files(job: ExportJobEntity): Promise<ExportFileView[]> {
    return Promise.all(job.files.map(async (f) => ({ ...f, downloadUrl: await this.store.downloadUrl(f.uri, this.downloadUrlExpirySeconds) })));
  }
}
