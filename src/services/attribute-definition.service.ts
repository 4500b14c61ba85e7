import { BusinessUnit } from '../config/business-unit';
import { Database } from '../db/database';
import { AttributeDefinitionEntity } from '../entities';
import { listDefinitions } from '../repositories/attribute-definition.repository';

/** Reads of the attribute schema the BU last loaded from SHARED/AttributeFile.json. */
export class AttributeDefinitionService {
  constructor(private readonly db: Database) {}

  /** Ordered by entity type, then the AttributeFile's SortOrder (unsorted last), then id: the order inRiver shows. */
  async list(bu: BusinessUnit, entityTypeId: string | null | undefined): Promise<AttributeDefinitionEntity[]> {
    return this.db.withBu(bu, (m) => listDefinitions(m, entityTypeId), { readOnly: true });
  }
}
