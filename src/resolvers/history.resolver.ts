import DataLoader from 'dataloader';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { BusinessUnit } from '../config/business-unit';
import { badInput } from '../errors/domain-error';
import { HistoryRow } from '../repositories/entity-history.repository';
import { BusinessUnitArg } from './business-unit-arg.decorator';
import { RequestContext } from './request-context';
import { EntityType } from './types/entity.type';
import { ChangeConnection, ChangeType, EntityVersionType, ReplayResultType } from './types/history.type';
import { LoadEventType } from './types/load.type';
import { DateTimeScalar } from './types/scalars';

@Resolver(() => EntityType)
export class EntityHistoryResolver {
  @FieldResolver(() => [EntityVersionType], { description: 'The latest changes of this entity, newest first (valid events only).' })
  async history(@Root() entity: EntityType, @Ctx() ctx: RequestContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number | null): Promise<EntityVersionType[]> {
    const size = first ?? 20;
    const loader = ctx.dataloaders.named(entity.bu, `history:${entity.entityTypeId}:${size}`, () => new DataLoader<string, HistoryRow[]>(
      async (keys) => {
        const byKey = await ctx.services.history.versions(entity.bu, entity.entityTypeId, keys, size);
        return keys.map((k) => byKey.get(k) ?? []);
      }));
    return (await loader.load(entity.entityId)).map(EntityVersionType.from);
  }
}

@Resolver()
export class ChangesResolver {
  @Query(() => ChangeConnection, { description: 'What changed after an event (exclusive) and/or since a time, in event order, cursor-paged.' })
  async changes(
    @Ctx() ctx: RequestContext,
    @BusinessUnitArg() bu: BusinessUnit,
    @Arg('sinceEventId', () => ID, { nullable: true }) sinceEventId?: string | null,
    @Arg('since', () => DateTimeScalar, { nullable: true }) since?: Date | null,
    @Arg('entityTypes', () => [String], { nullable: true }) entityTypes?: string[] | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 1000 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<ChangeConnection> {
    const page = await ctx.services.history.changes(bu, { sinceEventId, since, entityTypes }, first, after);
    return { nodes: page.nodes.map(ChangeType.from), pageInfo: page.pageInfo };
  }

  @Mutation(() => ReplayResultType, {
    description: 'Marks event fromEventId and every later event of the BU for replay (never deletes one), puts the state back to just '
      + 'before it using the history, and lets the loader apply the files from there again (operator). dryRun: report only.',
  })
  async requestReplay(
    @Ctx() ctx: RequestContext,
    @BusinessUnitArg('operator') bu: BusinessUnit,
    @Arg('fromEventId', () => ID) fromEventId: string,
    @Arg('reason', () => String) reason: string,
    @Arg('dryRun', () => Boolean, { nullable: true, defaultValue: false }) dryRun?: boolean | null,
  ): Promise<ReplayResultType> {
    if (!reason.trim()) throw badInput('reason must not be empty');
    const outcome = await ctx.services.replay.replay(bu, fromEventId, `${reason.trim()} (by ${ctx.principal.name})`, dryRun ?? false);
    return Object.assign(new ReplayResultType(), { ...outcome, fromEvent: LoadEventType.from(outcome.fromEvent) });
  }
}
