import {
  DocumentNode, GraphQLInputType, GraphQLSchema, Kind, OperationDefinitionNode, TypeInfo, ValueNode,
  getNullableType, isInputObjectType, isListType, typeFromAST, visit, visitWithTypeInfo,
} from 'graphql';

/**
 * Most characters (UTF-16 code units) a name, key, id, code, cursor or filter value may have.
 * Names are stored in btree indexes (template and column names, decorator types), whose entries
 * hold at most 2,704 bytes: two such values of 400 characters fit in any script (3 bytes each).
 */
export const MAX_NAME_LENGTH = 400;

/** Most characters of free text (notes, reasons, expressions, attribute values) and of file URIs. */
export const MAX_TEXT_LENGTH = 10_000;

/** Most elements of any list argument (ids, product ids, template names, columns): a page's worth. */
export const MAX_LIST_LENGTH = 1_000;

/**
 * The arguments and input fields that hold free text or a file's URI rather than a name or key:
 * they may be MAX_TEXT_LENGTH long. `Type.field` for input fields, `Type.field(argument)` for
 * arguments. Searched or stored without an index on them (a test checks each exists).
 */
export const TEXT_INPUTS: ReadonlySet<string> = new Set([
  'AttributeCondition.value',
  'ProductFilter.sourceFile',
  'LoadEventFilter.sourceFile',
  'Query.quarantinedLines(sourceFile)',
  'Mutation.requestReplay(reason)',
  'CsvTemplateInput.notes',
  'CsvColumnInput.sourceValue',
  'CsvColumnInput.defaultValue',
  'CsvColumnInput.transformation',
  'CsvColumnInput.notes',
  'FieldMappingInput.transformationRule',
  'FieldMappingInput.notes',
  'DecoratorInput.decoratorValue',
  'DecoratorInput.notes',
]);

const limitOf = (position: string) => (TEXT_INPUTS.has(position) ? MAX_TEXT_LENGTH : MAX_NAME_LENGTH);

/** A lone half of a surrogate pair: text cut in the middle of a character, or not UTF-16 at all. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const hex = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why a string cannot be used, or null. Names the place, never repeats the value. */
function stringProblem(value: string, limit: number, where: string): string | null {
  if (value.length > limit) return `${where} is ${value.length} characters long; at most ${limit} are allowed`;
  const nul = value.indexOf('\u0000');
  if (nul >= 0) return `${where} contains a NUL character (U+0000) at position ${nul}, which text cannot hold`;
  const lone = LONE_SURROGATE.exec(value);
  if (lone) {
    return `${where} is not valid Unicode: a lone surrogate (${hex(lone[0].charCodeAt(0))}) at position ${lone.index}, half of a character; `
      + 'send the text as UTF-8 or with both halves of the pair';
  }
  return null;
}

/** The input type a value has inside a list type (GraphQL also accepts a single value for a list). */
function itemType(type: GraphQLInputType | undefined): GraphQLInputType | undefined {
  const nullable = type && getNullableType(type);
  return nullable && isListType(nullable) ? nullable.ofType : nullable;
}

/** The input object type a value has, if it is one. */
function inputObject(type: GraphQLInputType | undefined) {
  const nullable = type && getNullableType(type);
  return nullable && isInputObjectType(nullable) ? nullable : undefined;
}

/**
 * Checks a variable's value (JSON as sent) against the limits: every string by the position it
 * fills (an input object's fields by their own), every list's length, every object key's length.
 */
