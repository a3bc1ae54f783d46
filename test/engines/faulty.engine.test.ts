import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, EngineError } from '../../src/core/errors/index.js';
import type { Segment } from '../../src/core/transcript.js';
import { createEngineFactory } from '../../src/engines/create-engine.js';
import { FaultyEngine, parseFaultConfig } from '../../src/engines/faulty/faulty.engine.js';
import { PocketSphinxEngine } from '../../src/engines/pocketsphinx/pocketsphinx.engine.js';
import { childEnv } from '../helpers/child-env.js';
import { type Clip, ensureNativeServer, LIBRIVOX_DIR, loadLibrivox, TEST_ENGINE_DEADLINES } from './librivox.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('parseFaultConfig', () => {
  it('returns null when the variable is unset or blank', () => {
    expect(parseFaultConfig(undefined)).toBeNull();
    expect(parseFaultConfig('  ')).toBeNull();
  });

  it('parses every fault kind', () => {
    expect(parseFaultConfig('{"delayMs":50,"failFirst":2,"failOn":[5,7],"crashOn":9,"stallOn":[3]}')).toEqual({
      delayMs: 50,
      failFirst: 2,
      failOn: [5, 7],
      crashOn: 9,
      stallOn: [3],
    });
  });

  it('fails loudly on bad JSON, unknown keys and bad values', () => {
    expect(() => parseFaultConfig('{delay')).toThrow(/EARSHOT_TEST_FAULTS is not valid JSON/);
    expect(() => parseFaultConfig('{"failfirst":1}')).toThrow(/EARSHOT_TEST_FAULTS is invalid/);
    expect(() => parseFaultConfig('{"crashOn":0}')).toThrow(/crashOn/);
  });
});

describe('FaultyEngine around real PocketSphinx', () => {
  let inner: PocketSphinxEngine;
  let clip: Clip;
  let truth: Segment[];

  beforeAll(async () => {
    ensureNativeServer();
    clip = loadLibrivox().reduce((a, b) => (b.seconds < a.seconds ? b : a));
    inner = new PocketSphinxEngine(TEST_ENGINE_DEADLINES);
    await inner.load();
    truth = await inner.recognize(clip.pcm, { language: 'en' });
  });

  afterAll(async () => {
    await inner?.release();
  });

  it('fails the first K calls and chosen later ones with EngineError, and otherwise returns the real result', async () => {
    const engine = new FaultyEngine(inner, { failFirst: 2, failOn: [4] });
    const outcomes: unknown[] = [];
    for (let i = 0; i < 5; i++) outcomes.push(await engine.recognize(clip.pcm, { language: 'en' }).catch((e) => e));
    expect(outcomes[0]).toBeInstanceOf(EngineError);
    expect(outcomes[1]).toBeInstanceOf(EngineError);
    expect(outcomes[2]).toEqual(truth);
    expect(outcomes[3]).toBeInstanceOf(EngineError);
    expect(outcomes[4]).toEqual(truth);
  });

  it('counts calls across the instances of one factory', async () => {
    const factory = createEngineFactory({ engine: 'pocketsphinx' }, { EARSHOT_TEST_FAULTS: '{"failOn":[2]}' });
    const [a, b] = [factory(), factory()];
    expect(a).toBeInstanceOf(FaultyEngine);
    // Only the counter matters here; the wrapped engines are never reached by failing calls.
    await Promise.all([a.load(), b.load()]);
    try {
      expect(await a.recognize(clip.pcm, { language: 'en' })).toEqual(truth);
      await expect(b.recognize(clip.pcm, { language: 'en' })).rejects.toThrow(/injected fault: call 2/);
    } finally {
      await Promise.all([a.release(), b.release()]);
    }
  });

  it('delays each call and stays abortable during the delay', async () => {
    // A delay far past the test's timeout: the call can only settle in time if the abort ends it.
    const engine = new FaultyEngine(inner, { delayMs: 600_000 });
    const controller = new AbortController();
    const call = engine.recognize(clip.pcm, { language: 'en', signal: controller.signal });
    controller.abort('lease lost');
    const err = await call.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect((err as AbortedError).message).toBe('lease lost');
  });

  it('hangs the chosen calls until they are aborted, and answers the others for real', async () => {
    const engine = new FaultyEngine(inner, { stallOn: [1] });
    const controller = new AbortController();
    const stalled = engine.recognize(clip.pcm, { language: 'en', signal: controller.signal });
    // Call 2 is answered while call 1 still hangs: the stall is that call's, not the engine's.
    expect(await engine.recognize(clip.pcm, { language: 'en' })).toEqual(truth);
    controller.abort('lease lost');
    const err = await stalled.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect((err as AbortedError).message).toBe('lease lost');
  });

  it('SIGKILLs its own process on the chosen call, after answering the earlier ones for real', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-crash-'));
    try {
      const script = join(dir, 'crash.mts');
      const createEngine = pathToFileURL(join(ROOT, 'src/engines/create-engine.ts')).href;
      writeFileSync(
        script,
        `import { readFileSync } from 'node:fs';
import { createEngineFactory } from ${JSON.stringify(createEngine)};
const wav = readFileSync(${JSON.stringify(join(LIBRIVOX_DIR, `${clip.id}.wav`))});
const pcm = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length));
const engine = createEngineFactory({ engine: 'pocketsphinx' })();
await engine.load();
for (let call = 1; call <= 3; call++) {
  const segments = await engine.recognize(pcm, { language: 'en' });
  process.stdout.write(JSON.stringify(segments) + '\\n');
}
`,
      );
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        cwd: ROOT,
        env: childEnv({ EARSHOT_TEST_FAULTS: '{"crashOn":2}' }),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      // 'close', not 'exit': only then has all of stdout been read.
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.on('close', (c, s) => resolve([c, s])),
      );
      expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });
      const lines = stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] as string)).toEqual(truth);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('createEngineFactory', () => {
  it('builds plain engines without EARSHOT_TEST_FAULTS and wraps them when it is set', () => {
    const plain = createEngineFactory({ engine: 'pocketsphinx' }, {})();
    expect(plain).toBeInstanceOf(PocketSphinxEngine);
    const wrapped = createEngineFactory(
      { engine: 'openai', openaiBaseUrl: 'http://127.0.0.1:1/v1' },
      {
        EARSHOT_TEST_FAULTS: '{"delayMs":1}',
      },
    )();
    expect(wrapped).toBeInstanceOf(FaultyEngine);
    expect(wrapped.name).toBe('openai');
  });

  it('rejects a malformed fault config when the factory is made, not on first use', () => {
    expect(() => createEngineFactory({ engine: 'pocketsphinx' }, { EARSHOT_TEST_FAULTS: '{"oops":1}' })).toThrow(
      /EARSHOT_TEST_FAULTS is invalid/,
    );
  });

  it('maps the flat Config keys onto each engine', () => {
    expect(
      createEngineFactory({ engine: 'sherpa-onnx', sherpaModelDir: '/m', sherpaModelType: 'paraformer' }, {})().name,
    ).toBe('sherpa-onnx');
    expect(() => createEngineFactory({ engine: 'pocketsphinx', pocketsphinxModelDir: '/nonexistent' }, {})()).toThrow(
      /not found at \/nonexistent\/en-us/,
    );
  });
});
