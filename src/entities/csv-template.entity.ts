import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { CsvEncoding, FormulaEscape, LineEnding, Quoting } from './export-settings.types';

/** One output file of the CSV export (its columns are CsvTemplateColumnEntity rows). */
@Entity({ name: 'csv_templates' })
export class CsvTemplateEntity {
  @PrimaryColumn({ type: 'text' }) name!: string;
  @Column({ name: 'row_source', type: 'text' }) rowSource!: string;
  @Column({ type: 'text' }) delimiter!: string;
  @Column({ type: 'boolean' }) enabled!: boolean;
  @Column({ type: 'boolean' }) header!: boolean;
  @Column({ type: 'text' }) quoting!: Quoting;
  @Column({ name: 'line_ending', type: 'text' }) lineEnding!: LineEnding;
  @Column({ type: 'text' }) encoding!: CsvEncoding;
  @Column({ name: 'formula_escape', type: 'text' }) formulaEscape!: FormulaEscape;
  @Column({ type: 'integer' }) version!: number;
  @Column({ type: 'text', nullable: true }) notes!: string | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
