import { Column } from 'typeorm';

/**
 * Columns every loaded entity shares. Bigint ids stay strings: they are inRiver's ids and
 * GraphQL IDs, never arithmetic.
 */
export abstract class TrackedEntity {
  @Column({ name: 'field_set_id', type: 'text', nullable: true }) fieldSetId!: string | null;
  @Column({ type: 'jsonb' }) attributes!: Record<string, unknown>;
  @Column({ type: 'jsonb', nullable: true }) extra!: Record<string, unknown> | null;
  @Column({ name: 'content_hash', type: 'text' }) contentHash!: string;
  @Column({ type: 'boolean' }) deleted!: boolean;
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true }) deletedAt!: Date | null;
  @Column({ name: 'deleted_by_file', type: 'text', nullable: true }) deletedByFile!: string | null;
  @Column({ name: 'source_file', type: 'text' }) sourceFile!: string;
  @Column({ name: 'event_id', type: 'bigint' }) eventId!: string;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
