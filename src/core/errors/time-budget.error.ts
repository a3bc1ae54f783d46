import { EarshotError } from './earshot-error.js';

/**
 * An attempt ran past its time budget (see `timeBudgetSeconds` in config). Retried: a hung engine
 * or an overloaded machine is the usual cause, and the next attempt resumes from its checkpoints.
 */
export class TimeBudgetError extends EarshotError {
  constructor(seconds: number) {
    super('time_budget_exceeded', `attempt exceeded its time budget of ${Math.round(seconds)} s`, {
      status: 500,
      retryable: true,
    });
  }
}
