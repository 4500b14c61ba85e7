import { EntityManager } from 'typeorm';
import { Queryable } from '../db/queryable';
import { QuarantinedLineEntity } from '../entities';
import { countOf } from './keyset-page';

/** A line the loader set aside, with why. */
export interface QuarantinedLine { lineNumber: number; reason: string; rawLine: string }

/** Appends bad lines of `sourceFile`, under the event of the file's outcome. */
export async function insertQuarantined(db: Queryable, sourceFile: string, lines: QuarantinedLine[], eventId: string): Promise<void> {
  if (!lines.length) return;
  await db.query(
    `INSERT INTO quarantined_line (source_file, line_number, reason, raw_line, event_id)
     SELECT $1, r.line_number, r.reason, r.raw_line, $3 FROM jsonb_to_recordset($2::jsonb) AS r(line_number int, reason text, raw_line text)`,
    [sourceFile, JSON.stringify(lines.map((l) => ({ line_number: l.lineNumber, reason: l.reason, raw_line: l.rawLine.replace(/\u0000/g, '\\u0000') }))), eventId]);
}

/** Quarantined lines (of one file, when given), newest first after `afterKey` (`size + 1` of them); totalCount NaN unless asked. */
export async function listQuarantined(m: EntityManager, sourceFile: string | null | undefined, page: { afterKey: string | null; size: number; countTotal: boolean }):
  Promise<{ rows: QuarantinedLineEntity[]; totalCount: number }> {
  const qb = m.getRepository(QuarantinedLineEntity).createQueryBuilder('q');
  if (sourceFile) qb.andWhere('q.source_file = :sf', { sf: sourceFile });
  const totalCount = page.countTotal ? await countOf(qb) : Number.NaN;
  if (page.afterKey) qb.andWhere('q.id < :afterKey', { afterKey: page.afterKey });
  const rows = await qb.orderBy('q.id', 'DESC').limit(page.size + 1).getMany();
  return { rows, totalCount };
}
