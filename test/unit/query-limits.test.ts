import { getNullableType, isInputObjectType } from 'graphql';
import { graphqlSchema } from '../../src/server/graphql-schema';
import { TEXT_INPUTS } from '../../src/server/input-limits';
import { EXPECTED_SIZES, fieldsNeedingSizes } from '../../src/server/query-limits';

describe('the cost of a query', () => {
  it('has an expected size for every list without pages and every JSON document the schema serves, and none for a field it lacks', async () => {
    const needed = fieldsNeedingSizes(await graphqlSchema());
    expect(needed).toEqual(expect.arrayContaining(['Query.attributeDefinitions', 'Product.items', 'Item.attributes']));
    // A new list must say how large it gets, or it would cost 1 however many rows it returns.
    expect(needed.filter((f) => EXPECTED_SIZES[f] === undefined)).toEqual([]);
    expect(Object.keys(EXPECTED_SIZES).filter((f) => !needed.includes(f))).toEqual([]);
  });
});

describe('the limits of input values', () => {
  it('names only free-text positions the schema has (a renamed one would fall back to the name limit unnoticed)', async () => {
    const schema = await graphqlSchema();
    const exists = (position: string) => {
      const arg = /^(\w+)\.(\w+)\((\w+)\)$/.exec(position);
      if (arg) {
        const type = schema.getType(arg[1]);
        return !!type && 'getFields' in type && !isInputObjectType(type) && !!type.getFields()[arg[2]]?.args.some((a) => a.name === arg[3]);
      }
      const [typeName, field] = position.split('.');
      const type = schema.getType(typeName);
      return !!type && isInputObjectType(type) && getNullableType(type.getFields()[field]?.type)?.toString() === 'String';
    };
    expect([...TEXT_INPUTS].filter((p) => !exists(p))).toEqual([]);
  });
});
