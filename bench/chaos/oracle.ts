import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { Client } from 'pg';
import { LoaderLimits } from '../../src/config/config';
import { BusinessUnit } from '../../src/config/business-unit';
import { Database } from '../../src/db/database';
import { EmbeddedPostgres, scratchPostgres } from '../../src/db/embedded-postgres';
import { runMigrations } from '../../src/db/migrations-runner';
import type { ExportFileRecord, ExportJobEntity } from '../../src/entities/export-job.entity';
import { ExportRunner } from '../../src/export/job/export-runner';
import { LocalExportStore } from '../../src/export/job/export-store';
import { BusinessUnitLoader } from '../../src/loaders/business-unit-loader';
import { S3Source } from '../../src/loaders/source/s3-source';
import { createS3Client } from '../../src/storage/s3-client';
import { createLogger } from '../../src/logger';
import { comparableState } from '../../test/support/loader-harness';
import { PROJECT_ROOT } from '../bench-database';

type State = Record<string, unknown[]>;

/** A database on the oracle's own server, migrated for the business units, loaded by the loader in this process. */
interface Loaded {
  name: string;
  db: Database;
  loader: BusinessUnitLoader;
  source: S3Source;
}

/**
 * What the service's state is judged against. On a PostgreSQL server of its own (a fault on the
 * service's server never touches it), a reference database is loaded in this process from the
 * same bucket, with no fault, each time the campaign adds a file: the state a fresh load of the
 * bucket reaches, kept current without reloading every file after every fault. At the end a truly
 * fresh database loads the whole bucket at once, which must equal both.
 */
export class Oracle {
  private fresh = 0;

  private constructor(private readonly server: EmbeddedPostgres, private readonly reference: Loaded,
    private readonly open: (name: string, units: readonly BusinessUnit[]) => Promise<Loaded>, private readonly workDir: string) {}

