import {
  DEFAULT_TURN_DETECTION,
  LIVE_INPUT_RATES,
  type LiveInputRate,
  type LiveSettings,
  TURN_DETECTION_RANGE,
  type TurnDetection,
} from '../live-settings.js';
import type { BetaSessionUpdate, ClientEventError, GaSessionUpdate, TurnDetectionInput } from './client-events.js';

/** What a session reports about itself, beyond its settings. */
export interface SessionFacts {
  id: string;
  /** Engine name, reported as the transcription `model`. */
  model: string;
  /** Unix seconds when the session will be closed (maximum session length). */
  expiresAt: number;
}

type Refusal = Omit<ClientEventError, 'eventId'>;
type Applied = { settings: LiveSettings } | { error: Refusal };

/**
 * Applies a GA `session.update` to the current settings. Only the fields present change (as in
 * OpenAI's API); the result is validated as a whole, and on any refusal nothing changes.
 */
export function applyGaUpdate(
  current: LiveSettings,
  update: GaSessionUpdate,
  accepts: (l: string) => boolean,
): Applied {
  if (update.type !== undefined && update.type !== 'transcription') {
    return refuse(
      'invalid_session_config',
      `session.type ${JSON.stringify(update.type)} is not supported: this server runs transcription sessions only`,
      'session.type',
    );
  }
  const input = update.audio?.input;
  let next: LiveSettings = { ...current };
  if (input?.format !== undefined) {
    const { type, rate } = input.format;
    const r = rate ?? 24000;
    if (type !== 'audio/pcm' || !(LIVE_INPUT_RATES as readonly number[]).includes(r)) {
      return refuse(
        'unsupported_audio_format',
        `audio format ${JSON.stringify(input.format)} is not supported; use {"type":"audio/pcm","rate":24000} or rate 16000`,
        'session.audio.input.format',
      );
    }
    next.inputRate = r as LiveInputRate;
  }
  const language = input?.transcription?.language;
  if (language !== undefined) {
    const l = checkLanguage(language, accepts, 'session.audio.input.transcription.language');
    if ('error' in l) return l;
    next.language = l.language;
  }
  if (input?.turn_detection !== undefined) {
    const t = turnDetection(input.turn_detection, 'session.audio.input.turn_detection');
    if ('error' in t) return t;
    next = { ...next, turnDetection: t.turnDetection };
  }
  return { settings: next };
}

/** Applies a beta `transcription_session.update` (PCM16 is always 24 kHz in that protocol). */
export function applyBetaUpdate(
  current: LiveSettings,
  update: BetaSessionUpdate,
  accepts: (l: string) => boolean,
): Applied {
  let next: LiveSettings = { ...current };
  if (update.input_audio_format !== undefined) {
    if (update.input_audio_format !== 'pcm16') {
      return refuse(
        'unsupported_audio_format',
        `input_audio_format ${JSON.stringify(update.input_audio_format)} is not supported; use "pcm16"`,
        'session.input_audio_format',
      );
    }
    next.inputRate = 24000;
  }
  const language = update.input_audio_transcription?.language;
  if (language !== undefined) {
    const l = checkLanguage(language, accepts, 'session.input_audio_transcription.language');
    if ('error' in l) return l;
    next.language = l.language;
  }
  if (update.turn_detection !== undefined) {
    const t = turnDetection(update.turn_detection, 'session.turn_detection');
    if ('error' in t) return t;
    next = { ...next, turnDetection: t.turnDetection };
  }
  return { settings: next };
}

function checkLanguage(
  language: string,
  accepts: (l: string) => boolean,
  param: string,
): { language: string } | { error: Refusal } {
  // OpenAI treats an empty language as "detect"; so does every Earshot engine that detects.
  const l = language === '' ? 'auto' : language;
  if (!accepts(l)) {
    return refuse(
      'unsupported_language',
      `this deployment cannot recognise language ${JSON.stringify(language)}`,
      param,
    );
  }
  return { language: l };
}

function turnDetection(
  input: TurnDetectionInput,
  param: string,
): { turnDetection: TurnDetection | null } | { error: Refusal } {
  if (input === null) return { turnDetection: null };
  if (input.type !== 'server_vad') {
    return refuse(
      'invalid_session_config',
      `turn_detection.type ${JSON.stringify(input.type)} is not supported; use "server_vad" or null`,
      `${param}.type`,
    );
  }
  const td: TurnDetection = {
    threshold: input.threshold ?? DEFAULT_TURN_DETECTION.threshold,
    prefixPaddingMs: input.prefix_padding_ms ?? DEFAULT_TURN_DETECTION.prefixPaddingMs,
    silenceDurationMs: input.silence_duration_ms ?? DEFAULT_TURN_DETECTION.silenceDurationMs,
  };
  for (const key of ['prefixPaddingMs', 'silenceDurationMs'] as const) {
    const { min, max } = TURN_DETECTION_RANGE[key];
    if (td[key] < min || td[key] > max) {
      const name = key === 'prefixPaddingMs' ? 'prefix_padding_ms' : 'silence_duration_ms';
      return refuse('invalid_session_config', `${name} must be within ${min}..${max}`, `${param}.${name}`);
    }
  }
  return { turnDetection: td };
}

function refuse(code: Refusal['code'], message: string, param: string): { error: Refusal } {
  return { error: { code, message, param } };
}

function turnDetectionView(td: TurnDetection | null) {
  return td === null
    ? null
    : {
        type: 'server_vad',
        threshold: td.threshold,
        prefix_padding_ms: td.prefixPaddingMs,
        silence_duration_ms: td.silenceDurationMs,
      };
}

/** The session object of GA events (`session.created`, `session.updated`). */
export function gaSessionView(settings: LiveSettings, facts: SessionFacts) {
  return {
    type: 'transcription',
    object: 'realtime.transcription_session',
    id: facts.id,
    expires_at: facts.expiresAt,
    audio: {
      input: {
        format: { type: 'audio/pcm', rate: settings.inputRate },
        transcription: { model: facts.model, language: settings.language, prompt: '' },
        noise_reduction: null,
        turn_detection: turnDetectionView(settings.turnDetection),
      },
    },
    include: [],
  };
}

/** The session object of the beta `transcription_session.updated` event. */
export function betaSessionView(settings: LiveSettings, facts: SessionFacts) {
  return {
    id: facts.id,
    object: 'realtime.transcription_session',
    expires_at: facts.expiresAt,
    // The beta protocol names only 24 kHz PCM16; a 16 kHz session still reports its real rate here.
    input_audio_format: 'pcm16',
    input_audio_sample_rate: settings.inputRate,
    input_audio_transcription: { model: facts.model, language: settings.language, prompt: '' },
    turn_detection: turnDetectionView(settings.turnDetection),
    input_audio_noise_reduction: null,
    include: [],
    modalities: ['text'],
  };
}
