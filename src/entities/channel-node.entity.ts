import { Entity, PrimaryColumn } from 'typeorm';
import { TrackedEntity } from './tracked-entity';

@Entity({ name: 'channel_node' })
export class ChannelNodeEntity extends TrackedEntity {
  @PrimaryColumn({ name: 'entity_id', type: 'bigint' }) entityId!: string;
}
