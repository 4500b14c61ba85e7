import { createHash } from 'node:crypto';
import { QueryRunner } from 'typeorm';
import { BusinessUnit } from '../../config/business-unit';
import { Database } from '../../db/database';
import type { ExportFileRecord, ExportJobEntity } from '../../entities/export-job.entity';
import { MappingConfig, TemplateConfig } from '../../entities/export-settings.types';
import { Logger, PROGRESS_INTERVAL_MS, progressEvery } from '../../logger';
import { definedAttributes } from '../../repositories/attribute-definition.repository';
import { readDefaultLocale, readMappings, readTemplates } from '../../repositories/export-settings.repository';
import { lastCompletedId } from '../../repositories/load-event.repository';
import { CASE_COLLISION, caseCollisions } from '../settings/settings-names';
import { CategoryTree } from '../template/category-tree';
import { CompiledTemplate, TemplateInvalidError, compileTemplate } from '../template/template-compiler';
import { EvalContext } from '../template/template-types';
import { Transform, TransformationError, compileTransformation } from '../template/transformations';
import { writeCsv } from './csv-file-writer';
import { ExportAbortedError, cursorBatches } from './cursor-batches';
import { ExportStore } from './export-store';

/** Examples of left-out rows kept per file for the warnings. */
const MAX_EXAMPLES = 5;

/** A failure the operator must fix (bad configuration); its message is the job's error. */
export class ExportSettingsError extends Error {}

export interface ExportHooks {
  /** Called once the snapshot is taken, before any file is written (tests commit a load here). */
  afterSnapshot?(job: ExportJobEntity): Promise<void>;
  /** Called after each file is written. */
  afterFile?(job: ExportJobEntity, file: ExportFileRecord): Promise<void>;
}

export interface ExportResult {
  snapshotEventId: string | null;
  files: ExportFileRecord[];
  warnings: string[];
  manifestUri: string;
}

const utcDate = (d: Date) => d.toISOString().slice(0, 10);

/** `{BU}/{YYYY-MM-DD}/{jobId}`: the job's folder under EXPORT_URL (the date is the request's, UTC). */
export function jobFolder(bu: BusinessUnit, job: Pick<ExportJobEntity, 'id' | 'requestedAt'>): string {
  return `${bu.code.toUpperCase()}/${utcDate(job.requestedAt)}/${job.id}`;
}

/** A stable fingerprint of what a file was made from: the template and, for long files, its mappings. */
function templateSha(t: TemplateConfig, mappings: MappingConfig[]): string {
  const { enabled: _e, version: _v, notes: _n, formulaEscape, ...rest } = t;
  // Left out at its default, so the fingerprints of templates made before the setting existed do not change.
  const shape = formulaEscape === 'none' ? rest : { ...rest, formulaEscape };
  return createHash('sha256').update(JSON.stringify({ ...shape, columns: t.columns.map(({ notes: _cn, ...c }) => c), mappings: mappings.map(({ notes: _mn, ...m }) => m) })).digest('hex');
}

/**
 * Writes one export job's files. Everything is read in ONE read-only REPEATABLE READ transaction
 * (the configuration included), so a load committing meanwhile changes nothing in this export;
 * rows come from server-side cursors in batches and stream to the store, so memory stays flat.
 * The manifest is written last, after every file is complete; a failure leaves none.
 */
export class ExportRunner {
  constructor(
    private readonly db: Database,
    private readonly store: ExportStore,
    private readonly log: Logger,
    private readonly hooks: ExportHooks = {},
  ) {}

  async run(conn: QueryRunner, bu: BusinessUnit, job: ExportJobEntity, signal: AbortSignal): Promise<ExportResult> {
    const folder = jobFolder(bu, job);
    const log = this.log.child({ bu: bu.code, exportJob: job.id });
    // A retried job may find what an attempt that died left: its finished and .partial files, even a
    // manifest. Only one attempt of a job runs at a time (its advisory lock), so the folder is its own.
    await this.store.removeFolder(folder);
    try {
      return await this.write(conn, bu, job, folder, log, signal);
    } catch (err) {
      // A failed (or stopped) attempt leaves nothing: no manifest means no reader may use the files,
      // so files without one are only clutter, and a later attempt writes them again anyway.
      await this.store.removeFolder(folder).catch((cleanup: Error) =>
        log.error({ err: cleanup, folder: this.store.uriFor(folder) }, 'export job failed and its files could not be removed'));
      throw err;
    }
  }

