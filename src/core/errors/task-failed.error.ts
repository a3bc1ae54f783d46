import { EarshotError } from './earshot-error.js';

/**
 * Failure codes that mean the input itself was unusable: answering for such a task is the client's
 * error (422), anything else a server-side one (502: the recognition behind the request failed).
 */
const INPUT_FAULTS: ReadonlySet<string> = new Set(['bad_audio', 'unsupported_language']);

/**
 * A task a request was waiting for (OpenAI-compatible transcription) failed for good, after its
 * retries. Carries the task's own failure code and message.
 */
export class TaskFailedError extends EarshotError {
  readonly taskId: string;
  constructor(taskId: string, code: string | null, message: string | null) {
    const failure = code ?? 'task_failed';
    super(failure, `transcription failed (task ${taskId}): ${message ?? 'unknown error'}`, {
      status: INPUT_FAULTS.has(failure) ? 422 : 502,
    });
    this.taskId = taskId;
  }
}
