import { EarshotError } from './earshot-error.js';

/** A byte range outside the file; `size` goes into the 416 answer's Content-Range header. */
export class RangeNotSatisfiableError extends EarshotError {
  readonly size: number;
  constructor(size: number) {
    super('range_not_satisfiable', 'the requested range is outside the file', { status: 416 });
    this.size = size;
  }
}
