import { z } from 'zod';
import type { LiveErrorCode } from '../live-errors.js';

/**
 * The client events of OpenAI's Realtime API that a transcription session uses, validated. Fields
 * Earshot does not use (model, prompt, noise_reduction, include, ...) are accepted and ignored, so
 * clients written for OpenAI work unchanged; fields it uses are checked strictly.
 */

const turnDetection = z
  .object({
    type: z.string(),
    threshold: z.number().min(0).max(1).optional(),
    prefix_padding_ms: z.number().int().min(0).optional(),
    silence_duration_ms: z.number().int().min(0).optional(),
  })
  .passthrough()
  .nullable();

const transcription = z
  .object({ model: z.string().optional(), language: z.string().max(35).optional(), prompt: z.string().optional() })
  .passthrough();

/** GA shape: `session.update` with `session.type: "transcription"`. */
const gaSession = z
  .object({
    type: z.string().optional(),
    audio: z
      .object({
        input: z
          .object({
            format: z.object({ type: z.string(), rate: z.number().optional() }).passthrough().optional(),
            transcription: transcription.optional(),
            turn_detection: turnDetection.optional(),
          })
          .passthrough()
          .optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

/** Beta shape: `transcription_session.update`. */
const betaSession = z
  .object({
    input_audio_format: z.string().optional(),
    input_audio_transcription: transcription.nullable().optional(),
    turn_detection: turnDetection.optional(),
  })
  .passthrough();

const clientEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('session.update'), event_id: z.string().optional(), session: gaSession }).passthrough(),
  z
    .object({ type: z.literal('transcription_session.update'), event_id: z.string().optional(), session: betaSession })
    .passthrough(),
  z
    .object({ type: z.literal('input_audio_buffer.append'), event_id: z.string().optional(), audio: z.string() })
    .passthrough(),
  z.object({ type: z.literal('input_audio_buffer.commit'), event_id: z.string().optional() }).passthrough(),
  z.object({ type: z.literal('input_audio_buffer.clear'), event_id: z.string().optional() }).passthrough(),
  z.object({ type: z.literal('earshot.session.finish'), event_id: z.string().optional() }).passthrough(),
]);

export type ClientEvent = z.infer<typeof clientEvent>;
export type GaSessionUpdate = z.infer<typeof gaSession>;
export type BetaSessionUpdate = z.infer<typeof betaSession>;
export type TurnDetectionInput = z.infer<typeof turnDetection>;

export const CLIENT_EVENT_TYPES: readonly string[] = clientEvent.options.map((o) => o.shape.type.value);

/** A refused message: the code, a message naming what was wrong, the offending parameter and event id. */
export interface ClientEventError {
  code: LiveErrorCode;
  message: string;
  param: string | null;
  eventId: string | null;
}

/** Parses one text message. */
export function parseClientEvent(text: string): { event: ClientEvent } | { error: ClientEventError } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: { code: 'invalid_json', message: 'the message is not valid JSON', param: null, eventId: null } };
  }
  const eventId =
    typeof value === 'object' && value !== null && typeof (value as { event_id?: unknown }).event_id === 'string'
      ? (value as { event_id: string }).event_id
      : null;
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || !CLIENT_EVENT_TYPES.includes(type)) {
    return {
      error: {
        code: 'unknown_event_type',
        message: `unknown or unsupported event type ${JSON.stringify(type ?? null)}; this server supports ${CLIENT_EVENT_TYPES.join(', ')}`,
        param: 'type',
        eventId,
      },
    };
  }
  const parsed = clientEvent.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue?.path.join('.') ?? null;
    return {
      error: {
        code: 'invalid_event',
        message: `invalid ${type}: ${param ? `${param}: ` : ''}${issue?.message ?? 'bad shape'}`,
        param,
        eventId,
      },
    };
  }
  return { event: parsed.data };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes an append's audio. Node's base64 decoder silently skips invalid characters, which would
 * turn a client bug into noise fed to the recogniser; this refuses it instead.
 */
export function decodeAudio(base64: string): Buffer | null {
  if (!BASE64.test(base64)) return null;
  const pcm = Buffer.from(base64, 'base64');
  return pcm.length % 2 === 0 ? pcm : null;
}
