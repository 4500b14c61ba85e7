import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Category membership as the product side states it. */
@Entity({ name: 'channel_node_product' })
export class ChannelNodeProductEntity {
  @PrimaryColumn({ name: 'product_entity_id', type: 'bigint' }) productEntityId!: string;
  @PrimaryColumn({ name: 'channel_node_id', type: 'bigint' }) channelNodeId!: string;
  @Column({ name: 'sort_order', type: 'integer' }) sortOrder!: number;
}
