/**
 * Every code a live session's `error` event can carry, with whether the session ends and, if so,
 * the WebSocket close code. One table: the protocol layer, the worker, docs/api.md and the tests
 * read it from here.
 */
export const LIVE_ERRORS = {
  // Refused messages: the session goes on.
  invalid_json: { fatal: false, message: 'the message is not valid JSON' },
  unknown_event_type: { fatal: false, message: 'unknown client event type' },
  invalid_event: { fatal: false, message: 'the event does not have the expected shape' },
  invalid_audio: { fatal: false, message: 'audio must be base64 of little-endian PCM16 (an even number of bytes)' },
  unsupported_audio_format: { fatal: false, message: 'audio format must be audio/pcm (pcm16) at 16000 or 24000 Hz' },
  unsupported_language: { fatal: false, message: 'this deployment cannot recognise that language' },
  invalid_session_config: { fatal: false, message: 'the session settings are not valid' },
  binary_message: { fatal: false, message: 'send JSON text messages; audio goes base64 in input_audio_buffer.append' },
  message_too_large: { fatal: false, message: 'the message is larger than the limit' },
  input_audio_buffer_commit_empty: { fatal: false, message: 'there is no uncommitted audio to commit' },
  // The session ends: error event, then close with `closeCode`.
  session_limit_reached: { fatal: true, closeCode: 1013, message: 'all live session slots are in use' },
  no_live_capacity: { fatal: true, closeCode: 1013, message: 'this server runs no workers for live sessions' },
  session_expired: { fatal: true, closeCode: 1008, message: 'the session reached its maximum length' },
  idle_timeout: { fatal: true, closeCode: 1008, message: 'no message from the client within the idle timeout' },
  slow_consumer: { fatal: true, closeCode: 1008, message: 'the client does not read events fast enough' },
  worker_crashed: { fatal: true, closeCode: 1011, message: 'the worker running this session stopped' },
  engine_failed: { fatal: true, closeCode: 1011, message: 'the speech engine failed' },
  server_shutting_down: { fatal: true, closeCode: 1001, message: 'the server is shutting down' },
  internal_error: { fatal: true, closeCode: 1011, message: 'internal error' },
} as const satisfies Record<string, { fatal: boolean; closeCode?: number; message: string }>;

export type LiveErrorCode = keyof typeof LIVE_ERRORS;
