/**
 * The official `openai` npm package's Realtime WebSocket client (6.x, the line that runs on Node
 * 20) transcribes a LibriVox clip through Earshot, unchanged but for its base URL. The SDK always
 * connects with wss://, so the test puts Earshot behind a TLS-terminating proxy, as a deployment
 * puts it behind nginx or Caddy: a real TLS socket to a plain-HTTP Earshot.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wordErrorRate } from '../../../src/core/wer.js';
import { type Service, startService } from '../../helpers/service/index.js';
import { type LiveClip, liveClips } from './live-audio.js';

const MAX_WER = 0.5;

let svc: Service;
let proxy: tls.Server;
let proxyPort: number;
let cert: Buffer;
let certDir: string;

beforeAll(async () => {
  certDir = mkdtempSync(join(tmpdir(), 'earshot-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(certDir, 'key.pem'),
      '-out',
      join(certDir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  cert = readFileSync(join(certDir, 'cert.pem'));
  svc = await startService({ env: { EARSHOT_CONCURRENCY: 1 } });
  const upstream = new URL(svc.url);
  proxy = tls.createServer({ key: readFileSync(join(certDir, 'key.pem')), cert }, (client) => {
    const server = net.connect(Number(upstream.port), upstream.hostname);
    client.pipe(server).pipe(client);
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyPort = (proxy.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  await svc?.stop();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

describe('the openai package’s realtime client', () => {
  it('transcribes a LibriVox clip through Earshot', async () => {
    const clip = liveClips()[0] as LiveClip;
    const client = new OpenAI({ apiKey: svc.tokens.alice, baseURL: `https://127.0.0.1:${proxyPort}/v1` });
    const rt = new OpenAIRealtimeWS({ model: 'pocketsphinx', options: { ca: cert } }, client);
    const errors: unknown[] = [];
    rt.on('error', (err) => errors.push(err));
    try {
      const created = new Promise((resolve) => rt.on('session.created', resolve));
      const updated = new Promise((resolve) => rt.on('session.updated', resolve));
      const deltas: string[] = [];
      rt.on('conversation.item.input_audio_transcription.delta', (e) => deltas.push(e.delta ?? ''));
      const completed = new Promise<string>((resolve) =>
        rt.on('conversation.item.input_audio_transcription.completed', (e) => resolve(e.transcript)),
      );
      await created;
      rt.send({
        type: 'session.update',
        session: {
          type: 'transcription',
          audio: {
            input: {
              format: { type: 'audio/pcm', rate: 24000 },
              transcription: { model: 'gpt-4o-transcribe', language: 'en' },
              turn_detection: null,
            },
          },
        },
      });
      await updated;
      const step = 2400;
      for (let i = 0; i < clip.pcm24.length; i += step) {
        const part = clip.pcm24.subarray(i, i + step);
        rt.send({
          type: 'input_audio_buffer.append',
          audio: Buffer.from(part.buffer, part.byteOffset, part.byteLength).toString('base64'),
        });
      }
      rt.send({ type: 'input_audio_buffer.commit' });
      const transcript = await completed;
      expect(wordErrorRate(clip.reference, transcript).wer).toBeLessThan(MAX_WER);
      expect(errors).toEqual([]);
    } finally {
      rt.close();
    }
  });
});
