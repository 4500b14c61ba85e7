import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The customer's csv_template_config table: one row per output column of a file. */
@Entity({ name: 'csv_template_config' })
export class CsvTemplateColumnEntity {
  @PrimaryGeneratedColumn({ type: 'integer' }) id!: number;
  @Column({ name: 'csv_name', type: 'text' }) csvName!: string;
  @Column({ name: 'column_name', type: 'text' }) columnName!: string;
  @Column({ type: 'integer' }) position!: number;
  @Column({ name: 'source_type', type: 'text' }) sourceType!: string;
  @Column({ name: 'source_value', type: 'text', nullable: true }) sourceValue!: string | null;
  @Column({ name: 'default_value', type: 'text', nullable: true }) defaultValue!: string | null;
  @Column({ type: 'text', nullable: true }) transformation!: string | null;
  @Column({ type: 'boolean' }) required!: boolean;
  @Column({ type: 'text', nullable: true }) notes!: string | null;
}
