import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { OwnerType } from './entity-types';

@Entity({ name: 'resource' })
export class ResourceEntity {
  @PrimaryColumn({ name: 'owner_type', type: 'text' }) ownerType!: OwnerType;
  @PrimaryColumn({ name: 'owner_entity_id', type: 'bigint' }) ownerEntityId!: string;
  @PrimaryColumn({ name: 'resource_entity_id', type: 'bigint' }) resourceEntityId!: string;
  @Column({ name: 'sort_order', type: 'integer' }) sortOrder!: number;
  @Column({ name: 'field_set_id', type: 'text', nullable: true }) fieldSetId!: string | null;
  @Column({ type: 'jsonb' }) attributes!: Record<string, unknown>;
  @Column({ type: 'jsonb', nullable: true }) extra!: Record<string, unknown> | null;
}
