import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SherpaModelType } from '../../config/config.js';
import { EngineConfigError } from '../../core/errors/index.js';
import { SAMPLE_RATE } from '../../core/task.js';

export type { SherpaModelType };

export interface SherpaOnnxOptions {
  /** Directory of one model as released at https://github.com/k2-fsa/sherpa-onnx/releases/tag/asr-models. */
  modelDir: string;
  modelType: SherpaModelType;
  /**
   * Language the model is told to expect: Whisper ("en", "de", ...) and SenseVoice ("en", "zh", ...).
   * Empty (the default) lets the model detect it. Paraformer ignores it.
   */
  language?: string;
  /** ONNX Runtime threads per instance. Default 1: the pool already runs one instance per core. */
  numThreads?: number;
  /** Model loading may take this long (large Whisper models load in seconds). Default 120 s. */
  loadTimeoutMs?: number;
  /** A chunk may take this long plus `timeoutPerAudioSecondMs` per audio second. Defaults 60 s + 5 s/s. */
  timeoutBaseMs?: number;
  timeoutPerAudioSecondMs?: number;
}

/**
 * The OfflineRecognizer config for sherpa-onnx-node (shape as in its lib/types.js:
 * featConfig + modelConfig.{whisper|senseVoice|paraformer} + tokens), with file names found in
 * the model directory. int8 weights are preferred: same accuracy class, a quarter of the memory.
 */
export function sherpaRecognizerConfig(options: SherpaOnnxOptions): Record<string, unknown> {
  let files: string[];
  try {
    files = readdirSync(options.modelDir);
  } catch (err) {
    throw new EngineConfigError(`sherpa-onnx model directory ${options.modelDir} cannot be read`, err);
  }
  const pick = (what: string, patterns: RegExp[]): string => {
    for (const pattern of patterns) {
      const found = files.filter((f) => pattern.test(f)).sort()[0];
      if (found !== undefined) return join(options.modelDir, found);
    }
    throw new EngineConfigError(
      `sherpa-onnx ${options.modelType} model in ${options.modelDir} has no ${what} (looked for ${patterns.join(', ')})`,
    );
  };
  const tokens = pick('tokens file', [/(^|-)tokens\.txt$/]);
  const language = options.language ?? '';
  let model: Record<string, unknown>;
  switch (options.modelType) {
    case 'whisper':
      model = {
        whisper: {
          encoder: pick('encoder', [/encoder\.int8\.onnx$/, /encoder\.onnx$/]),
          decoder: pick('decoder', [/decoder\.int8\.onnx$/, /decoder\.onnx$/]),
          language,
          task: 'transcribe',
        },
      };
      break;
    case 'sense-voice':
      model = {
        senseVoice: {
          model: pick('model', [/^model\.int8\.onnx$/, /^model\.onnx$/]),
          language,
          useInverseTextNormalization: 1,
        },
      };
      break;
    case 'paraformer':
      model = { paraformer: { model: pick('model', [/^model\.int8\.onnx$/, /^model\.onnx$/]) } };
      break;
  }
  return {
    featConfig: { sampleRate: SAMPLE_RATE, featureDim: 80 },
    modelConfig: { ...model, tokens, numThreads: options.numThreads ?? 1, provider: 'cpu', debug: 0 },
  };
}
