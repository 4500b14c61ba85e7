import { timingSafeEqual } from 'node:crypto';
import { BusinessUnit, findBusinessUnit } from '../config/business-unit';
import { ApiKey, AppConfig, Role, sha256 } from '../config/config';
import { DomainError, ErrorCode, forbidden } from '../errors/domain-error';

/** Who is calling: the API key's name and role, and the BUs it may use (null = all). */
export interface Principal {
  readonly name: string;
  readonly role: Role;
  readonly businessUnits: readonly string[] | null;
}

const RANK: Record<Role, number> = { reader: 0, operator: 1, admin: 2 };

export const OPEN_MODE_PRINCIPAL: Principal = { name: 'open-mode (no API_KEYS)', role: 'admin', businessUnits: null };

/** A caller without a valid key, let in to ask the schema only (GRAPHQL_INTROSPECTION=on): no BU, lowest role. */
export const ANONYMOUS_PRINCIPAL: Principal = { name: 'no API key', role: 'reader', businessUnits: [] };

/** Maps an Authorization header to a principal; with no keys configured the API is open (loopback only). */
export function authenticate(authorization: string | undefined, keys: readonly ApiKey[]): Principal {
  if (keys.length === 0) return OPEN_MODE_PRINCIPAL;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) throw new DomainError(ErrorCode.Unauthenticated, 'missing API key: send "Authorization: Bearer <key>"');
  // Digests of equal length compared in constant time, every configured key each time: how long
  // the answer takes says nothing about how much of a key was right, nor which key matched.
  const presented = sha256(match[1]);
  let key: ApiKey | undefined;
  for (const k of keys) if (timingSafeEqual(presented, k.digest) && !key) key = k;
  if (!key) throw new DomainError(ErrorCode.Unauthenticated, 'unknown API key');
  return { name: key.name, role: key.role, businessUnits: key.businessUnits };
}

/**
 * The one gate every root field passes: the BU must be configured, the key scoped to it, and
 * its role high enough. Returns the BU the rest of the request works in.
 */
export function authorize(principal: Principal, config: Pick<AppConfig, 'businessUnits'>, code: string, role: Role = 'reader'): BusinessUnit {
  if (RANK[principal.role] < RANK[role]) {
    throw forbidden(`this needs the ${role} role; the API key ${principal.name} has ${principal.role}`);
  }
  const bu = findBusinessUnit(config.businessUnits, code);
  if (!bu) {
    // A scoped key learns only its own business units, not every one configured.
    const usable = config.businessUnits.map((u) => u.code).filter((c) => !principal.businessUnits || principal.businessUnits.includes(c));
    throw new DomainError(ErrorCode.NotFound, principal.businessUnits
      ? `unknown business unit "${code}"; the API key ${principal.name} may use: ${usable.join(', ') || 'none'}`
      : `unknown business unit "${code}"; configured: ${usable.join(', ')}`);
  }
  if (principal.businessUnits && !principal.businessUnits.includes(bu.code)) {
    throw forbidden(`the API key ${principal.name} is not allowed to use business unit "${bu.code}"`);
  }
  return bu;
}
