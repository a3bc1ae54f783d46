import type { EngineConfig } from './create-engine.js';
import { pocketsphinxAccepts } from './pocketsphinx/pocketsphinx.engine.js';
import { sherpaAccepts } from './sherpa-onnx/sherpa-onnx.engine.js';

/** Which recognition languages the configured engine can do, known without loading it. */
export interface LanguageSupport {
  /**
   * The codes to offer people, best first; null when the engine takes any code it is given (a
   * multilingual model or a remote service decides for itself).
   */
  offered: readonly string[] | null;
  /** Whether a task in `language` can run; the same rule the engine applies when it recognises. */
  accepts(language: string): boolean;
}

/**
 * Derived from the engine kind and its settings, so the API (which never loads an engine) can refuse
 * an upload the worker would only fail later.
 */
export function languageSupport(config: EngineConfig): LanguageSupport {
  switch (config.engine) {
    case 'pocketsphinx':
      // The bundled model is US English; "en-US" and "auto" are aliases, not other languages.
      return { offered: ['en'], accepts: pocketsphinxAccepts };
    case 'sherpa-onnx': {
      const configured = config.sherpa?.language ?? '';
      return {
        offered: configured === '' ? null : [configured.toLowerCase()],
        accepts: (language) => sherpaAccepts(configured, language),
      };
    }
    case 'openai':
      return { offered: null, accepts: () => true };
  }
}
