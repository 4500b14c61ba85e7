import { createTestDatabase } from '../support/test-database';
import { refuseNonTestServer } from '../support/test-server-guard';

/** The suite creates and drops databases and roles: it must refuse a server that holds a service's data. */
describe('the test server guard', () => {
  it('refuses a database holding business-unit schemas, and accepts one without', async () => {
    const serviceLike = await createTestDatabase(['bak']);
    try {
      await expect(refuseNonTestServer(serviceLike.ownerUrl)).rejects.toThrow(/holds business-unit schemas \(inriver_bak\)/);
      await expect(refuseNonTestServer(process.env.TEST_ADMIN_DATABASE_URL!)).resolves.toBeUndefined();
    } finally {
      await serviceLike.close();
    }
  });
});
