import type { LiveCommand, LiveOutput } from './live-messages.js';
import type { LiveSettings } from './live-settings.js';

/** A live session's line to the worker process running it. */
export interface LiveLink {
  /** The worker running the session (admin views, tests). */
  readonly workerId: string;
  /** Sends a command for this session; dropped silently once the worker is gone (its crash is reported as output). */
  send(command: LiveCommand): void;
}

/**
 * Where live sessions run: implemented by the Supervisor, which spreads them over its worker
 * processes. Output of a session is delivered in order to `onOutput`; after a `closed` output
 * (also sent for a worker that died) nothing more arrives for that session.
 */
export interface LiveWorkers {
  openLive(sessionId: string, settings: LiveSettings, onOutput: (output: LiveOutput) => void): LiveLink | null;
}