  private async write(conn: QueryRunner, bu: BusinessUnit, job: ExportJobEntity, folder: string, log: Logger, signal: AbortSignal): Promise<ExportResult> {
    const startedAt = new Date();
    const { snapshotEventId, files, warnings } = await this.db.inBuTransaction(conn, bu, { readOnly: true, isolation: 'REPEATABLE READ' }, async () => {
      // Every row is read, so plan cursors for the whole result (not the first 10%), and sort in memory.
      await conn.query('SET LOCAL cursor_tuple_fraction = 1');
      await conn.query(`SET LOCAL work_mem = '256MB'`);
      const snapshot = await lastCompletedId(conn);
      await this.hooks.afterSnapshot?.(job);
      const plan = await this.plan(conn, job);
      const ctxBase = {
        defaultLocale: await readDefaultLocale(conn), jobId: job.id, snapshotEventId: snapshot as string | null,
        exportDate: utcDate(job.requestedAt), tree: plan.some((p) => p.compiled.needsTree) ? await CategoryTree.load(conn) : null,
      };
      const warnings = await this.unknownAttributeWarnings(conn, plan.map((p) => p.compiled));
      const files: ExportFileRecord[] = [];
      for (const p of plan) {
        const ctx: EvalContext = { ...ctxBase, mappingRules: p.rules };
        const started = Date.now();
        const fileNo = files.length + 1;
        const progress = progressEvery(PROGRESS_INTERVAL_MS, (rowsRead, rowsPerSecond) =>
          log.info({ file: p.template.name, fileNo, files: plan.length, rowsRead, rowsPerSecond }, 'export progress'));
        const { file, warning } = await this.writeFile(conn, folder, p.compiled, p.template, p.mappings, ctx, signal, progress);
        files.push(file);
        if (warning) warnings.push(warning);
        log.info({ file: file.name, rows: file.rows, bytes: file.bytes, ms: Date.now() - started }, 'export file written');
        await this.hooks.afterFile?.(job, file);
      }
      return { snapshotEventId: snapshot as string | null, files, warnings };
    });
    const manifestKey = `${folder}/manifest.json`;
    const manifest = {
      jobId: job.id, businessUnit: bu.code, schema: bu.schema, snapshotEventId,
      requestedAt: job.requestedAt.toISOString(), requestedBy: job.requestedBy, idempotencyKey: job.idempotencyKey,
      startedAt: startedAt.toISOString(), completedAt: new Date().toISOString(),
      files, warnings,
    };
    await this.store.put(manifestKey, `${JSON.stringify(manifest, null, 2)}\n`, 'application/json');
    return { snapshotEventId, files, warnings, manifestUri: this.store.uriFor(manifestKey) };
  }

  /** Reads and compiles the templates of the job inside the snapshot; bad configuration fails the job here, before any file. */
  private async plan(conn: QueryRunner, job: ExportJobEntity) {
    const templates = job.templates
      ? await readTemplates(conn, job.templates)
      : (await readTemplates(conn)).filter((t) => t.enabled);
    if (job.templates) {
      const missing = job.templates.filter((n) => !templates.some((t) => t.name === n));
      if (missing.length) throw new ExportSettingsError(`requested template(s) no longer exist: ${missing.join(', ')}`);
      templates.sort((a, b) => job.templates!.indexOf(a.name) - job.templates!.indexOf(b.name));
    }
    if (templates.length === 0) throw new ExportSettingsError('no template is enabled: nothing to export');
    // Saving refuses such names; these may come from SQL edits. Reserved names fail in compileTemplate below.
    const collisions = caseCollisions(templates.map((t) => t.name));
    if (collisions.length) throw new ExportSettingsError(`templates ${collisions.join(', ')} ${CASE_COLLISION}; rename one`);
    const plan = [];
    for (const template of templates) {
      const mappings = template.rowSource === 'ITEM_ATTRIBUTE' ? await readMappings(conn, { csv: template.name, activeOnly: true }) : [];
      let compiled: CompiledTemplate;
      try {
        compiled = compileTemplate(template, { mappings });
      } catch (err) {
        if (err instanceof TemplateInvalidError) throw new ExportSettingsError(err.message);
        throw err;
      }
      const rules = new Map<string, Transform | null>();
      for (const m of mappings) {
        try {
          rules.set(m.id, compileTransformation(m.transformationRule));
        } catch (err) {
          if (err instanceof TransformationError) throw new ExportSettingsError(`field_mapping ${m.id} (${m.inriverField} → ${m.heilerColumn}): ${err.message}`);
          throw err;
        }
      }
      plan.push({ template, compiled, mappings, rules });
    }
    return plan;
  }

