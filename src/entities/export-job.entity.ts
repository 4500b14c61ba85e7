import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type ExportStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/** One written file of a job, as kept in export_job.files and the manifest. */
export interface ExportFileRecord {
  name: string;
  uri: string;
  rowSource: string;
  rows: number;
  bytes: number;
  sha256: string;
  rowsLeftOut: number;
  template: { version: number; sha256: string };
}

@Entity({ name: 'export_job' })
export class ExportJobEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ type: 'text' }) status!: ExportStatus;
  @Column({ name: 'idempotency_key', type: 'text', nullable: true }) idempotencyKey!: string | null;
  @Column({ type: 'text', array: true, nullable: true }) templates!: string[] | null;
  @Column({ name: 'requested_by', type: 'text', nullable: true }) requestedBy!: string | null;
  @Column({ name: 'requested_at', type: 'timestamptz' }) requestedAt!: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
  @Column({ type: 'integer' }) attempts!: number;
  @Column({ type: 'text', nullable: true }) worker!: string | null;
  @Column({ name: 'snapshot_event_id', type: 'bigint', nullable: true }) snapshotEventId!: string | null;
  @Column({ type: 'jsonb' }) files!: ExportFileRecord[];
  @Column({ name: 'manifest_uri', type: 'text', nullable: true }) manifestUri!: string | null;
  @Column({ type: 'jsonb' }) warnings!: string[];
  @Column({ type: 'text', nullable: true }) error!: string | null;
}
