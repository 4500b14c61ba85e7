import { badInput } from '../errors/domain-error';

/** A configured business unit: its code, the PostgreSQL schema that holds it, its source folder. */
export interface BusinessUnit {
  readonly code: string;
  readonly schema: string;
  readonly sourceFolder: string;
}

const CODE = /^[a-z][a-z0-9_]{0,30}$/;

/** The one place a BU code becomes a schema name. */
export function schemaForBusinessUnit(code: string): string {
  const normalized = code.trim().toLowerCase();
  if (!CODE.test(normalized)) {
    throw badInput(`invalid business unit code "${code}": use letters, digits and _ (max 31), starting with a letter`);
  }
  return `inriver_${normalized}`;
}

export function makeBusinessUnit(code: string, sourceFolder?: string): BusinessUnit {
  const schema = schemaForBusinessUnit(code);
  const normalized = code.trim().toLowerCase();
  return { code: normalized, schema, sourceFolder: sourceFolder?.trim() || normalized.toUpperCase() };
}

/** Looks a BU up by code (case-insensitive) among the configured ones. */
export function findBusinessUnit(units: readonly BusinessUnit[], code: string): BusinessUnit | undefined {
  const normalized = code.trim().toLowerCase();
  return units.find((u) => u.code === normalized);
}
