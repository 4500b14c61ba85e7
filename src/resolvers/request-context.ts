import { Principal, authorize } from '../auth/principal';
import { BusinessUnit } from '../config/business-unit';
import { AppConfig, Role } from '../config/config';
import { DataLoaderRegistry } from '../dataloaders/bu-dataloaders';
import { DomainError } from '../errors/domain-error';
import { Logger } from '../logger';
import { Services } from '../services/services';

/** Who a request is for the limits: `id` to count by, `name` to tell it (never the key itself). */
export interface Caller {
  id: string;
  name: string;
}

/** What every resolver gets: who calls, the services, and this request's DataLoaders. */
export interface RequestContext {
  principal: Principal;
  config: AppConfig;
  services: Services;
  dataloaders: DataLoaderRegistry;
  log: Logger;
  /** Whose in-flight slot and work budget the request uses (its API key, or its address). */
  caller: Caller;
  /**
   * Set only when GRAPHQL_INTROSPECTION=on lets a caller without a valid key in to ask the schema:
   * its 401, thrown before anything runs unless the operation asks the schema alone
   * (anonymousIntrospectionPlugin). `principal` is then ANONYMOUS_PRINCIPAL, which may use no BU.
   */
  unauthenticated?: DomainError;
}

/** A root field's BU: checked against the configuration and the caller's key. */
export function businessUnitOf(ctx: RequestContext, code: string, role: Role = 'reader'): BusinessUnit {
  return authorize(ctx.principal, ctx.config, code, role);
}
