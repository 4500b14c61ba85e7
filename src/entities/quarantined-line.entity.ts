import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'quarantined_line' })
export class QuarantinedLineEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'source_file', type: 'text' }) sourceFile!: string;
  @Column({ name: 'line_number', type: 'integer' }) lineNumber!: number;
  @Column({ type: 'text' }) reason!: string;
  @Column({ name: 'raw_line', type: 'text' }) rawLine!: string;
  @Column({ name: 'event_id', type: 'bigint', nullable: true }) eventId!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
