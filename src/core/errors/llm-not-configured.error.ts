import { EarshotError } from './earshot-error.js';

/** A `summary` or `polish` was asked for, but no LLM server is configured (EARSHOT_LLM_BASE_URL). */
export class LlmNotConfiguredError extends EarshotError {
  constructor(option: string) {
    super(
      'llm_not_configured',
      `${option} needs an LLM server, and none is configured on this server (EARSHOT_LLM_BASE_URL is unset)`,
      { status: 422 },
    );
  }
}
