import { InvalidRequestError } from './invalid-request.error.js';

/** One named request parameter is missing or invalid; `param` names it (OpenAI-style errors report it). */
export class InvalidParamError extends InvalidRequestError {
  readonly param: string;
  constructor(param: string, message: string) {
    super(message);
    this.param = param;
  }
}
