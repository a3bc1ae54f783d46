import { readdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { CLIP, call, clip, form, type Json, json, until, upload } from './support.js';

/** Task directories under media/ (each accepted upload has exactly one). */
async function mediaDirs(s: TestServer): Promise<string[]> {
  return readdir(path.join(s.dataDir, 'media')).catch(() => []);
}

describe('upload validation', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ config: { maxUploadBytes: 100_000, maxQueued: 3 } });
  });
  afterAll(async () => {
    await s.close();
  });

  it('413 payload_too_large above maxUploadBytes, and the partial file is deleted', async () => {
    const big = new Uint8Array(250_000);
    big.set(await clip());
    const before = await mediaDirs(s);
    const res = await call(s, 'POST', '/v1/tasks', { token: s.tokens.alice, body: form(big, 'big.wav') });
    expect(res.status).toBe(413);
    expect((await json<Json>(res)).error.code).toBe('payload_too_large');
    expect(await mediaDirs(s)).toEqual(before);
    const list: Json = await json(await call(s, 'GET', '/v1/tasks', { token: s.tokens.alice }));
    expect(list.total).toBe(0);
  });

  it('422 bad_audio for an empty file, a non-audio file and a truncated one; nothing is kept', async () => {
    const wav = await clip();
    const cases: Array<[string, Uint8Array<ArrayBuffer>]> = [
      ['empty.wav', new Uint8Array(0)],
      ['notes.wav', new TextEncoder().encode('this is a text file, not audio\n'.repeat(50))],
      ['cut.wav', wav.slice(0, 30)],
    ];
    for (const [name, bytes] of cases) {
      const res = await call(s, 'POST', '/v1/tasks', { token: s.tokens.alice, body: form(bytes, name) });
      expect(res.status, name).toBe(422);
      expect((await json<Json>(res)).error.code).toBe('bad_audio');
    }
    expect(await mediaDirs(s)).toEqual([]);
  });

  it('keeps hostile file names only as a sanitised display name', async () => {
    const hostile = ['../../x.wav', '..\\..\\evil.wav', '/etc/passwd', '....', 'a\u0000b\u202e.wav', '   '];
    const seen: string[] = [];
    for (const name of hostile) {
      const res = await call(s, 'POST', '/v1/tasks', { token: s.tokens.bob, body: form(await clip(), name) });
      expect(res.status, JSON.stringify(name)).toBe(202);
      const t: Json = await json(res);
      seen.push(t.source_name);
      const files = await readdir(path.join(s.dataDir, 'media', t.id));
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^input(\.[a-z0-9]+)?$/);
      await call(s, 'DELETE', `/v1/tasks/${t.id}`, { token: s.tokens.bob });
    }
    expect(seen).toEqual(['x.wav', 'evil.wav', 'passwd', 'upload', 'ab.wav', 'upload']);
    // Nothing escaped the media directory.
    expect((await readdir(s.dataDir)).sort()).toEqual(expect.arrayContaining(['media']));
    expect(await readdir(path.dirname(s.dataDir))).not.toContain('x.wav');
    expect(await readdir(s.dataDir)).not.toContain('x.wav');
  });

  it('429 queue_full with Retry-After once maxQueued tasks wait; nothing is stored', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await upload(s, 'alice')).id);
    const before = await mediaDirs(s);
    const res = await call(s, 'POST', '/v1/tasks', { token: s.tokens.alice, body: form(await clip(), 'more.wav') });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await json<Json>(res)).error.code).toBe('queue_full');
    expect((await mediaDirs(s)).sort()).toEqual(before.sort());
    for (const id of ids) await call(s, 'DELETE', `/v1/tasks/${id}`, { token: s.tokens.alice });
  });

  it('validates callback_url at creation (scheme; private targets refused by default)', async () => {
    for (const url of [
      'ftp://example.com/x',
      'not a url',
      'http://127.0.0.1:9/hook',
      'http://[::1]/x',
      'http://10.0.0.1/x',
      'http://localhost/x',
    ]) {
      const res = await call(s, 'POST', '/v1/tasks', {
        token: s.tokens.alice,
        body: form(await clip(), 'a.wav', { callback_url: url }),
      });
      expect(res.status, url).toBe(400);
      expect((await json<Json>(res)).error.code).toBe('invalid_request');
    }
  });
});

