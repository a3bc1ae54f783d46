import type { MediaSource } from '../hooks/use-media-source';

const VIDEO_EXTENSIONS = ['mp4', 'm4v', 'mkv', 'mov', 'webm', 'avi', 'ogv', 'mpeg', 'mpg', 'wmv'];

export function isVideoName(sourceName: string): boolean {
  return VIDEO_EXTENSIONS.includes(sourceName.split('.').pop()?.toLowerCase() ?? '');
}

interface Props {
  sourceName: string;
  source: MediaSource;
  /** WebVTT captions for a video (Blob URL), once the transcript is finished. */
  captionsUrl: string | null;
  language: string;
  onElement(media: HTMLMediaElement | null): void;
}

/** The browser's own controls: keyboard-operable and accessible already. Video only for video files. */
export function MediaPlayer({ sourceName, source, captionsUrl, language, onElement }: Props) {
  const common = {
    class: 'player',
    controls: true,
    preload: 'metadata' as const,
    src: source.src ?? undefined,
    onError: source.onError,
    'data-testid': 'player',
    'aria-label': `Recording: ${sourceName}`,
  };
  return (
    <div class="player-box">
      {isVideoName(sourceName) ? (
        <video {...common} ref={onElement} playsInline>
          {captionsUrl && <track kind="captions" src={captionsUrl} srclang={language} label="Transcript" default />}
        </video>
      ) : (
        <audio {...common} ref={onElement} />
      )}
      {source.error && (
        <p class="error-text" role="alert" data-testid="player-error">
          {source.error}
        </p>
      )}
    </div>
  );
}
