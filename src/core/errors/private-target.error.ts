import { InvalidRequestError } from './invalid-request.error.js';

/**
 * An outbound `url` or `callback_url` resolves to a private or loopback address while
 * EARSHOT_ALLOW_PRIVATE_NETWORKS is off: a request must not make the server reach its own network.
 */
export class PrivateTargetError extends InvalidRequestError {
  constructor(host: string) {
    super(`${host} resolves to a private or loopback address, which is not allowed`);
  }
}
