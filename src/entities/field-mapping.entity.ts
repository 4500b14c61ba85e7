import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The customer's field_mapping table: which inRiver field becomes which legacy column. */
@Entity({ name: 'field_mapping' })
export class FieldMappingEntity {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  @Column({ name: 'inriver_entity', type: 'text' }) inriverEntity!: string;
  @Column({ name: 'inriver_field', type: 'text' }) inriverField!: string;
  @Column({ name: 'heiler_csv', type: 'text' }) heilerCsv!: string;
  @Column({ name: 'heiler_column', type: 'text' }) heilerColumn!: string;
  @Column({ name: 'transformation_rule', type: 'text', nullable: true }) transformationRule!: string | null;
  @Column({ type: 'boolean' }) active!: boolean;
  @Column({ type: 'text', nullable: true }) notes!: string | null;
}
