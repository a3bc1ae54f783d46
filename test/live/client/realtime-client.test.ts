/**
 * RealtimeClient's protocol mechanics against a scripted WebSocket peer on loopback (the recognition
 * itself is tested end to end in test/cli/listen.test.ts against the real server).
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { LiveSessionError } from '../../../src/core/errors/index.js';
import { RealtimeClient } from '../../../src/live/client/realtime-client.js';

type Script = (ws: WebSocket, url: string, auth: string | undefined) => void;
let server: WebSocketServer | null = null;

async function peer(script: Script, verify?: (auth: string | undefined) => boolean): Promise<string> {
  server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    verifyClient: (info, done) => (verify && !verify(info.req.headers.authorization) ? done(false, 401) : done(true)),
  });
  server.on('connection', (ws, req) => script(ws, req.url ?? '', req.headers.authorization));
  await new Promise((resolve) => server?.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const c of server?.clients ?? []) c.terminate();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = null;
});

const send = (ws: WebSocket, ev: object) => ws.send(JSON.stringify(ev));

describe('RealtimeClient', () => {
  it('sets the session up, sends audio as base64 appends, and finishes with the saved task id', async () => {
    const seen: { url?: string; auth?: string; update?: unknown; audio: Buffer[] } = { audio: [] };
    const url = await peer((ws, reqUrl, auth) => {
      seen.url = reqUrl;
      seen.auth = auth;
      send(ws, { type: 'session.created' });
      ws.on('message', (data) => {
        const ev = JSON.parse(data.toString());
        if (ev.type === 'session.update') {
          seen.update = ev.session;
          send(ws, { type: 'session.updated' });
        } else if (ev.type === 'input_audio_buffer.append') seen.audio.push(Buffer.from(ev.audio, 'base64'));
        else if (ev.type === 'earshot.session.finish') {
          send(ws, { type: 'conversation.item.input_audio_transcription.completed', item_id: 'i1', transcript: 'hi' });
          send(ws, { type: 'earshot.session.finished', task_id: 'task_1' });
          ws.close(1000);
        }
      });
    });
    const events: string[] = [];
    const client = await RealtimeClient.connect({
      server: url,
      token: 'tok',
      rate: 16000,
      language: 'de',
      save: true,
      onEvent: (ev) => events.push(ev.type),
    });
    const pcm = Buffer.from([1, 0, 2, 0, 255, 127]);
    await client.sendAudio(pcm);
    expect(await client.finish()).toEqual({ taskId: 'task_1' });
    expect(seen.url).toBe('/v1/realtime?save=true');
    expect(seen.auth).toBe('Bearer tok');
    expect(seen.update).toMatchObject({
      type: 'transcription',
      audio: { input: { format: { type: 'audio/pcm', rate: 16000 }, transcription: { language: 'de' } } },
    });
    expect(Buffer.concat(seen.audio)).toEqual(pcm);
    expect(events).toContain('conversation.item.input_audio_transcription.completed');
  });

  it('refuses at the handshake with a clear message for HTTP 401', async () => {
    const url = await peer(
      () => {},
      (auth) => auth === 'Bearer good',
    );
    const err = await RealtimeClient.connect({ server: url, token: 'bad', rate: 24000, language: 'en' }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(LiveSessionError);
    expect(err.code).toBe('handshake_refused');
    expect(err.message).toMatch(/401/);
  });

  it('rejects pending calls with the fatal error the server sent before closing', async () => {
    const url = await peer((ws) => {
      send(ws, { type: 'session.created' });
      ws.on('message', (data) => {
        const ev = JSON.parse(data.toString());
        if (ev.type === 'session.update') send(ws, { type: 'session.updated' });
        else if (ev.type === 'input_audio_buffer.append') {
          send(ws, {
            type: 'error',
            error: { type: 'server_error', code: 'engine_failed', message: 'the speech engine failed' },
          });
          ws.close(1011);
        }
      });
    });
    const client = await RealtimeClient.connect({ server: url, rate: 24000, language: 'en' });
    await client.sendAudio(Buffer.alloc(4800));
    const ended = await client.ended();
    expect(ended).toBeInstanceOf(LiveSessionError);
    expect((ended as LiveSessionError).code).toBe('engine_failed');
    await expect(client.sendAudio(Buffer.alloc(2))).rejects.toThrow('the speech engine failed');
    await expect(client.finish()).rejects.toMatchObject({ code: 'engine_failed' });
  });
});