  private async unknownAttributeWarnings(conn: QueryRunner, compiled: CompiledTemplate[]): Promise<string[]> {
    const rows = await definedAttributes(conn);
    const known = new Set(rows.map((r) => `${r.entity_type_id}.${r.attribute_id}`));
    const typesKnown = new Set(rows.map((r) => r.entity_type_id));
    const warnings: string[] = [];
    for (const c of compiled) {
      const unknown = [...new Set(c.attributeRefs.filter((r) => typesKnown.has(r.scope) && !known.has(`${r.scope}.${r.field}`))
        .map((r) => `${r.scope}.${r.field}`))];
      if (unknown.length) warnings.push(`${c.name}: reads attribute(s) the AttributeFile does not define: ${unknown.join(', ')}`);
    }
    return warnings;
  }

  private async writeFile(conn: QueryRunner, folder: string, compiled: CompiledTemplate, template: TemplateConfig,
    mappings: MappingConfig[], ctx: EvalContext, signal: AbortSignal, progress: (rows: number) => void): Promise<{ file: ExportFileRecord; warning: string | null }> {
    let leftOut = 0;
    const missingByColumn = new Map<string, number>();
    const examples: string[] = [];
    const columns = compiled.columns;
    const required = columns.flatMap((c, i) => (c.required ? [i] : []));
    let rowsRead = 0;
    async function* records(): AsyncGenerator<string[][]> {
      for await (const batch of cursorBatches(conn, compiled.sql, compiled.params, compiled.selects.length, signal)) {
        const out: string[][] = [];
        for (const row of batch) {
          if (compiled.skip?.(row, ctx)) continue;
          const values = columns.map((c) => c.render(row, ctx));
          if (required.some((i) => values[i] === '')) {
            const missing = required.filter((i) => values[i] === '').map((i) => columns[i].name);
            leftOut++;
            for (const m of missing) missingByColumn.set(m, (missingByColumn.get(m) ?? 0) + 1);
            if (examples.length < MAX_EXAMPLES) examples.push(`${compiled.idOf(row)} (${missing.join(', ')})`);
            continue;
          }
          out.push(values);
        }
        rowsRead += batch.length;
        progress(rowsRead);
        yield out;
      }
    }
    const key = `${folder}/${template.name}`;
    let written;
    try {
      const sink = await this.store.openWrite(key, 'text/csv; charset=utf-8');
      written = await writeCsv(sink, template, compiled.columns.map((c) => c.name), records());
    } catch (err) {
      if (err instanceof ExportAbortedError) throw err;
      throw new Error(`writing ${template.name} failed: ${(err as Error).message}`);
    }
    const file: ExportFileRecord = {
      name: template.name, uri: this.store.uriFor(key), rowSource: compiled.rowSource, rows: written.rows, bytes: written.bytes,
      sha256: written.sha256, rowsLeftOut: leftOut, template: { version: template.version, sha256: templateSha(template, mappings) },
    };
    const warning = leftOut === 0 ? null
      : `${template.name}: ${leftOut} row(s) left out because a required column was empty (${compiled.columns.filter((c) => missingByColumn.has(c.name)).map((c) => `${c.name}: ${missingByColumn.get(c.name)}`).join(', ')}); e.g. ${examples.join('; ')}`;
    return { file, warning };
  }
}
