/** Quotes an SQL identifier (schema names are also validated when a BU is configured). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
