import { EarshotError } from './earshot-error.js';

/** The supervisor saw a worker process die mid-task. Retried: checkpoints let the next attempt resume. */
export class WorkerCrashedError extends EarshotError {
  constructor(reason: string) {
    super('worker_crashed', `worker process died (${reason})`, { status: 500, retryable: true });
  }
}
