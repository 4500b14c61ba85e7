import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'attribute_definition' })
export class AttributeDefinitionEntity {
  @PrimaryColumn({ name: 'entity_type_id', type: 'text' }) entityTypeId!: string;
  @PrimaryColumn({ name: 'attribute_id', type: 'text' }) attributeId!: string;
  @Column({ name: 'data_type', type: 'text' }) dataType!: string;
  @Column({ type: 'jsonb' }) names!: Record<string, string>;
  @Column({ name: 'sort_order', type: 'integer', nullable: true }) sortOrder!: number | null;
  @Column({ name: 'is_multi_value', type: 'boolean' }) isMultiValue!: boolean;
  @Column({ name: 'allowed_values', type: 'jsonb', nullable: true }) allowedValues!: Record<string, string> | null;
  @Column({ type: 'jsonb', nullable: true }) fieldsets!: unknown;
  @Column({ type: 'jsonb', nullable: true }) extra!: Record<string, unknown> | null;
  @Column({ name: 'content_hash', type: 'text' }) contentHash!: string;
  @Column({ name: 'source_file', type: 'text' }) sourceFile!: string;
  @Column({ name: 'event_id', type: 'bigint' }) eventId!: string;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
