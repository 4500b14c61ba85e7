import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { OwnerType } from './entity-types';

export type LinkDirection = 'INBOUND' | 'OUTBOUND';

@Entity({ name: 'entity_link' })
export class EntityLinkEntity {
  @PrimaryColumn({ name: 'owner_type', type: 'text' }) ownerType!: OwnerType;
  @PrimaryColumn({ name: 'owner_entity_id', type: 'bigint' }) ownerEntityId!: string;
  @PrimaryColumn({ type: 'text' }) direction!: LinkDirection;
  @PrimaryColumn({ name: 'sort_order', type: 'integer' }) sortOrder!: number;
  @Column({ name: 'link_type_id', type: 'text' }) linkTypeId!: string;
  @Column({ name: 'other_entity_type_id', type: 'text' }) otherEntityTypeId!: string;
  @Column({ name: 'other_entity_id', type: 'bigint' }) otherEntityId!: string;
  @Column({ type: 'jsonb', nullable: true }) extra!: Record<string, unknown> | null;
}
