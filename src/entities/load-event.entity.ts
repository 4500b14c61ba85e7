import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type LoadEventType = 'file_start' | 'file_complete' | 'file_error' | 'replay';

@Entity({ name: 'load_event' })
export class LoadEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'event_time', type: 'timestamptz' }) eventTime!: Date;
  @Column({ name: 'event_type', type: 'text' }) eventType!: LoadEventType;
  @Column({ name: 'source_file', type: 'text' }) sourceFile!: string;
  @Column({ name: 'source_key', type: 'text' }) sourceKey!: string;
  @Column({ name: 'source_etag', type: 'text', nullable: true }) sourceEtag!: string | null;
  @Column({ name: 'source_sha256', type: 'text', nullable: true }) sourceSha256!: string | null;
  @Column({ name: 'entity_type', type: 'text', nullable: true }) entityType!: string | null;
  @Column({ name: 'start_event_id', type: 'bigint', nullable: true }) startEventId!: string | null;
  @Column({ name: 'records_processed', type: 'integer', nullable: true }) recordsProcessed!: number | null;
  @Column({ name: 'records_inserted', type: 'integer', nullable: true }) recordsInserted!: number | null;
  @Column({ name: 'records_updated', type: 'integer', nullable: true }) recordsUpdated!: number | null;
  @Column({ name: 'records_unchanged', type: 'integer', nullable: true }) recordsUnchanged!: number | null;
  @Column({ name: 'records_deleted', type: 'integer', nullable: true }) recordsDeleted!: number | null;
  @Column({ name: 'records_quarantined', type: 'integer', nullable: true }) recordsQuarantined!: number | null;
  @Column({ name: 'error_message', type: 'text', nullable: true }) errorMessage!: string | null;
  @Column({ type: 'jsonb' }) metadata!: Record<string, unknown>;
  @Column({ name: 'replay_date', type: 'timestamptz', nullable: true }) replayDate!: Date | null;
  @Column({ name: 'replay_reason', type: 'text', nullable: true }) replayReason!: string | null;
}
