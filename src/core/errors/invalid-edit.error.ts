import { EarshotError } from './earshot-error.js';

/**
 * A transcript edit that cannot apply (an index out of range, an empty or too long text, an unknown
 * operation). `operation` is the index of the first failing operation in the request; nothing of the
 * request was applied.
 */
export class InvalidEditError extends EarshotError {
  readonly operation: number;

  constructor(operation: number, reason: string) {
    super('invalid_edit', `operation ${operation}: ${reason}`, { status: 400 });
    this.operation = operation;
  }
}
