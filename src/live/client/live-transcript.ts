/**
 * What a live client shows: the finished turns in order and the in-progress line. Fed with server
 * events; the CLI and the web UI both render from it. Browser-safe.
 */
import type { RealtimeServerEvent, RealtimeWord } from './realtime-protocol.js';

export interface FinalTurn {
  itemId: string;
  text: string;
  /** Session time, seconds; null when the server sent none. */
  start: number | null;
  end: number | null;
  words: RealtimeWord[];
}

export interface LiveTranscriptView {
  finals: readonly FinalTurn[];
  /** The newest unfinished item's whole hypothesis ('' while speech has started but nothing is heard yet). */
  partial: string | null;
}

/**
 * Keeps finished turns and each unfinished item's hypothesis. Items are kept apart by id, so a
 * delta for a turn that follows one still being finished never overwrites that turn's text.
 */
export class LiveTranscript {
  private readonly finalTurns: FinalTurn[] = [];
  private readonly pending = new Map<string, string>();

  /** Applies `ev`; returns the turn it finished, if it finished one. */
  apply(ev: RealtimeServerEvent): FinalTurn | null {
    switch (ev.type) {
      case 'input_audio_buffer.speech_started':
        if (!this.pending.has(ev.item_id)) this.pending.set(ev.item_id, '');
        return null;
      case 'conversation.item.input_audio_transcription.delta': {
        // `partial` is the whole hypothesis; plain OpenAI servers send only deltas, which append.
        const before = this.pending.get(ev.item_id) ?? '';
        this.pending.set(ev.item_id, ev.partial ?? before + ev.delta);
        return null;
      }
      case 'conversation.item.input_audio_transcription.completed': {
        this.pending.delete(ev.item_id);
        const turn: FinalTurn = {
          itemId: ev.item_id,
          text: ev.transcript.trim(),
          start: typeof ev.start === 'number' ? ev.start : null,
          end: typeof ev.end === 'number' ? ev.end : null,
          words: ev.words ?? [],
        };
        this.finalTurns.push(turn);
        return turn;
      }
      default:
        return null;
    }
  }

  /** A snapshot for renderers that compare by identity (the finished turns are copied). */
  view(): LiveTranscriptView {
    return { finals: [...this.finalTurns], partial: this.partial() };
  }

  /** The newest unfinished item's hypothesis, or null when no turn is open. */
  partial(): string | null {
    let partial: string | null = null;
    for (const text of this.pending.values()) partial = text; // Map keeps insertion order: the newest wins
    return partial;
  }

  get finals(): readonly FinalTurn[] {
    return this.finalTurns;
  }

  /** Every finished turn's text, in order, one space apart. */
  text(): string {
    return this.finalTurns
      .map((t) => t.text)
      .filter(Boolean)
      .join(' ');
  }
}

/** Session seconds as `mm:ss.s` (minutes grow past 59 rather than adding hours: sessions are short). */
export function formatSessionTime(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--.-';
  const tenths = Math.round(Math.max(0, seconds) * 10);
  const mm = Math.floor(tenths / 600);
  const ss = (tenths % 600) / 10;
  return `${String(mm).padStart(2, '0')}:${ss.toFixed(1).padStart(4, '0')}`;
}

/** `[mm:ss.s → mm:ss.s] text`, the one format for a finished turn. */
export function formatTurn(turn: FinalTurn): string {
  return `[${formatSessionTime(turn.start)} → ${formatSessionTime(turn.end)}] ${turn.text}`;
}
