import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { BusinessUnit } from '../config/business-unit';
import { ExportJobEntity } from '../entities/export-job.entity';
import { BusinessUnitArg } from './business-unit-arg.decorator';
import { RequestContext } from './request-context';
import { ExportJobConnection, ExportJobType } from './types/export.type';

async function toJob(ctx: RequestContext, bu: BusinessUnit, job: ExportJobEntity): Promise<ExportJobType> {
  return ExportJobType.from(bu, job, await ctx.services.exportJobs.files(job));
}

@Resolver()
export class ExportResolver {
  @Mutation(() => ExportJobType, {
    description: 'Queue a full CSV export of the current state (operator). Returns at once (QUEUED); poll exportJob. '
      + 'Same idempotencyKey => same job, no duplicate; without a key, a job still QUEUED for the same templates is returned instead of a new one. '
      + 'A business unit has at most EXPORT_MAX_QUEUED (default 3) jobs queued or running: beyond it UNAVAILABLE, try again later. '
      + 'templates: file names to write; none = every enabled template.',
  })
  async requestExport(
    @Ctx() ctx: RequestContext,
    @BusinessUnitArg('operator') bu: BusinessUnit,
    @Arg('templates', () => [String], { nullable: true }) templates?: string[] | null,
    @Arg('idempotencyKey', () => String, { nullable: true }) idempotencyKey?: string | null,
  ): Promise<ExportJobType> {
    const job = await ctx.services.exportJobs.request(bu, { templates, idempotencyKey, requestedBy: ctx.principal.name });
    return toJob(ctx, bu, job);
  }

  @Query(() => ExportJobType, { nullable: true, description: 'One export job: status, timings, files (with download URLs on S3), warnings, error.' })
  async exportJob(
    @Ctx() ctx: RequestContext,
    @BusinessUnitArg() bu: BusinessUnit,
    @Arg('id', () => ID) id: string,
  ): Promise<ExportJobType | null> {
    const job = await ctx.services.exportJobs.get(bu, id);
    return job && toJob(ctx, bu, job);
  }

  @Query(() => ExportJobConnection, { description: 'Export jobs, newest first, cursor-paged (first ≤ 1000).' })
  async exportJobs(
    @Ctx() ctx: RequestContext,
    @BusinessUnitArg() bu: BusinessUnit,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<ExportJobConnection> {
    const page = await ctx.services.exportJobs.list(bu, first, after);
    return {
      nodes: await Promise.all(page.nodes.map((j) => toJob(ctx, bu, j))),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      totalCount: page.totalCount,
    };
  }
}