function valueProblem(value: unknown, type: GraphQLInputType | undefined, limit: number, where: string): string | null {
  if (typeof value === 'string') return stringProblem(value, limit, where);
  if (Array.isArray(value)) {
    if (value.length > MAX_LIST_LENGTH) return `${where} has ${value.length} elements; at most ${MAX_LIST_LENGTH} are allowed`;
    const item = itemType(type);
    for (let i = 0; i < value.length; i++) {
      const problem = valueProblem(value[i], item, limit, `${where}[${i}]`);
      if (problem) return problem;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    const object = inputObject(type);
    for (const [key, field] of Object.entries(value)) {
      const named = stringProblem(key, MAX_NAME_LENGTH, `a field name in ${where}`);
      if (named) return named;
      const problem = valueProblem(field, object?.getFields()[key]?.type, object ? limitOf(`${object.name}.${key}`) : MAX_NAME_LENGTH, `${where}.${key}`);
      if (problem) return problem;
    }
  }
  return null;
}

/**
 * The same for a value written in the query itself, at `path` of an argument (`where` names it
 * in a message); variables in it only record the limit of the position they fill.
 */
function literalProblem(node: ValueNode, type: GraphQLInputType | undefined, limit: number, path: string, where: (path: string) => string,
  uses: Map<string, number>): string | null {
  switch (node.kind) {
    case Kind.STRING:
      return stringProblem(node.value, limit, where(path));
    case Kind.VARIABLE:
      uses.set(node.name.value, Math.max(uses.get(node.name.value) ?? 0, limit));
      return null;
    case Kind.LIST: {
      if (node.values.length > MAX_LIST_LENGTH) return `${where(path)} has ${node.values.length} elements; at most ${MAX_LIST_LENGTH} are allowed`;
      const item = itemType(type);
      for (let i = 0; i < node.values.length; i++) {
        const problem = literalProblem(node.values[i], item, limit, `${path}[${i}]`, where, uses);
        if (problem) return problem;
      }
      return null;
    }
    case Kind.OBJECT: {
      const object = inputObject(type);
      for (const field of node.fields) {
        const key = field.name.value;
        const problem = literalProblem(field.value, object?.getFields()[key]?.type, object ? limitOf(`${object.name}.${key}`) : MAX_NAME_LENGTH,
          `${path}.${key}`, where, uses);
        if (problem) return problem;
      }
      return null;
    }
    default:
      return null;
  }
}

/**
 * What the limits need of one operation, worked out once per document: the first problem of the
 * values written in it (or null), and each variable's declared type and the limit of the longest
 * position it fills (a variable used as a reason may be longer than one used as a name).
 */
export interface InputShape {
  literalProblem: string | null;
  variables: Map<string, { type: GraphQLInputType | undefined; limit: number }>;
}

export function inputShape(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode | undefined): InputShape {
  const uses = new Map<string, number>();
  let problem: string | null = null;
  const typeInfo = new TypeInfo(schema);
  visit(document, visitWithTypeInfo(typeInfo, {
    Field(node) {
      const field = typeInfo.getFieldDef();
      const parent = typeInfo.getParentType();
      if (!field || !parent) return;
      for (const arg of node.arguments ?? []) {
        const def = field.args.find((a) => a.name === arg.name.value);
        problem ??= literalProblem(arg.value, def?.type, limitOf(`${parent.name}.${field.name}(${arg.name.value})`), arg.name.value,
          (path) => `argument ${path} of ${field.name}`, uses);
      }
    },
  }));
  const variables = new Map<string, { type: GraphQLInputType | undefined; limit: number }>();
  for (const def of operation?.variableDefinitions ?? []) {
    const name = def.variable.name.value;
    const type = typeFromAST(schema, def.type) as GraphQLInputType | undefined;
    const limit = uses.get(name) ?? MAX_NAME_LENGTH;
    variables.set(name, { type, limit });
    // A default is used when the variable is not sent: it is a value of the query like any other.
    if (def.defaultValue) problem ??= literalProblem(def.defaultValue, type, limit, `$${name}`, (path) => `the default of ${path}`, new Map());
  }
  return { literalProblem: problem, variables };
}

/**
 * The first problem of a request's values (the query's own, then its variables'), or null: a NUL
 * (PostgreSQL text cannot hold one), a lone surrogate (half a character: not valid UTF-8, and
 * JSONB refuses it), a string or list longer than its limit. Each would otherwise reach the
 * database and fail there as an internal error, or be stored mangled.
 */
export function inputProblem(shape: InputShape, variables: Record<string, unknown> | undefined): string | null {
  if (shape.literalProblem) return shape.literalProblem;
  for (const [name, { type, limit }] of shape.variables) {
    const problem = valueProblem(variables?.[name], type, limit, `variable $${name}`);
    if (problem) return problem;
  }
  return null;
}
