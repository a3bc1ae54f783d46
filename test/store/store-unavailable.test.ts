import net from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isStoreUnavailable } from '../../src/store/store-unavailable.js';
import { TEST_PG_URL } from '../helpers/pg.js';

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('isStoreUnavailable', () => {
  it('is true for a PostgreSQL that cannot be reached, also when wrapped', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: await closedPort(), user: 'postgres' });
    const err = await client.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(isStoreUnavailable(err)).toBe(true);
    expect(isStoreUnavailable(new Error('reading the task failed', { cause: err }))).toBe(true);
  });

  it('is true for a session the server terminates (57P01), false for a bad query', async () => {
    const victim = new pg.Client({ connectionString: TEST_PG_URL });
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await victim.connect();
    await admin.connect();
    try {
      victim.on('error', () => {}); // the terminated connection also reports itself here
      const pid = (await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      const pending = victim.query('SELECT pg_sleep(30)').then(
        () => null,
        (e: unknown) => e,
      );
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      expect(isStoreUnavailable(await pending)).toBe(true);
      const bad = await admin.query('SELEC 1').then(
        () => null,
        (e: unknown) => e,
      );
      expect(bad).toBeInstanceOf(pg.DatabaseError);
      expect(isStoreUnavailable(bad)).toBe(false);
      expect(isStoreUnavailable(new Error('a bug'))).toBe(false);
    } finally {
      await victim.end().catch(() => {});
      await admin.end();
    }
  });
});
