import { EarshotError } from './earshot-error.js';

/** The input is not decodable audio (not media, empty, truncated, no audio stream, unknown codec). Never retried. */
export class BadAudioError extends EarshotError {
  constructor(message: string, cause?: unknown) {
    super('bad_audio', message, { status: 422, retryable: false, cause });
  }
}