/** A loopback file server: /clip.wav, redirects, errors, and an endless body. */
async function fileServer(): Promise<{ url: string; server: Server; hits: string[] }> {
  const wav = Buffer.from(await clip(CLIP));
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/clip.wav') {
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': wav.length });
      res.end(wav);
    } else if (u.pathname === '/hop') {
      const n = Number(u.searchParams.get('n'));
      res.writeHead(302, { location: n > 1 ? `/hop?n=${n - 1}` : '/clip.wav' });
      res.end();
    } else if (u.pathname === '/to-file') {
      res.writeHead(302, { location: 'file:///etc/passwd' });
      res.end();
    } else if (u.pathname === '/endless') {
      res.writeHead(200, { 'content-type': 'audio/wav' });
      const chunk = Buffer.alloc(64 * 1024);
      const pump = (): void => {
        while (res.write(chunk)) {}
        res.once('drain', pump);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    } else if (u.pathname === '/stall') {
      res.writeHead(200, { 'content-type': 'audio/wav' });
      res.write(wav.subarray(0, 100)); // then nothing: the fetch deadline must fire
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits };
}

describe('creating from a URL', () => {
  let files: Awaited<ReturnType<typeof fileServer>>;
  let s: TestServer;
  beforeAll(async () => {
    files = await fileServer();
  });
  afterEach(async () => {
    await s?.close();
  });
  afterAll(async () => {
    files.server.closeAllConnections();
    await new Promise((r) => files.server.close(r));
  });

  it('fetches http(s) URLs from a loopback server when private targets are allowed', async () => {
    s = await startServer({ config: { allowPrivateNetworks: true } });
    const res = await call(s, 'POST', '/v1/tasks', {
      token: s.tokens.alice,
      body: { url: `${files.url}/hop?n=3`, language: 'en', formats: ['srt'], priority: -2 },
    });
    expect(res.status).toBe(202);
    const t: Json = await json(res);
    expect(t).toMatchObject({ status: 'queued', source_name: 'hop', priority: -2, options: { formats: ['srt'] } });
    expect(t.media_bytes).toBe((await clip()).length);
    expect(t.duration_seconds).toBeCloseTo(2.99, 1);
    const media = await call(s, 'GET', `/v1/tasks/${t.id}/media`, { token: s.tokens.alice });
    expect(Buffer.compare(Buffer.from(await media.arrayBuffer()), Buffer.from(await clip()))).toBe(0);

    const named: Json = await json(
      await call(s, 'POST', '/v1/tasks', { token: s.tokens.alice, body: { url: `${files.url}/clip.wav` } }),
    );
    expect(named.source_name).toBe('clip.wav');
  });

  it('refuses more than 3 redirects, redirects to other schemes, and non-http URLs', async () => {
    s = await startServer({ config: { allowPrivateNetworks: true } });
    const tooMany = await call(s, 'POST', '/v1/tasks', {
      token: s.tokens.alice,
      body: { url: `${files.url}/hop?n=4` },
    });
    expect(tooMany.status).toBe(502);
    expect((await json<Json>(tooMany)).error.code).toBe('fetch_failed');
    const toFile = await call(s, 'POST', '/v1/tasks', { token: s.tokens.alice, body: { url: `${files.url}/to-file` } });
    expect(toFile.status).toBe(400);
    expect((await json<Json>(toFile)).error.message).toMatch(/http or https/);
    for (const url of ['file:///etc/passwd', 'ftp://example.com/a.wav', 'javascript:alert(1)']) {
      const res = await call(s, 'POST', '/v1/tasks', { token: s.tokens.alice, body: { url } });
      expect(res.status, url).toBe(400);
    }
    const missing = await call(s, 'POST', '/v1/tasks', {
      token: s.tokens.alice,
      body: { url: `${files.url}/nope.wav` },
    });
    expect(missing.status).toBe(502);
    expect(await mediaDirs(s)).toEqual([]);
  });

  it('refuses private and loopback targets unless allowed', async () => {
    s = await startServer();
    for (const url of [
      `${files.url}/clip.wav`,
      'http://localhost:1/a.wav',
      'http://[::ffff:127.0.0.1]:1/a.wav',
      'http://192.168.1.1/a.wav',
      'http://169.254.169.254/latest',
    ]) {
      const res = await call(s, 'POST', '/v1/tasks', { token: s.tokens.alice, body: { url } });
      expect(res.status, url).toBe(400);
      expect((await json<Json>(res)).error.message).toMatch(/private or loopback/);
    }
    expect(files.hits.filter((h) => h === '/clip.wav').length).toBeLessThanOrEqual(2); // only the earlier test's fetches
  });

  it('enforces the size limit (413) and the time limit while streaming', async () => {
    s = await startServer({ config: { allowPrivateNetworks: true, maxUploadBytes: 200_000, urlFetchTimeoutMs: 500 } });
    const endless = await call(s, 'POST', '/v1/tasks', {
      token: s.tokens.alice,
      body: { url: `${files.url}/endless` },
    });
    expect(endless.status).toBe(413);
    const stall = await call(s, 'POST', '/v1/tasks', { token: s.tokens.alice, body: { url: `${files.url}/stall` } });
    expect(stall.status).toBe(502);
    expect((await json<Json>(stall)).error.message).toMatch(/longer than 500 ms/);
    expect(await mediaDirs(s)).toEqual([]);
  });
});

