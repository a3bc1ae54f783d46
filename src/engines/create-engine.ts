import { type EngineName, type SherpaModelType, settingDefault } from '../config/config.js';
import type { EngineFactory } from './engine.js';
import { FAULTS_ENV, type FaultCounter, FaultyEngine, parseFaultConfig } from './faulty/faulty.engine.js';
import { OpenAiEngine, type OpenAiEngineOptions } from './openai/openai.engine.js';
import { PocketSphinxEngine } from './pocketsphinx/pocketsphinx.engine.js';
import type { PocketSphinxOptions } from './pocketsphinx/pocketsphinx.options.js';
import { PocketSphinxStream } from './pocketsphinx/pocketsphinx.stream.js';
import { SherpaOnnxEngine, type SherpaOnnxOptions } from './sherpa-onnx/sherpa-onnx.engine.js';
import type { StreamingRecognizerFactory } from './streaming.js';

export type { EngineName };

/**
 * Which engine to build and how. The flat keys match Earshot's Config (so the parsed config can be
 * passed as is); the nested objects give the full option sets and win over the flat keys. A flat
 * key left out takes its setting's default from config, never a default of its own here.
 */
export interface EngineConfig {
  engine: EngineName;
  /** Directory with `en-us/`, `en-us.lm.bin` and `cmudict-en-us.dict`. */
  pocketsphinxModelDir?: string;
  pocketsphinx?: PocketSphinxOptions;
  sherpaModelDir?: string;
  sherpaModelType?: SherpaModelType;
  sherpa?: Partial<SherpaOnnxOptions>;
  openaiBaseUrl?: string;
  openaiApiKey?: string;
  openaiModel?: string;
  openai?: Partial<OpenAiEngineOptions>;
}

/**
 * Returns a factory of engine instances for the configured engine. When EARSHOT_TEST_FAULTS is
 * set (tests only), every instance is wrapped in a FaultyEngine; its config is parsed here, once,
 * so a malformed value stops the process at boot, and one call counter is shared by all instances.
 */
export function createEngineFactory(config: EngineConfig, env: NodeJS.ProcessEnv = process.env): EngineFactory {
  const make = baseFactory(config);
  const faults = parseFaultConfig(env[FAULTS_ENV]);
  if (faults === null) return make;
  const counter: FaultCounter = { calls: 0 };
  return () => new FaultyEngine(make(), faults, counter);
}

/**
 * Returns a factory of streaming recognizers (live sessions) for the configured engine, or null
 * when that engine has no incremental mode. Only PocketSphinx has one; the others are served by
 * re-recognising each finished turn.
 */
export function createStreamingRecognizerFactory(config: EngineConfig): StreamingRecognizerFactory | null {
  switch (config.engine) {
    case 'pocketsphinx': {
      const options = pocketsphinxOptions(config);
      return () => new PocketSphinxStream(options);
    }
    case 'sherpa-onnx':
    case 'openai':
      return null;
  }
}

function pocketsphinxOptions(config: EngineConfig): PocketSphinxOptions {
  return { modelDir: config.pocketsphinxModelDir, ...config.pocketsphinx };
}

function baseFactory(config: EngineConfig): EngineFactory {
  switch (config.engine) {
    case 'pocketsphinx': {
      const options = pocketsphinxOptions(config);
      return () => new PocketSphinxEngine(options);
    }
    case 'sherpa-onnx': {
      const options: SherpaOnnxOptions = {
        modelDir: config.sherpaModelDir ?? settingDefault('sherpaModelDir'),
        modelType: config.sherpaModelType ?? settingDefault('sherpaModelType'),
        ...config.sherpa,
      };
      return () => new SherpaOnnxEngine(options);
    }
    case 'openai': {
      const options: OpenAiEngineOptions = {
        baseUrl: config.openaiBaseUrl ?? settingDefault('openaiBaseUrl'),
        model: config.openaiModel ?? settingDefault('openaiModel'),
        ...(config.openaiApiKey ? { apiKey: config.openaiApiKey } : {}),
        ...config.openai,
      };
      return () => new OpenAiEngine(options);
    }
  }
}
