import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { AttributeDefinitionEntity } from '../entities';

/** Reads of the attribute schema the BU last loaded from SHARED/AttributeFile.json. */
export class AttributeDefinitionService {
  constructor(private readonly db: Database) {}

  /** Ordered by entity type, then the AttributeFile's SortOrder (unsorted last), then id: the order inRiver shows. */
  async list(bu: BusinessUnit, entityTypeId: string | null | undefined): Promise<AttributeDefinitionEntity[]> {
    return this.db.withBu(bu, (m) => {
      const qb = m.getRepository(AttributeDefinitionEntity).createQueryBuilder('d');
      if (entityTypeId != null) qb.where('d.entity_type_id = :t', { t: entityTypeId });
      return qb.orderBy('d.entity_type_id', 'ASC').addOrderBy('d.sort_order', 'ASC', 'NULLS LAST').addOrderBy('d.attribute_id', 'ASC').getMany();
    }, { readOnly: true });
  }
}
