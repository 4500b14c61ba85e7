import { graphqlSchema } from '../../src/server/graphql-schema';
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
