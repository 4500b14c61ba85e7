import { createParameterDecorator } from 'type-graphql';
import type { Role } from '../config/config';
import { RequestContext, businessUnitOf } from './request-context';

/**
 * A root field's `businessUnit: String!` argument, resolved to the configured business unit the
 * caller's key may use with `role` before the field's method runs: NOT_FOUND for a code that is
 * not configured, FORBIDDEN for a key scoped to other BUs or with a lower role.
 */
export function BusinessUnitArg(role: Role = 'reader', options: { description?: string } = {}): ReturnType<typeof createParameterDecorator> {
  return createParameterDecorator<RequestContext>(({ args, context }) => businessUnitOf(context, args.businessUnit, role),
    { arg: { name: 'businessUnit', typeFunc: () => String, options } });
}
