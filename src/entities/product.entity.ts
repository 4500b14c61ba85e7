import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TrackedEntity } from './tracked-entity';

@Entity({ name: 'product' })
export class ProductEntity extends TrackedEntity {
  @PrimaryColumn({ name: 'entity_id', type: 'bigint' }) entityId!: string;
  @Column({ name: 'product_id', type: 'text', nullable: true }) productId!: string | null;
}
