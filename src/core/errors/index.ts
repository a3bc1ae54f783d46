export { AbortedError } from './aborted.error.js';
export { BadAudioError } from './bad-audio.error.js';
export { ConflictError } from './conflict.error.js';
export { EarshotError } from './earshot-error.js';
export { EngineError } from './engine.error.js';
export { NotFoundError } from './not-found.error.js';
export { QueueFullError } from './queue-full.error.js';
