/**
 * The OpenAI-compatible door on a long recording: `longSpeech(minutes)` (flite paragraphs with
 * pauses) posted to POST /v1/audio/transcriptions with stream=true through `earshot serve`, the
 * file streamed from disk (never read into memory here either). Measures upload start -> response
 * headers, -> first `transcript.text.delta`, -> `transcript.text.done`, and samples the server's RSS
 * (its own process, and with its workers) every second, to show the waiting request keeps it flat.
 * Usage: npx tsx bench/openai-stream.ts [minutes=120]
 */
import { spawn } from 'node:child_process';
import { openAsBlob } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { longSpeech } from '../test/helpers/audio-fixtures.js';
import { log, type Service, startService, treeRssMb } from './lib.js';

const minutes = Number(process.argv[2] ?? 120);
const env = { EARSHOT_WORKERS: '1', EARSHOT_CONCURRENCY: '2' };
const SAMPLE_MS = 1_000;

interface Sample {
  t: number;
  self: number;
  tree: number;
}

const seconds = (t0: number) => Number(((performance.now() - t0) / 1000).toFixed(2));
const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const mb = (x: number) => Number(x.toFixed(1));

/** Peak, and the mean of the first and last quarter of the samples (by time), of one series. */
function summary(samples: Sample[], key: 'self' | 'tree') {
  const q = Math.max(1, Math.floor(samples.length / 4));
  const values = samples.map((s) => s[key]);
  return {
    peakMb: mb(Math.max(0, ...values)),
    firstQuartileMeanMb: mb(mean(values.slice(0, q))),
    lastQuartileMeanMb: mb(mean(values.slice(-q))),
  };
}

/**
 * Upload start -> first delta with curl as the client (it streams the file from disk as a user's
 * would), then curl is stopped, which cancels the task (the door's disconnect policy). Node's fetch
 * with a file-backed Blob uploads several times slower than curl on this machine, so the main run's
 * `headersSeconds` says more about that client than about the server.
 */
async function curlFirstDelta(svc: Service, file: string): Promise<number> {
  const t = performance.now();
  const curl = spawn('curl', [
    '-sN',
    `${svc.url}/v1/audio/transcriptions`,
    '-H',
    `Authorization: Bearer ${svc.token}`,
    '-F',
    `file=@${file}`,
    '-F',
    'model=whisper-1',
    '-F',
    'stream=true',
  ]);
  let out = '';
  try {
    for await (const chunk of curl.stdout as AsyncIterable<Buffer>) {
      out += chunk.toString();
      if (out.includes('transcript.text.delta')) return seconds(t);
    }
    throw new Error(`curl ended without a delta: ${out.slice(0, 300)}`);
  } finally {
    curl.kill();
  }
}

const speech = await longSpeech(minutes);
log(`recording: ${speech.durationSeconds.toFixed(0)} s at ${speech.path}`);
const svc = await startService(await mkdtemp(join(tmpdir(), 'earshot-bench-oai-')), env);
const curlFirstDeltaSeconds: number[] = [];
for (let i = 0; i < 3; i++) curlFirstDeltaSeconds.push(await curlFirstDelta(svc, speech.path));
log(`curl: first delta after ${curlFirstDeltaSeconds.join(', ')} s`);
const pid = svc.proc.pid as number;
const samples: Sample[] = [];
let sampling = true;
const t0 = performance.now();
const sampler = (async () => {
  while (sampling) {
    const r = await treeRssMb(pid);
    samples.push({ t: seconds(t0), self: r.self, tree: r.tree });
    await new Promise((res) => setTimeout(res, SAMPLE_MS));
  }
})();

try {
  const form = new FormData();
  form.set('model', 'whisper-1');
  form.set('stream', 'true');
  form.set('file', await openAsBlob(speech.path), 'long.wav');
  const res = await fetch(`${svc.url}/v1/audio/transcriptions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${svc.token}` },
    body: form,
  });
  const headersSeconds = seconds(t0);
  if (res.status !== 200 || !res.body) throw new Error(`${res.status}: ${await res.text()}`);
  log(`headers after ${headersSeconds} s`);

  let firstDeltaSeconds: number | null = null;
  let deltas = 0;
  let streamed = '';
  let done: { text: string; usage: unknown } | null = null;
  const decoder = new TextDecoder();
  let buf = '';
  for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(part, { stream: true });
    for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
      const frame = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = frame
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('');
      if (data === '') continue;
      const ev = JSON.parse(data) as { type: string; delta?: string; text?: string; usage?: unknown };
      if (ev.type === 'transcript.text.delta') {
        deltas++;
        streamed += ev.delta ?? '';
        if (firstDeltaSeconds === null) {
          firstDeltaSeconds = seconds(t0);
          log(`first delta after ${firstDeltaSeconds} s`);
        }
      } else if (ev.type === 'transcript.text.done') {
        done = { text: ev.text ?? '', usage: ev.usage };
      } else if (ev.type === 'error') {
        throw new Error(`error event: ${data}`);
      }
    }
  }
  const totalSeconds = seconds(t0);
  if (done === null) throw new Error('the stream ended without transcript.text.done');
  sampling = false;
  await sampler;
  console.log(
    JSON.stringify({
      bench: 'openai-stream',
      audioSeconds: Math.round(speech.durationSeconds),
      curlFirstDeltaSeconds,
      headersSeconds,
      firstDeltaSeconds,
      totalSeconds,
      speed: Number((speech.durationSeconds / totalSeconds).toFixed(1)),
      deltas,
      deltasAddUp: streamed === done.text,
      textChars: done.text.length,
      usage: done.usage,
      serverRss: { samples: samples.length, ...summary(samples, 'self') },
      serverWithWorkersRss: summary(samples, 'tree'),
    }),
  );
} finally {
  sampling = false;
  await sampler;
  await svc.stop();
}
