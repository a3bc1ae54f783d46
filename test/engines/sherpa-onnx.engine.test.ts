import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineConfigError } from '../../src/core/errors/index.js';
import { sherpaRecognizerConfig } from '../../src/engines/sherpa-onnx/sherpa-onnx.config.js';
import { SherpaOnnxEngine } from '../../src/engines/sherpa-onnx/sherpa-onnx.engine.js';

/**
 * sherpa-onnx-node and its models are not installed here, so recognition is untested (see the
 * engine's header). These tests cover what can be checked honestly: the error a user gets without
 * the package, and how a model directory is turned into the recognizer config.
 */

let dir: string;

/** Creates empty files standing in for a released model's layout (only names are read). */
function modelDir(name: string, files: string[]): string {
  const path = join(dir, name);
  mkdirSync(path);
  for (const f of files) writeFileSync(join(path, f), '');
  return path;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'earshot-sherpa-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('SherpaOnnxEngine without sherpa-onnx-node', () => {
  it('fails load() with a non-retryable error that says what to install', async () => {
    const engine = new SherpaOnnxEngine({ modelDir: dir, modelType: 'whisper' });
    const err = await engine.load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineConfigError);
    expect((err as EngineConfigError).retryable).toBe(false);
    expect((err as Error).message).toContain('npm install sherpa-onnx-node');
    expect((err as Error).message).toContain('download a model');
    await engine.release();
  });
});

describe('sherpaRecognizerConfig', () => {
  it('finds a Whisper export, preferring int8 weights', () => {
    const path = modelDir('whisper', [
      'tiny.en-encoder.onnx',
      'tiny.en-encoder.int8.onnx',
      'tiny.en-decoder.onnx',
      'tiny.en-decoder.int8.onnx',
      'tiny.en-tokens.txt',
    ]);
    expect(sherpaRecognizerConfig({ modelDir: path, modelType: 'whisper', language: 'en' })).toEqual({
      featConfig: { sampleRate: 16000, featureDim: 80 },
      modelConfig: {
        whisper: {
          encoder: join(path, 'tiny.en-encoder.int8.onnx'),
          decoder: join(path, 'tiny.en-decoder.int8.onnx'),
          language: 'en',
          task: 'transcribe',
        },
        tokens: join(path, 'tiny.en-tokens.txt'),
        numThreads: 1,
        provider: 'cpu',
        debug: 0,
      },
    });
  });

  it('finds SenseVoice and Paraformer exports', () => {
    const sv = modelDir('sense-voice', ['model.onnx', 'tokens.txt']);
    expect(sherpaRecognizerConfig({ modelDir: sv, modelType: 'sense-voice', numThreads: 2 }).modelConfig).toEqual({
      senseVoice: { model: join(sv, 'model.onnx'), language: '', useInverseTextNormalization: 1 },
      tokens: join(sv, 'tokens.txt'),
      numThreads: 2,
      provider: 'cpu',
      debug: 0,
    });
    const pf = modelDir('paraformer', ['model.int8.onnx', 'tokens.txt']);
    expect(sherpaRecognizerConfig({ modelDir: pf, modelType: 'paraformer' }).modelConfig).toMatchObject({
      paraformer: { model: join(pf, 'model.int8.onnx') },
    });
  });

  it('names the missing file or directory', () => {
    const path = modelDir('incomplete', ['tokens.txt', 'base-encoder.onnx']);
    expect(() => sherpaRecognizerConfig({ modelDir: path, modelType: 'whisper' })).toThrow(/has no decoder/);
    expect(() => sherpaRecognizerConfig({ modelDir: join(dir, 'absent'), modelType: 'paraformer' })).toThrow(
      EngineConfigError,
    );
  });
});
