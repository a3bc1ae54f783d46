import { EarshotError } from './earshot-error.js';

/** The engine cannot recognise the requested language. Never retried: another attempt would fail the same way. */
export class UnsupportedLanguageError extends EarshotError {
  readonly language: string;
  constructor(engine: string, language: string, supported: readonly string[]) {
    super(
      'unsupported_language',
      `engine ${engine} does not support language "${language}" (supported: ${supported.join(', ')})`,
      {
        status: 422,
      },
    );
    this.language = language;
  }
}
