import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { RequestContext, businessUnitOf } from './request-context';
import {
  CsvTemplateInput, CsvTemplateType, DecoratorInput, DecoratorType, FieldMappingInput, FieldMappingType,
} from './types/export-config.type';

/** The export configuration tables: readable by every role, changed by admins only. */
@Resolver()
export class ExportConfigResolver {
  @Query(() => [CsvTemplateType], { description: 'Every CSV template (output file) of the BU with its columns, by name.' })
  async csvTemplates(@Ctx() ctx: RequestContext, @Arg('businessUnit', () => String) businessUnit: string): Promise<CsvTemplateType[]> {
    const bu = businessUnitOf(ctx, businessUnit);
    return (await ctx.services.exportConfig.listTemplates(bu)).map(CsvTemplateType.from);
  }

  @Query(() => [FieldMappingType], { description: 'Every field mapping of the BU, by id.' })
  async fieldMappings(@Ctx() ctx: RequestContext, @Arg('businessUnit', () => String) businessUnit: string): Promise<FieldMappingType[]> {
    const bu = businessUnitOf(ctx, businessUnit);
    return (await ctx.services.exportConfig.listMappings(bu)).map(FieldMappingType.from);
  }

  @Query(() => [DecoratorType], { description: 'Decorator rows, optionally of one entity type and/or entity id.' })
  async decorators(
    @Ctx() ctx: RequestContext,
    @Arg('businessUnit', () => String) businessUnit: string,
    @Arg('entityType', () => String, { nullable: true }) entityType?: string | null,
    @Arg('entityId', () => String, { nullable: true }) entityId?: string | null,
  ): Promise<DecoratorType[]> {
    const bu = businessUnitOf(ctx, businessUnit);
    return (await ctx.services.exportConfig.listDecorators(bu, entityType, entityId)).map(DecoratorType.from);
  }

  @Mutation(() => CsvTemplateType, { description: 'Create or replace a template and its columns (admin). Validated: nothing is saved when anything is wrong.' })
  async upsertCsvTemplate(
    @Ctx() ctx: RequestContext,
    @Arg('businessUnit', () => String) businessUnit: string,
    @Arg('input', () => CsvTemplateInput) input: CsvTemplateInput,
  ): Promise<CsvTemplateType> {
    const bu = businessUnitOf(ctx, businessUnit, 'admin');
    return CsvTemplateType.from(await ctx.services.exportConfig.upsertTemplate(bu, input));
  }

  @Mutation(() => Boolean, { description: 'Delete a template and its columns (admin); false when there was none.' })
  deleteCsvTemplate(
    @Ctx() ctx: RequestContext,
    @Arg('businessUnit', () => String) businessUnit: string,
    @Arg('name', () => String) name: string,
  ): Promise<boolean> {
    const bu = businessUnitOf(ctx, businessUnit, 'admin');
    return ctx.services.exportConfig.deleteTemplate(bu, name);
  }

  @Mutation(() => FieldMappingType, { description: 'Add a field mapping, or update the one with this id (admin).' })
  async upsertFieldMapping(
    @Ctx() ctx: RequestContext,
    @Arg('businessUnit', () => String) businessUnit: string,
    @Arg('input', () => FieldMappingInput) input: FieldMappingInput,
  ): Promise<FieldMappingType> {
    const bu = businessUnitOf(ctx, businessUnit, 'admin');
    return FieldMappingType.from(await ctx.services.exportConfig.upsertMapping(bu, input));
  }

  @Mutation(() => Boolean, { description: 'Delete a field mapping (admin); false when there was none.' })
  deleteFieldMapping(
    @Ctx() ctx: RequestContext,
    @Arg('businessUnit', () => String) businessUnit: string,
    @Arg('id', () => ID) id: string,
  ): Promise<boolean> {
    const bu = businessUnitOf(ctx, businessUnit, 'admin');
    return ctx.services.exportConfig.deleteMapping(bu, id);
  }

  @Mutation(() => DecoratorType, { description: 'Add or update a decorator value (admin).' })
  async upsertDecorator(
    @Ctx() ctx: RequestContext,
    @Arg('businessUnit', () => String) businessUnit: string,
    @Arg('input', () => DecoratorInput) input: DecoratorInput,
  ): Promise<DecoratorType> {
    const bu = businessUnitOf(ctx, businessUnit, 'admin');
    return DecoratorType.from(await ctx.services.exportConfig.upsertDecorator(bu, input));
  }

  @Mutation(() => Boolean, { description: 'Delete a decorator row (admin); false when there was none.' })
  deleteDecorator(
    @Ctx() ctx: RequestContext,
    @Arg('businessUnit', () => String) businessUnit: string,
    @Arg('id', () => ID) id: string,
  ): Promise<boolean> {
    const bu = businessUnitOf(ctx, businessUnit, 'admin');
    return ctx.services.exportConfig.deleteDecorator(bu, id);
  }
}
