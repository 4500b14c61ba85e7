import { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, Info, Int, Mutation, Query, Resolver } from 'type-graphql';
import { BusinessUnit } from '../config/business-unit';
import { LoadStatusView } from '../services/load-status.service';
import { BusinessUnitArg } from './business-unit-arg.decorator';
import { RequestContext } from './request-context';
import { selectsField } from './selection';
import {
  BusinessUnitType, LoadEventConnection, LoadEventFilterInput, LoadEventType, LoadLockType, LoadStatusType,
  QuarantinedLineConnection, QuarantinedLineType,
} from './types/load.type';
import { connection } from './types/page-info.type';

const toStatus = (s: LoadStatusView): LoadStatusType => Object.assign(new LoadStatusType(), {
  ...s,
  lastCompleted: s.lastCompleted && LoadEventType.from(s.lastCompleted),
  blockedBy: s.blockedBy && LoadEventType.from(s.blockedBy),
  lock: s.lock && Object.assign(new LoadLockType(), s.lock),
});

@Resolver()
export class LoadResolver {
  @Query(() => [BusinessUnitType], { description: 'The business units this API key may use.' })
  businessUnits(@Ctx() ctx: RequestContext): BusinessUnitType[] {
    const allowed = ctx.principal.businessUnits;
    return ctx.config.businessUnits
      .filter((bu) => !allowed || allowed.includes(bu.code))
      .map((bu: BusinessUnit) => ({ code: bu.code, schema: bu.schema, sourcePrefix: bu.sourceFolder }));
  }

  @Query(() => LoadEventConnection, { description: 'The load event log, newest first.' })
  async loadEvents(
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
    @BusinessUnitArg() bu: BusinessUnit,
    @Arg('filter', () => LoadEventFilterInput, { nullable: true }) filter?: LoadEventFilterInput | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 100 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<LoadEventConnection> {
    const page = await ctx.services.loadLog.listEvents(bu, filter ?? {}, first, after, { countTotal: selectsField(info, 'totalCount') });
    return connection(page, LoadEventType.from);
  }

  @Query(() => LoadStatusType, { description: 'What ran last, what holds loading back, what waits in the source.' })
  async loadStatus(@Ctx() ctx: RequestContext, @BusinessUnitArg() bu: BusinessUnit): Promise<LoadStatusType> {
    // Once per request and BU however often it is aliased: each status lists the source (an S3 LIST).
    return toStatus(await ctx.dataloaders.named(bu, 'loadStatus', () => ctx.services.status.status(bu)));
  }

  @Query(() => QuarantinedLineConnection, { description: 'Lines that could not be applied, newest first.' })
  async quarantinedLines(
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
    @BusinessUnitArg() bu: BusinessUnit,
    @Arg('sourceFile', () => String, { nullable: true }) sourceFile?: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 100 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<QuarantinedLineConnection> {
    const page = await ctx.services.loadLog.listQuarantined(bu, sourceFile, first, after, { countTotal: selectsField(info, 'totalCount') });
    return connection(page, QuarantinedLineType.from);
  }

  @Mutation(() => LoadStatusType, {
    description: 'Scan the source now instead of waiting for the next poll (operator). Returns at once; poll loadStatus. '
      + 'Idempotent: a trigger joins the pass that has not listed the source yet, or the one pass waiting behind a running one; '
      + 'aliases in one request are one trigger and get the same answer.',
  })
  async triggerLoad(@Ctx() ctx: RequestContext, @BusinessUnitArg('operator') bu: BusinessUnit): Promise<LoadStatusType> {
    return toStatus(await ctx.services.loadTrigger.trigger(bu, ctx));
  }
}
