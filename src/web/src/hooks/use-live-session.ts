import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type FinalTurn, LiveTranscript } from '../../../live/client/live-transcript';
import { APPEND_MS } from '../../../live/client/realtime-protocol';
import { LIVE_INPUT_RATES } from '../../../live/live-settings';
import { type LiveEnd, LiveSocket } from '../live/live-socket';
import { type Microphone, MicrophoneError, openMicrophone } from '../live/microphone';

export type LivePhase = 'idle' | 'starting' | 'live' | 'finishing' | 'done' | 'failed';

export interface LiveState {
  phase: LivePhase;
  finals: readonly FinalTurn[];
  partial: string | null;
  /** RMS of the latest 100 ms of microphone audio, 0..1. */
  level: number;
  /** The saved task once the session finished (null when not saved). */
  taskId: string | null;
  /** Why the session failed (phase 'failed'), or a refused message the session survived. */
  error: string | null;
  notice: string | null;
  /** Audio is being produced faster than the connection sends it. */
  slow: boolean;
}

const INITIAL: LiveState = {
  phase: 'idle',
  finals: [],
  partial: null,
  level: 0,
  taskId: null,
  error: null,
  notice: null,
  slow: false,
};

/** OpenAI's default rate; the worklet or the browser resamples the microphone to it. */
const RATE = LIVE_INPUT_RATES[0];
/** Microphone audio kept while the session is being opened: 10 s, then the oldest goes. */
const MAX_EARLY_FRAMES = 10_000 / APPEND_MS;

export interface LiveSessionControls {
  state: LiveState;
  start(opts: { save: boolean }): void;
  stop(): void;
}

/**
 * One live session at a time: microphone → worklet → WebSocket, server events → transcript. The
 * microphone opens first (a denied permission is answered at once, and the prompt's wait does not
 * count against the server's idle timeout); frames recorded while the socket opens are sent when
 * it is ready.
 */
export function useLiveSession(token: string | null, language: string): LiveSessionControls {
  const [state, setState] = useState<LiveState>(INITIAL);
  const mic = useRef<Microphone | null>(null);
  const socket = useRef<LiveSocket | null>(null);
  const run = useRef(0);

  const release = useCallback(async () => {
    const m = mic.current;
    mic.current = null;
    await m?.stop().catch(() => {});
  }, []);

  const start = useCallback(
    ({ save }: { save: boolean }) => {
      const id = ++run.current;
      const current = () => run.current === id;
      const transcript = new LiveTranscript();
      const early: Int16Array[] = [];
      setState({ ...INITIAL, phase: 'starting' });

      const onEnd = (end: LiveEnd) => {
        if (!current()) return;
        socket.current = null;
        void release();
        setState((s) =>
          end.ok
            ? { ...s, phase: 'done', partial: null, level: 0, taskId: end.taskId }
            : { ...s, phase: 'failed', level: 0, error: end.message },
        );
      };

      void (async () => {
        try {
          const m = await openMicrophone({
            rate: RATE,
            frameMs: APPEND_MS,
            onFrame: (pcm, rms) => {
              if (!current()) return;
              const s = socket.current;
              if (s) s.sendPcm(pcm);
              else if (early.push(pcm) > MAX_EARLY_FRAMES) early.shift();
              setState((st) => ({ ...st, level: rms, slow: s?.fallingBehind ?? false }));
            },
          });
          if (!current()) return void m.stop();
          mic.current = m;
          const opened = await LiveSocket.open({
            token,
            save,
            rate: RATE,
            language,
            onEvent: (ev) => {
              if (!current()) return;
              transcript.apply(ev);
              const view = transcript.view();
              setState((s) => ({
                ...s,
                finals: view.finals,
                partial: view.partial,
                notice: ev.type === 'error' ? ev.error.message : s.notice,
              }));
            },
            onEnd,
          });
          if (!current()) return opened.close();
          for (const pcm of early.splice(0)) opened.sendPcm(pcm);
          socket.current = opened;
          setState((s) => ({ ...s, phase: 'live' }));
        } catch (err) {
          if (!current()) return;
          await release();
          const message = err instanceof MicrophoneError || err instanceof Error ? err.message : String(err);
          setState((s) => ({ ...s, phase: 'failed', level: 0, error: message }));
        }
      })();
    },
    [token, language, release],
  );

  const stop = useCallback(() => {
    const s = socket.current;
    void release();
    if (!s) {
      // Still opening: give up on it.
      run.current += 1;
      setState((st) => ({ ...st, phase: 'idle', level: 0 }));
      return;
    }
    setState((st) => ({ ...st, phase: 'finishing', level: 0 }));
    s.finish();
  }, [release]);

  // Leaving the page ends the session and frees the microphone.
  useEffect(
    () => () => {
      run.current += 1;
      socket.current?.close();
      socket.current = null;
      void release();
    },
    [release],
  );

  return { state, start, stop };
}
