import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The customer's decorator_data table: values the legacy PIM had and inRiver does not. */
@Entity({ name: 'decorator_data' })
export class DecoratorEntity {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  @Column({ name: 'entity_type', type: 'text' }) entityType!: string;
  @Column({ name: 'entity_id', type: 'text' }) entityId!: string;
  @Column({ name: 'decorator_type', type: 'text' }) decoratorType!: string;
  @Column({ name: 'decorator_value', type: 'text', nullable: true }) decoratorValue!: string | null;
  @Column({ type: 'text', nullable: true }) source!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ type: 'text', nullable: true }) notes!: string | null;
}
