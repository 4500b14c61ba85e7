import 'reflect-metadata';
import { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { RESOLVERS } from '../resolvers';
import { DateTimeScalar } from '../resolvers/types/scalars';

let built: Promise<GraphQLSchema> | null = null;

/** The served schema (built once: type-graphql's metadata is process-wide). */
export function graphqlSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers: [...RESOLVERS],
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: false,
  });
  return built;
}
