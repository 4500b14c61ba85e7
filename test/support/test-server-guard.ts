import { Client } from 'pg';

/**
 * The suite creates and drops databases and roles: it runs only on a server made for it. A
 * DATABASE_URL inherited from a shell is never used; an external server must be named in
 * TEST_DATABASE_URL and must not look like a service's database (no business-unit schema).
 */
export async function refuseNonTestServer(url: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ schema: string }>(`SELECT nspname AS schema FROM pg_namespace WHERE nspname LIKE 'inriver\\_%' LIMIT 3`);
    if (rows.length) {
      throw new Error(`TEST_DATABASE_URL's database holds business-unit schemas (${rows.map((r) => r.schema).join(', ')}): `
        + 'it looks like a service database, and the tests create and drop databases and roles on its server. Use a server for tests only.');
    }
  } finally {
    await client.end();
  }
}

