import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { renderParityReport } from '../parity/parity-report.renderer';
import { parityRequest } from '../parity/parity-request.parser';
import { RequestContext, businessUnitOf } from './request-context';
import { ParityCompareInput, ParityRunConnection, ParityRunType } from './types/parity.type';

/** Parity runs (comparisons of an export with a legacy file): operator role, reads included, as they show file contents. */
@Resolver(() => ParityRunType)
export class ParityResolver {
  @Mutation(() => ParityRunType, {
    description: 'Compare an export file (a file, an export job\'s file, or a template rendered now) with a legacy file, by key (operator). '
      + 'Returns the run at once (RUNNING); poll parityRun. Files: s3:// URIs, or file:// inside the local EXPORT_URL folder.',
  })
  async startParityRun(
    @Ctx() ctx: RequestContext,
    @Arg('businessUnit', () => String) businessUnit: string,
    @Arg('input', () => ParityCompareInput) input: ParityCompareInput,
  ): Promise<ParityRunType> {
    const bu = businessUnitOf(ctx, businessUnit, 'operator');
    const req = parityRequest({
      ...input, legacy: input.legacyUri, normalize: input.normalize?.map((n) => [n.column, n.steps]),
    }, ctx.principal.name);
    return ParityRunType.from(await ctx.services.parity.start(bu, req));
  }

  @Query(() => ParityRunType, { nullable: true, description: 'One parity run: status, what was compared, options, summary (operator).' })
  async parityRun(
    @Ctx() ctx: RequestContext,
    @Arg('businessUnit', () => String) businessUnit: string,
    @Arg('id', () => ID) id: string,
  ): Promise<ParityRunType | null> {
    const bu = businessUnitOf(ctx, businessUnit, 'operator');
    const run = await ctx.services.parity.get(bu, id);
    return run && ParityRunType.from(run);
  }

  @Query(() => ParityRunConnection, { description: 'Parity runs, newest first, cursor-paged (first ≤ 1000; operator).' })
  async parityRuns(
    @Ctx() ctx: RequestContext,
    @Arg('businessUnit', () => String) businessUnit: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<ParityRunConnection> {
    const bu = businessUnitOf(ctx, businessUnit, 'operator');
    const page = await ctx.services.parity.list(bu, first, after);
    return {
      nodes: page.nodes.map(ParityRunType.from),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      totalCount: page.totalCount,
    };
  }

  @FieldResolver(() => String, { description: 'The run as one self-contained HTML page (no external resources): counts, a match-rate bar per column, differing cells side by side, the options used.' })
  reportHtml(@Root() run: ParityRunType): string {
    return renderParityReport(run.run);
  }
}
