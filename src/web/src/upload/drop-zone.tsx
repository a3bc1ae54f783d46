import { useState } from 'preact/hooks';

interface Props {
  onFiles(files: File[]): void;
  disabled?: boolean;
}

const ACCEPT = 'audio/*,video/*,.mp3,.wav,.flac,.ogg,.opus,.m4a,.m4b,.aac,.wma,.amr,.mp4,.mkv,.mov,.webm';

/**
 * A file input inside a large label that also takes drops. The input stays in the tab order
 * (visually hidden, focus shown on the zone), so Space or Enter opens the picker from the keyboard.
 */
export function DropZone({ onFiles, disabled = false }: Props) {
  const [dragging, setDragging] = useState(false);

  const onDragOver = (e: DragEvent) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    setDragging(true);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (files.length > 0 && !disabled) onFiles(files);
  };
  const onChange = (e: Event) => {
    const input = e.currentTarget as HTMLInputElement;
    const files = Array.from(input.files ?? []);
    // Clearing lets the same file be picked again after a failed upload.
    input.value = '';
    if (files.length > 0) onFiles(files);
  };

  return (
    <div class={`drop-zone${dragging ? ' drop-zone--active' : ''}`} data-testid="drop-zone">
      <input
        id="file-input"
        class="visually-hidden"
        type="file"
        multiple
        accept={ACCEPT}
        disabled={disabled}
        onChange={onChange}
        data-testid="file-input"
      />
      <label
        for="file-input"
        class="drop-zone__label"
        onDragOver={onDragOver}
        onDragEnter={onDragOver}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <span class="drop-zone__title">Drop audio or video files here</span>
        <span class="drop-zone__or">or</span>
        <span class="button button--primary" aria-hidden="true">
          Choose files
        </span>
        <span class="visually-hidden">Choose audio or video files to transcribe</span>
      </label>
    </div>
  );
}
