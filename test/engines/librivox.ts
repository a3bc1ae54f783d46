import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Real speech for engine tests: five LibriVox clips ("Sense and Sensibility", 3-7 s each) with
 * reference transcripts, from Debian's pocketsphinx-testdata package.
 */
export const LIBRIVOX_DIR = '/usr/share/pocketsphinx/test/data/librivox';

export interface Clip {
  id: string;
  pcm: Int16Array;
  seconds: number;
  reference: string;
}

/**
 * Reads a canonical 16 kHz mono 16-bit WAV after checking its 44-byte header, so a file in any
 * other format fails loudly instead of being decoded as noise.
 */
export function readWav16k(path: string): Int16Array {
  const buf = readFileSync(path);
  const ok =
    buf.toString('ascii', 0, 4) === 'RIFF' &&
    buf.toString('ascii', 8, 16) === 'WAVEfmt ' &&
    buf.readUInt16LE(20) === 1 &&
    buf.readUInt16LE(22) === 1 &&
    buf.readUInt32LE(24) === 16000 &&
    buf.readUInt16LE(34) === 16 &&
    buf.toString('ascii', 36, 40) === 'data' &&
    buf.readUInt32LE(40) === buf.length - 44;
  if (!ok) throw new Error(`${path} is not a canonical 16 kHz mono s16le WAV`);
  // Copy into a fresh, aligned buffer (Int16Array needs an even byte offset).
  return new Int16Array(buf.buffer.slice(buf.byteOffset + 44, buf.byteOffset + buf.length));
}

export function loadLibrivox(): Clip[] {
  const references = new Map<string, string>();
  for (const line of readFileSync(join(LIBRIVOX_DIR, 'transcription'), 'utf8').trim().split('\n')) {
    const m = /^(.*)\(([^)]+)\)\s*$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) references.set(m[2], m[1].replace(/<\/?s>/g, '').trim());
  }
  const ids = readFileSync(join(LIBRIVOX_DIR, 'fileids'), 'utf8').trim().split('\n');
  return ids.map((id) => {
    const pcm = readWav16k(join(LIBRIVOX_DIR, `${id}.wav`));
    const reference = references.get(id);
    if (reference === undefined) throw new Error(`no reference transcript for ${id}`);
    return { id, pcm, seconds: pcm.length / 16000, reference };
  });
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVER = join(ROOT, 'dist', 'native', 'earshot-ps-server');
const SOURCE = join(ROOT, 'src', 'engines', 'pocketsphinx', 'ps-server.c');

/**
 * Builds dist/native/earshot-ps-server when it is missing or older than its source. Test files run
 * in parallel, so the build runs under a lock and re-checks inside it.
 */
export function ensureNativeServer(): void {
  const stale = (): boolean => !existsSync(SERVER) || statSync(SERVER).mtimeMs < statSync(SOURCE).mtimeMs;
  if (!stale()) return;
  execFileSync(
    'flock',
    [
      join(tmpdir(), 'earshot-build-native.lock'),
      'sh',
      '-c',
      `if [ ! -x "${SERVER}" ] || [ "${SOURCE}" -nt "${SERVER}" ]; then bash scripts/build-native.sh; fi`,
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
}

/**
 * Engine deadlines for tests: the engine's own (30 s to load, 30 s + 2 s per audio second to answer)
 * suit a server, but a test machine busy with other work can be slower, and these tests are about
 * results and failures, not speed. The test timeout stays the bound on a real hang.
 */
export const TEST_ENGINE_DEADLINES = { loadTimeoutMs: 240_000, timeoutBaseMs: 240_000 } as const;
