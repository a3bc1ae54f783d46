import { EarshotError } from './earshot-error.js';

/** Invalid settings, every one named, so `earshot` can print one readable line and exit 2. Never retried. */
export class ConfigError extends EarshotError {
  constructor(message: string) {
    super('invalid_config', message, { status: 500, retryable: false });
  }
}
