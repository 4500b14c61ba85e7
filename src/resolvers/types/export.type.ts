import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { BusinessUnit } from '../../config/business-unit';
import { ExportJobEntity } from '../../entities/export-job.entity';
import { ExportFileView } from '../../services/export-job.service';
import { PageInfo } from './page-info.type';
import { DateTimeScalar } from './scalars';

export enum ExportStatusEnum { QUEUED = 'QUEUED', RUNNING = 'RUNNING', SUCCEEDED = 'SUCCEEDED', FAILED = 'FAILED' }
registerEnumType(ExportStatusEnum, {
  name: 'ExportStatus',
  description: 'QUEUED: waiting for a worker; RUNNING: files being written; SUCCEEDED: every file and the manifest written; FAILED: see error (no manifest).',
  valuesConfig: {
    QUEUED: { description: 'Waiting for a worker.' },
    RUNNING: { description: 'A worker is writing the files.' },
    SUCCEEDED: { description: 'Every file and the manifest are written.' },
    FAILED: { description: 'Stopped; error says why (no manifest).' },
  },
});

@ObjectType('ExportFile', { description: 'One CSV file of an export job.' })
export class ExportFileType {
  @Field(() => String, { description: 'File name, e.g. items.csv (the template name).' }) name!: string;
  @Field(() => String, { description: 'Where it was written: s3://bucket/key or file:///path.' }) uri!: string;
  @Field(() => Int, { description: 'Data rows (the header not counted).' }) rows!: number;
  @Field(() => Int, { description: 'Size in bytes.' }) bytes!: number;
  @Field(() => String, { description: 'sha256 of the bytes written (hex).' }) sha256!: string;
  @Field(() => String, { nullable: true, description: 'A pre-signed GET URL (S3 stores; expires after EXPORT_DOWNLOAD_URL_EXPIRY_SECONDS); null for local files.' })
  downloadUrl!: string | null;
  @Field(() => String, { description: 'The template row source the rows came from.' }) rowSource!: string;
  @Field(() => Int, { description: 'Rows left out because a required column was empty (see the job warnings).' }) rowsLeftOut!: number;
  @Field(() => Int, { description: 'Version of the template the file was made with.' }) templateVersion!: number;

  static from(f: ExportFileView): ExportFileType {
    return Object.assign(new ExportFileType(), {
      name: f.name, uri: f.uri, rows: f.rows, bytes: f.bytes, sha256: f.sha256, downloadUrl: f.downloadUrl,
      rowSource: f.rowSource, rowsLeftOut: f.rowsLeftOut, templateVersion: f.template.version,
    });
  }
}

@ObjectType('ExportJob', { description: 'A full CSV export of one business unit: queued by requestExport, run by a worker, written with a manifest last.' })
export class ExportJobType {
  @Field(() => ID, { description: 'Job id: poll exportJob with it.' }) id!: string;
  @Field(() => String, { description: 'The business unit exported.' }) businessUnit!: string;
  @Field(() => ExportStatusEnum, { description: 'Where the job stands (see ExportStatus).' }) status!: ExportStatusEnum;
  @Field(() => String, { nullable: true, description: 'The key given to requestExport; the same key always returns this job.' }) idempotencyKey!: string | null;
  @Field(() => String, { nullable: true, description: 'The API key name (or CLI user) that asked.' }) requestedBy!: string | null;
  @Field(() => DateTimeScalar, { description: 'When requestExport queued it.' }) requestedAt!: Date;
  @Field(() => DateTimeScalar, { nullable: true, description: 'When the latest attempt started.' }) startedAt!: Date | null;
  @Field(() => DateTimeScalar, { description: 'When it succeeded or failed.', nullable: true }) finishedAt!: Date | null;
  @Field(() => ID, { nullable: true, description: 'The last applied load event (FILE_COMPLETE) the files reflect.' }) snapshotEventId!: string | null;
  @Field(() => [ExportFileType], { description: 'The written files (empty until the job succeeds).' }) files!: ExportFileType[];
  @Field(() => String, { nullable: true, description: 'URI of manifest.json, written after every file is complete.' }) manifestUri!: string | null;
  @Field(() => [String], { description: 'Rows left out for missing required values (with example ids), unknown attributes, interrupted attempts.' })
  warnings!: string[];
  @Field(() => String, { nullable: true, description: 'Why the job failed.' }) error!: string | null;
  @Field(() => [String], { nullable: true, description: 'The templates asked for; null = every enabled template.' }) templates!: string[] | null;
  @Field(() => Int, { description: 'Attempts started (a job whose process died is retried, at most 3 times).' }) attempts!: number;

  static from(bu: BusinessUnit, j: ExportJobEntity, files: ExportFileView[]): ExportJobType {
    return Object.assign(new ExportJobType(), {
      id: j.id, businessUnit: bu.code, status: j.status as ExportStatusEnum, idempotencyKey: j.idempotencyKey, requestedBy: j.requestedBy,
      requestedAt: j.requestedAt, startedAt: j.startedAt, finishedAt: j.finishedAt, snapshotEventId: j.snapshotEventId,
      files: files.map(ExportFileType.from), manifestUri: j.manifestUri, warnings: j.warnings, error: j.error,
      templates: j.templates, attempts: j.attempts,
    });
  }
}

@ObjectType('ExportJobConnection', { description: 'A page of export jobs, newest first.' })
export class ExportJobConnection {
  @Field(() => [ExportJobType], { description: 'The jobs of this page.' }) nodes!: ExportJobType[];
  @Field(() => PageInfo, { description: 'Where this page ends and whether another follows.' }) pageInfo!: PageInfo;
  @Field(() => Int, { description: 'How many jobs, over all pages.' }) totalCount!: number;
}
