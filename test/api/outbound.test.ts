import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/core/errors/index.js';
import { checkOutboundUrl, createOutboundAgent, isPublicAddress } from '../../src/services/net-guard.js';

describe('outbound address guard', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('classifies addresses: only public unicast passes', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111']) expect(isPublicAddress(a), a).toBe(true);
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '224.0.0.1',
      'not-an-ip',
    ]) {
      expect(isPublicAddress(a), a).toBe(false);
    }
  });

  it('re-checks at connect time, so a name that resolves to loopback is refused even past the first check', async () => {
    const guarded = createOutboundAgent(false);
    const err = await request(`http://localhost:${port}/`, { dispatcher: guarded }).then(
      () => null,
      (e: unknown) => e,
    );
    await guarded.close();
    expect(err).toBeInstanceOf(InvalidRequestError);
    expect((err as Error).message).toMatch(/private or loopback/);

    const open = createOutboundAgent(true);
    const res = await request(`http://localhost:${port}/`, { dispatcher: open });
    expect(await res.body.text()).toBe('ok');
    await open.close();
  });

  it('checkOutboundUrl refuses other schemes and credentials', async () => {
    await expect(checkOutboundUrl('gopher://x', true)).rejects.toThrow(/http or https/);
    await expect(checkOutboundUrl('http://u:p@example.com/', true)).rejects.toThrow(/credentials/);
    await expect(checkOutboundUrl(`http://127.0.0.1:${port}/`, false)).rejects.toBeInstanceOf(InvalidRequestError);
    expect((await checkOutboundUrl(`http://127.0.0.1:${port}/a`, true)).pathname).toBe('/a');
  });
});