  static async start(workDir: string, s3: { endpoint: string; bucket: string }, units: readonly BusinessUnit[], limits: LoaderLimits): Promise<Oracle> {
    const server = await scratchPostgres(['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']);
    const log = createLogger('silent');
    const open = async (name: string, buList: readonly BusinessUnit[]): Promise<Loaded> => {
      const admin = new Client({ connectionString: server.url });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`).finally(() => admin.end());
      const u = new URL(server.url);
      u.pathname = `/${name}`;
      const db = await Database.connect(u.toString(), { poolSize: 3 });
      await runMigrations(db, buList, MIGRATIONS);
      // New objects every time: no listing or ETag cache is shared with another load.
      const source = new S3Source(createS3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' }), { bucket: s3.bucket, ownsClient: true });
      return { name, db, source, loader: new BusinessUnitLoader(db, source, { loader: limits, businessUnits: buList }, log) };
    };
    return new Oracle(server, await open('reference', units), open, workDir);
  }

  /** A business unit added to the service's configuration: its schema in the reference too. */
  async addBusinessUnit(bu: BusinessUnit): Promise<void> {
    await runMigrations(this.reference.db, [bu], MIGRATIONS);
  }

  /** Applies what the bucket gained since the last call to the reference. */
  async catchUp(bu: BusinessUnit): Promise<void> {
    const result = await this.reference.loader.loadOnce(bu);
    if (result.status !== 'done') throw new Error(`the reference load did not finish: ${JSON.stringify(result)}`);
  }

  private state(db: Database, bu: BusinessUnit): Promise<State> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return comparableState((sql, params) => db.withBu(bu, (m) => m.query(sql, params)) as Promise<any[]>, bu.code);
  }

  /** Differences between a business unit's state in the service's database (`url`) and the reference's; [] when equal. */
  async compareWithReference(url: string, bu: BusinessUnit): Promise<string[]> {
    const service = await Database.connect(url, { poolSize: 1 });
    try {
      return diffStates(await this.state(service, bu), await this.state(this.reference.db, bu), `service (${bu.code})`, 'reference');
    } finally {
      await service.close();
    }
  }

  /** A new database loads the whole bucket at once for each business unit; its states against the reference's. */
  async freshLoadDiff(units: readonly BusinessUnit[]): Promise<string[]> {
    const fresh = await this.open(`fresh_${++this.fresh}`, units);
    try {
      const problems: string[] = [];
      for (const bu of units) {
        const result = await fresh.loader.loadOnce(bu);
        if (result.status !== 'done') problems.push(`the fresh load of ${bu.code} did not finish: ${JSON.stringify(result)}`);
        else problems.push(...diffStates(await this.state(fresh.db, bu), await this.state(this.reference.db, bu), `fresh load (${bu.code})`, 'reference'));
      }
      return problems;
    } finally {
      await fresh.source.close();
      await fresh.db.close();
      const admin = new Client({ connectionString: this.server.url });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${fresh.name} WITH (FORCE)`).finally(() => admin.end());
    }
  }

  /**
   * The service's export job against an export of the reference made here with the same code:
   * every file by sha256, except the columns that print a row's `updated_at` (when the service
   * and the reference wrote a row differs), which are left out of both before hashing.
   */
  async compareExport(bu: BusinessUnit, job: Pick<ExportJobEntity, 'id' | 'requestedAt' | 'files'>): Promise<string[]> {
    const dir = fs.mkdtempSync(path.join(this.workDir, 'reference-export-'));
    const conn = this.reference.db.dataSource.createQueryRunner();
    await conn.connect();
    try {
      const jobLike = { id: job.id, requestedAt: new Date(job.requestedAt), templates: null, requestedBy: 'chaos', idempotencyKey: null } as unknown as ExportJobEntity;
      const ref = await new ExportRunner(this.reference.db, new LocalExportStore(dir), createLogger('silent')).run(conn, bu, jobLike, new AbortController().signal);
      const volatile: { csv_name: string; column_name: string }[] = await this.reference.db.withBu(bu, (m) => m.query(
        `SELECT csv_name, column_name FROM csv_template_config WHERE source_type = 'inriver_field' AND source_value IN ('UpdatedAt', 'Product.UpdatedAt')`));
      const problems: string[] = [];
      const names = (files: ExportFileRecord[]) => files.map((f) => f.name).sort().join(',');
      if (names(job.files) !== names(ref.files)) problems.push(`export files ${names(job.files)} ≠ reference ${names(ref.files)}`);
      for (const file of job.files) {
        const local = fileURLToPath(file.uri);
        if (!fs.existsSync(local)) {
          problems.push(`${file.name}: not on disk`);
          continue;
        }
        const bytes = fs.readFileSync(local);
        if (sha256(bytes) !== file.sha256) problems.push(`${file.name}: on disk ≠ its record's sha256`);
        const other = ref.files.find((f) => f.name === file.name);
        if (!other) continue;
        const drop = volatile.filter((v) => v.csv_name === file.name).map((v) => v.column_name);
        const equal = drop.length
          ? withoutColumns(bytes, drop) === withoutColumns(fs.readFileSync(fileURLToPath(other.uri)), drop)
          : file.sha256 === other.sha256;
        if (!equal || file.rows !== other.rows) problems.push(`${file.name}: differs from the reference export (rows ${file.rows} vs ${other.rows})`);
      }
      return problems;
    } finally {
      await conn.release();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  async stop(): Promise<void> {
    await this.reference.source.close();
    await this.reference.db.close();
    await this.server.stop();
  }
}

const MIGRATIONS = path.join(PROJECT_ROOT, 'migrations');
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** The file's records without the named columns, hashed: equal content but for those columns, equal hash. */
function withoutColumns(csv: Buffer, columns: string[]): string {
  const rows: string[][] = parse(csv, { bom: true, relax_column_count: true });
  const drop = new Set(columns.map((c) => rows[0]?.indexOf(c)).filter((i) => i !== undefined && i >= 0));
  return sha256(JSON.stringify(rows.map((r) => r.filter((_, i) => !drop.has(i)))));
}

/** Which tables differ, with how many rows each side has that the other lacks, and an example. */
export function diffStates(a: State, b: State, aName: string, bName: string): string[] {
  const out: string[] = [];
  for (const table of Object.keys(b)) {
    const left = (a[table] ?? []).map((r) => JSON.stringify(r));
    const right = b[table].map((r) => JSON.stringify(r));
    if (left.join('\n') === right.join('\n')) continue;
    const rightSet = new Set(right);
    const leftSet = new Set(left);
    const onlyLeft = left.filter((r) => !rightSet.has(r));
    const onlyRight = right.filter((r) => !leftSet.has(r));
    out.push(`${table}: ${left.length} rows in the ${aName}, ${right.length} in the ${bName}; ${onlyLeft.length} only in the ${aName}`
      + `${onlyLeft.length ? ` (e.g. ${onlyLeft[0].slice(0, 300)})` : ''}, ${onlyRight.length} only in the ${bName}`
      + `${onlyRight.length ? ` (e.g. ${onlyRight[0].slice(0, 300)})` : ''}`);
  }
  return out;
}
