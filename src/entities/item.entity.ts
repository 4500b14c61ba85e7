import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TrackedEntity } from './tracked-entity';

@Entity({ name: 'item' })
export class ItemEntity extends TrackedEntity {
  @PrimaryColumn({ name: 'entity_id', type: 'bigint' }) entityId!: string;
  @Column({ name: 'product_entity_id', type: 'bigint' }) productEntityId!: string;
  @Column({ name: 'sort_order', type: 'integer' }) sortOrder!: number;
}
