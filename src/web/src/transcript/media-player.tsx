import type { MediaSource } from '../hooks/use-media-source';

const VIDEO_EXTENSIONS = ['mp4', 'm4v', 'mkv', 'mov', 'webm', 'avi', 'ogv', 'mpeg', 'mpg', 'wmv'];

interface Props {
  sourceName: string;
  source: MediaSource;
  onElement(media: HTMLMediaElement | null): void;
}

/** The browser's own controls: keyboard-operable and accessible already. Video only for video files. */
export function MediaPlayer({ sourceName, source, onElement }: Props) {
  const ext = sourceName.split('.').pop()?.toLowerCase() ?? '';
  const isVideo = VIDEO_EXTENSIONS.includes(ext);
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
      {isVideo ? (
        <video {...common} ref={(el) => onElement(el)} playsInline>
          <track kind="captions" />
        </video>
      ) : (
        <audio {...common} ref={(el) => onElement(el)}>
          <track kind="captions" />
        </audio>
      )}
      {source.error && (
        <p class="error-text" role="alert" data-testid="player-error">
          {source.error}
        </p>
      )}
    </div>
  );
}
