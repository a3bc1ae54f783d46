import { useCallback, useEffect, useState } from 'preact/hooks';

export interface Playback {
  /** Current position, seconds, refreshed about ten times a second while playing. */
  time: number;
  duration: number | null;
  paused: boolean;
  seek(seconds: number, play?: boolean): void;
  /** Plays if paused, pauses if playing. */
  toggle(): void;
  /** Moves by `delta` seconds from where the player is now, leaving play/pause as it was. */
  skip(delta: number): void;
}

/**
 * Follows a media element. While playing, the position is read every animation frame but state only
 * changes per tenth of a second, so the page re-renders at a bounded rate however long the transcript.
 */
export function usePlayback(media: HTMLMediaElement | null): Playback {
  const [time, setTime] = useState(0);
  const [duration, setDuration] = useState<number | null>(null);
  const [paused, setPaused] = useState(true);

  useEffect(() => {
    if (!media) return undefined;
    let frame = 0;
    const read = () => setTime(toTenths(media.currentTime));
    const tick = () => {
      read();
      frame = requestAnimationFrame(tick);
    };
    const onPlay = () => {
      setPaused(false);
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(tick);
    };
    const onPause = () => {
      setPaused(true);
      cancelAnimationFrame(frame);
      read();
    };
    const onDuration = () => setDuration(Number.isFinite(media.duration) ? media.duration : null);
    media.addEventListener('play', onPlay);
    media.addEventListener('pause', onPause);
    media.addEventListener('ended', onPause);
    media.addEventListener('seeked', read);
    media.addEventListener('timeupdate', read);
    media.addEventListener('durationchange', onDuration);
    media.addEventListener('loadedmetadata', onDuration);
    return () => {
      cancelAnimationFrame(frame);
      media.removeEventListener('play', onPlay);
      media.removeEventListener('pause', onPause);
      media.removeEventListener('ended', onPause);
      media.removeEventListener('seeked', read);
      media.removeEventListener('timeupdate', read);
      media.removeEventListener('durationchange', onDuration);
      media.removeEventListener('loadedmetadata', onDuration);
    };
  }, [media]);

  const seek = useCallback(
    (seconds: number, play = true) => {
      if (!media) return;
      media.currentTime = Math.max(0, seconds);
      setTime(toTenths(media.currentTime));
      // Playback may be refused (no audio device, autoplay rules); the seek itself still stands.
      if (play && media.paused) media.play().catch(() => {});
    },
    [media],
  );

  const toggle = useCallback(() => {
    if (!media) return;
    if (media.paused) media.play().catch(() => {});
    else media.pause();
  }, [media]);

  const skip = useCallback(
    (delta: number) => {
      if (!media) return;
      const end = Number.isFinite(media.duration) ? media.duration : Number.POSITIVE_INFINITY;
      media.currentTime = Math.min(Math.max(0, media.currentTime + delta), end);
      setTime(toTenths(media.currentTime));
    },
    [media],
  );

  return { time, duration, paused, seek, toggle, skip };
}

/**
 * Down to a tenth of a second, never up: clocks show whole seconds truncated (formatClock, and the
 * browser's own player), so 9.96 s must read 0:09 here too, not 0:10.
 */
function toTenths(seconds: number): number {
  return Math.floor(seconds * 10) / 10;
}
