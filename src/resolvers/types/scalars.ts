import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';

/** The contract's `DateTime` (ISO-8601 with time zone) and `JSON` (any value, as delivered). */
export const DateTimeScalar = GraphQLDateTime;
export const JSONScalar = GraphQLJSON;