describe('broken uploads', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => {
    await s.close();
  });

  const boundary = 'earshot-test-boundary';
  const head = (name: string): string =>
    `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${name}"\r\ncontent-type: audio/wav\r\n\r\n`;

  function rawUpload(body: Buffer, contentLength: number): { socket: Socket; response: Promise<string> } {
    const socket = connect(Number(new URL(s.url).port), '127.0.0.1');
    socket.write(
      `POST /v1/tasks HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${s.tokens.alice}\r\n` +
        `content-type: multipart/form-data; boundary=${boundary}\r\ncontent-length: ${contentLength}\r\n\r\n`,
    );
    socket.write(body);
    const response = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d: Buffer) => {
        text += d.toString();
        // A complete JSON error response: headers, blank line, one object.
        if (/\r\n\r\n\{.*\}$/s.test(text)) resolve(text);
      });
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
    });
    return { socket, response };
  }

  it('a multipart body that ends without its closing boundary is 400, and nothing is kept', async () => {
    const wav = Buffer.from(await clip());
    const body = Buffer.concat([Buffer.from(head('cut.wav')), wav.subarray(0, 5000)]);
    const { socket, response } = rawUpload(body, body.length);
    const text = await response;
    socket.destroy();
    expect(text).toMatch(/^HTTP\/1\.1 400/);
    expect(text).toContain('"invalid_request"');
    expect(await mediaDirs(s)).toEqual([]);
  });

  it('a refused upload is read to its end before the answer, so the client gets it and keeps its connection', async () => {
    // Refused by its first field (an unsupported language), before the file is read. A server that
    // answered at once would close the connection under a client still sending its 300 kB: the
    // client sees EPIPE or a reset instead of the 422, and its next request is never answered.
    const first = Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="language"\r\n\r\nde\r\n${head('x.wav')}`,
    );
    const rest = Buffer.alloc(300_000);
    const end = Buffer.from(`\r\n--${boundary}--\r\n`);
    const socket = connect(Number(new URL(s.url).port), '127.0.0.1');
    let text = '';
    let ended: string | null = null;
    let wake = (): void => {};
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      wake();
    });
    socket.on('error', (err) => {
      ended = err.message;
      wake();
    });
    socket.on('close', () => {
      ended ??= 'connection closed';
      wake();
    });
    const received = async (pattern: RegExp): Promise<void> => {
      while (!pattern.test(text)) {
        if (ended !== null) throw new Error(`${ended}; received:\n${text}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    };
    socket.write(
      `POST /v1/tasks HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${s.tokens.alice}\r\n` +
        `content-type: multipart/form-data; boundary=${boundary}\r\n` +
        `content-length: ${first.length + rest.length + end.length}\r\n\r\n`,
    );
    socket.write(first);
    socket.write(rest);
    socket.write(end);
    socket.write('GET /health HTTP/1.1\r\nhost: x\r\n\r\n');
    await received(/HTTP\/1\.1 422[\s\S]*HTTP\/1\.1 200/);
    expect(text).toContain('"unsupported_language"');
    socket.destroy();
    expect(await mediaDirs(s)).toEqual([]);
  });

  it('a client that disconnects mid-upload leaves no file and no task behind', async () => {
    const wav = Buffer.from(await clip());
    const body = Buffer.concat([Buffer.from(head('gone.wav')), wav.subarray(0, 50_000)]);
    const { socket } = rawUpload(body, body.length + 100_000);
    // Wait until the server is writing the upload to disk, then vanish.
    const dir = await until(async () => {
      for (const d of await mediaDirs(s)) {
        const files = await readdir(path.join(s.dataDir, 'media', d)).catch(() => []);
        if (files.length > 0) return d;
      }
      return null;
    });
    // One stored input, and no task: nothing is enqueued while the body is still arriving.
    expect(await readdir(path.join(s.dataDir, 'media', dir))).toHaveLength(1);
    const during: Json = await json(await call(s, 'GET', '/v1/tasks', { token: s.tokens.alice }));
    expect(during.total).toBe(0);
    socket.destroy();
    await until(async () => (await mediaDirs(s)).length === 0);
    const list: Json = await json(await call(s, 'GET', '/v1/tasks', { token: s.tokens.alice }));
    expect(list.total).toBe(0);
  });
});
