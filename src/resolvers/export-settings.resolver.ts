import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { BusinessUnit } from '../config/business-unit';
import { BusinessUnitArg } from './business-unit-arg.decorator';
import { RequestContext } from './request-context';
import {
  CsvTemplateInput, CsvTemplateType, DecoratorInput, DecoratorType, FieldMappingInput, FieldMappingType,
} from './types/export-settings.type';

/** The export configuration tables: readable by every role, changed by admins only. */
@Resolver()
export class ExportSettingsResolver {
  @Query(() => [CsvTemplateType], { description: 'Every CSV template (output file) of the BU with its columns, by name.' })
  async csvTemplates(@Ctx() ctx: RequestContext, @BusinessUnitArg() bu: BusinessUnit): Promise<CsvTemplateType[]> {
    return (await ctx.services.exportSettings.listTemplates(bu)).map(CsvTemplateType.from);
  }

  @Query(() => [FieldMappingType], { description: 'Every field mapping of the BU, by id.' })
  async fieldMappings(@Ctx() ctx: RequestContext, @BusinessUnitArg() bu: BusinessUnit): Promise<FieldMappingType[]> {
    return (await ctx.services.exportSettings.listMappings(bu)).map(FieldMappingType.from);
  }

  @Query(() => [DecoratorType], { description: 'Decorator rows, optionally of one entity type and/or entity id.' })
  async decorators(
    @Ctx() ctx: RequestContext,
    @BusinessUnitArg() bu: BusinessUnit,
    @Arg('entityType', () => String, { nullable: true }) entityType?: string | null,
    @Arg('entityId', () => String, { nullable: true }) entityId?: string | null,
  ): Promise<DecoratorType[]> {
    return (await ctx.services.exportSettings.listDecorators(bu, entityType, entityId)).map(DecoratorType.from);
  }

  @Mutation(() => CsvTemplateType, { description: 'Create or replace a template and its columns (admin). Validated: nothing is saved when anything is wrong.' })
  async upsertCsvTemplate(
    @Ctx() ctx: RequestContext,
    @BusinessUnitArg('admin') bu: BusinessUnit,
    @Arg('input', () => CsvTemplateInput) input: CsvTemplateInput,
  ): Promise<CsvTemplateType> {
    return CsvTemplateType.from(await ctx.services.exportSettings.upsertTemplate(bu, input));
  }

  @Mutation(() => Boolean, { description: 'Delete a template and its columns (admin); false when there was none.' })
  deleteCsvTemplate(
    @Ctx() ctx: RequestContext,
    @BusinessUnitArg('admin') bu: BusinessUnit,
    @Arg('name', () => String) name: string,
  ): Promise<boolean> {
    return ctx.services.exportSettings.deleteTemplate(bu, name);
  }

  @Mutation(() => FieldMappingType, { description: 'Add a field mapping, or update the one with this id (admin).' })
  async upsertFieldMapping(
    @Ctx() ctx: RequestContext,
    @BusinessUnitArg('admin') bu: BusinessUnit,
    @Arg('input', () => FieldMappingInput) input: FieldMappingInput,
  ): Promise<FieldMappingType> {
    return FieldMappingType.from(await ctx.services.exportSettings.upsertMapping(bu, input));
  }

  @Mutation(() => Boolean, { description: 'Delete a field mapping (admin); false when there was none.' })
  deleteFieldMapping(
    @Ctx() ctx: RequestContext,
    @BusinessUnitArg('admin') bu: BusinessUnit,
    @Arg('id', () => ID) id: string,
  ): Promise<boolean> {
    return ctx.services.exportSettings.deleteMapping(bu, id);
  }

  @Mutation(() => DecoratorType, { description: 'Add or update a decorator value (admin).' })
  async upsertDecorator(
    @Ctx() ctx: RequestContext,
    @BusinessUnitArg('admin') bu: BusinessUnit,
    @Arg('input', () => DecoratorInput) input: DecoratorInput,
  ): Promise<DecoratorType> {
    return DecoratorType.from(await ctx.services.exportSettings.upsertDecorator(bu, input));
  }

  @Mutation(() => Boolean, { description: 'Delete a decorator row (admin); false when there was none.' })
  deleteDecorator(
    @Ctx() ctx: RequestContext,
    @BusinessUnitArg('admin') bu: BusinessUnit,
    @Arg('id', () => ID) id: string,
  ): Promise<boolean> {
    return ctx.services.exportSettings.deleteDecorator(bu, id);
  }
}
