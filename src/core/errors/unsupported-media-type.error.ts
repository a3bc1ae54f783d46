import { EarshotError } from './earshot-error.js';

/** A request body in a content type the route does not take. */
export class UnsupportedMediaTypeError extends EarshotError {
  constructor(message = 'send multipart/form-data with a file part, or JSON with a url') {
    super('unsupported_media_type', message, { status: 415 });
  }
}
