/**
 * Issue 10: live sessions through `earshot serve` (one worker, 2 cores), real PocketSphinx on the
 * LibriVox clips, clients pacing audio at real time in 100 ms messages.
 *  (a) latency from the last speech sample sent to `completed`, p50/p95, with 1 and 4 concurrent
 *      sessions: manual turns (commit right after the last sample) and server VAD (includes the
 *      configured silence_duration_ms, which must pass before a turn can end);
 *  (b) the longest gap between delta events while a clip is being spoken;
 *  (c) server and worker RSS after one session, after 500 short sessions, and after one 30-minute
 *      session (its audio sent as fast as the server reads it);
 *  (d) how many concurrent real-time sessions run before p95 latency passes 2 s.
 * Prints one JSON object. Usage: npx tsx bench/live-latency.ts [rounds=2] [maxSessions=16] [shortSessions=500] [longMinutes=30]
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { api, log, type Service, startService, treeRssMb } from './lib.js';

const rounds = Number(process.argv[2] ?? 2);
const maxSessions = Number(process.argv[3] ?? 16);
const shortSessions = Number(process.argv[4] ?? 500);
const longMinutes = Number(process.argv[5] ?? 30);
const CLIPS = ['0870', '0880', '0890', '0920', '0930'].map((c) => {
  const out = execFileSync('ffmpeg', [
    '-v',
    'error',
    '-i',
    `/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-${c}.wav`,
    '-ac',
    '1',
    '-ar',
    '16000',
    '-f',
    's16le',
    '-',
  ]);
  return new Int16Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
});
const RATE = 16000;
const STEP = RATE / 10;

interface Ev {
  type: string;
  [k: string]: unknown;
}

class Client {
  private waiters: Array<{ type: string; resolve: (e: Ev) => void }> = [];
  readonly deltaTimes: number[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const e = JSON.parse(String(data)) as Ev;
      if (e.type === 'conversation.item.input_audio_transcription.delta') this.deltaTimes.push(performance.now());
      if (e.type === 'error') log(`error event: ${JSON.stringify(e.error)}`);
      const i = this.waiters.findIndex((w) => w.type === e.type);
      if (i >= 0) this.waiters.splice(i, 1)[0]?.resolve(e);
    });
  }
  static async open(svc: Service, turnDetection: unknown): Promise<Client> {
    const ws = new WebSocket(`${svc.url.replace('http', 'ws')}/v1/realtime`, {
      headers: { authorization: `Bearer ${svc.token}` },
    });
    const c = new Client(ws);
    const created = c.next('session.created');
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    await created;
    const updated = c.next('session.updated');
    c.send({
      type: 'session.update',
      session: {
        type: 'transcription',
        audio: { input: { format: { type: 'audio/pcm', rate: RATE }, turn_detection: turnDetection } },
      },
    });
    await updated;
    return c;
  }
  next(type: string): Promise<Ev> {
    return new Promise((resolve) => this.waiters.push({ type, resolve }));
  }
  send(e: unknown): void {
    this.ws.send(JSON.stringify(e));
  }
  append(pcm: Int16Array): void {
    this.send({
      type: 'input_audio_buffer.append',
      audio: Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('base64'),
    });
  }
  /** Sends `pcm` paced at real time against the wall clock; resolves when the last sample went out. */
  async stream(pcm: Int16Array): Promise<void> {
    const t0 = performance.now();
    for (let i = 0, k = 0; i < pcm.length; i += STEP, k++) {
      const due = t0 + k * 100;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      this.append(pcm.subarray(i, Math.min(pcm.length, i + STEP)));
    }
  }
  async finish(): Promise<void> {
    const done = new Promise((r) => this.ws.once('close', r));
    this.send({ type: 'earshot.session.finish' });
    await done;
  }
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number);
};
const round = (v: number) => Math.round(v);

/** One session: `rounds` passes over the five clips; per turn the latency and the largest delta gap. */
async function session(svc: Service, mode: 'manual' | 'vad', offset: number) {
  const vad = { type: 'server_vad', silence_duration_ms: 500 };
  const c = await Client.open(svc, mode === 'manual' ? null : vad);
  const latencies: number[] = [];
  const gaps: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < CLIPS.length; k++) {
      const clip = CLIPS[(k + offset) % CLIPS.length] as Int16Array;
      const from = c.deltaTimes.length;
      const completed = c.next('conversation.item.input_audio_transcription.completed');
      const start = performance.now();
      await c.stream(clip);
      const lastSample = performance.now();
      if (mode === 'manual') c.send({ type: 'input_audio_buffer.commit' });
      else void c.stream(new Int16Array(RATE * 1.5));
      await completed;
      latencies.push(performance.now() - lastSample);
      // Largest gap between deltas (and from the speech start) while the clip was being sent.
      const times = [start, ...c.deltaTimes.slice(from).filter((t) => t <= lastSample), lastSample];
      for (let i = 1; i < times.length; i++) gaps.push((times[i] as number) - (times[i - 1] as number));
      if (mode === 'vad') await new Promise((r) => setTimeout(r, 1600));
    }
  }
  await c.finish();
  return { latencies, gaps };
}

