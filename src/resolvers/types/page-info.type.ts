import { Field, ObjectType } from 'type-graphql';
import { Page } from '../../services/pagination';

@ObjectType('PageInfo', { simpleResolvers: true, description: 'Keyset pagination: pass endCursor as `after` to get the next page.' })
export class PageInfo {
  @Field(() => Boolean, { description: 'True if more nodes follow this page.' }) hasNextPage!: boolean;
  @Field(() => String, { nullable: true, description: 'Opaque cursor of the last node of this page.' }) endCursor!: string | null;
}

export function connection<T, N>(page: Page<T>, map: (row: T) => N) {
  return {
    nodes: page.nodes.map(map),
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
    totalCount: page.totalCount,
  };
}
