/** What the loader's SQL helpers need: a transaction-bound runner or entity manager both fit. */
export interface Queryable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query(sql: string, parameters?: unknown[]): Promise<any>;
}