async function concurrent(svc: Service, n: number, mode: 'manual' | 'vad') {
  const results = await Promise.all(Array.from({ length: n }, (_, i) => session(svc, mode, i)));
  const lat = results.flatMap((r) => r.latencies);
  const gaps = results.flatMap((r) => r.gaps);
  return {
    sessions: n,
    mode,
    turns: lat.length,
    p50_ms: round(pct(lat, 50)),
    p95_ms: round(pct(lat, 95)),
    max_ms: round(Math.max(...lat)),
    delta_gap_p95_ms: round(pct(gaps, 95)),
    delta_gap_max_ms: round(Math.max(...gaps)),
  };
}

async function rss(svc: Service): Promise<{ server_mb: number; worker_mb: number }> {
  const workers = await api<{ supervised: Array<{ pid: number }> }>(svc, '/v1/admin/workers');
  const server = await treeRssMb(svc.proc.pid as number);
  const worker = await treeRssMb(workers.supervised[0]?.pid as number);
  return { server_mb: Math.round(server.self * 10) / 10, worker_mb: Math.round(worker.self * 10) / 10 };
}

async function shortSession(svc: Service): Promise<void> {
  const c = await Client.open(svc, null);
  c.append((CLIPS[1] as Int16Array).subarray(0, RATE));
  await c.finish();
}

const dir = await mkdtemp(join(tmpdir(), 'earshot-bench-live-'));
const svc = await startService(dir, {
  EARSHOT_WORKERS: '1',
  EARSHOT_CONCURRENCY: '2',
  EARSHOT_LIVE_MAX_SESSIONS: '64',
});
try {
  for (;;) {
    const w = await api<{ supervised: Array<{ state: string }> }>(svc, '/v1/admin/workers');
    if (w.supervised.every((x) => x.state === 'idle')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const out: Record<string, unknown> = { rounds, clips: CLIPS.length };
  await shortSession(svc); // warm-up
  const baseline = await rss(svc);
  out.rss_after_one_session = baseline;
  log('latency, 1 and 4 sessions...');
  out.latency = [
    await concurrent(svc, 1, 'manual'),
    await concurrent(svc, 4, 'manual'),
    await concurrent(svc, 1, 'vad'),
    await concurrent(svc, 4, 'vad'),
  ];
  log(`${shortSessions} short sessions...`);
  for (let i = 0; i < shortSessions; i += 10) await Promise.all(Array.from({ length: 10 }, () => shortSession(svc)));
  const after500 = await rss(svc);
  out.rss_after_500_sessions = after500;
  log(`one ${longMinutes}-minute session, sent as fast as the server reads...`);
  const long = await Client.open(svc, null);
  const thirty = RATE * 60 * longMinutes;
  let sent = 0;
  const t0 = performance.now();
  while (sent < thirty) {
    for (const clip of CLIPS) {
      const completed = long.next('conversation.item.input_audio_transcription.completed');
      for (let i = 0; i < clip.length; i += STEP) long.append(clip.subarray(i, Math.min(clip.length, i + STEP)));
      long.send({ type: 'input_audio_buffer.commit' });
      await completed;
      sent += clip.length;
    }
  }
  out.thirty_minute_session = {
    audio_seconds: sent / RATE,
    wall_seconds: Math.round((performance.now() - t0) / 100) / 10,
  };
  out.rss_during_30_minute_session = await rss(svc);
  await long.finish();
  out.rss_after_30_minute_session = await rss(svc);
  out.rss_ratio_500_vs_one = {
    server: after500.server_mb / baseline.server_mb,
    worker: after500.worker_mb / baseline.worker_mb,
  };
  const after30 = out.rss_after_30_minute_session as typeof baseline;
  out.rss_ratio_30min_vs_one = {
    server: after30.server_mb / baseline.server_mb,
    worker: after30.worker_mb / baseline.worker_mb,
  };
  log('ramp...');
  const ramp = [];
  for (let n = 2; n <= maxSessions; n += 2) {
    const r = await concurrent(svc, n, 'manual');
    ramp.push(r);
    log(`${n} sessions: p95 ${r.p95_ms} ms`);
    if (r.p95_ms > 2000) break;
  }
  out.ramp = ramp;
  out.sustained_sessions_p95_under_2s = Math.max(1, ...ramp.filter((r) => r.p95_ms <= 2000).map((r) => r.sessions));
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
} finally {
  await svc.stop();
}
