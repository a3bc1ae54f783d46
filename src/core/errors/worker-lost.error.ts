import { EarshotError } from './earshot-error.js';

/** A task's lease expired: its worker crashed, hung or was killed. Retried: another worker may finish it. */
export class WorkerLostError extends EarshotError {
  constructor() {
    super('worker_lost', 'the worker stopped renewing its lease (it crashed, hung or was killed)', {
      status: 500,
      retryable: true,
    });
  }
}
