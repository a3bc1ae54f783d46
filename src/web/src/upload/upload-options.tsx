import { OUTPUT_FORMATS, type OutputFormat } from '../api/types';
import type { UploadOptions } from '../api/upload';

interface Props {
  value: UploadOptions;
  onChange(value: UploadOptions): void;
}

/** Common codes offered as suggestions; the server decides which its engine supports. */
const LANGUAGES: [string, string][] = [
  ['en', 'English'],
  ['de', 'German'],
  ['es', 'Spanish'],
  ['fr', 'French'],
  ['it', 'Italian'],
  ['nl', 'Dutch'],
  ['pt', 'Portuguese'],
  ['ru', 'Russian'],
  ['zh', 'Chinese'],
  ['ja', 'Japanese'],
];

const FORMAT_LABELS: Record<OutputFormat, string> = {
  json: 'JSON (words and times)',
  srt: 'SRT subtitles',
  vtt: 'WebVTT subtitles',
  txt: 'Plain text',
};

export function UploadOptionsForm({ value, onChange }: Props) {
  const toggle = (format: OutputFormat, on: boolean) => {
    const formats = on ? [...value.formats, format] : value.formats.filter((f) => f !== format);
    onChange({ ...value, formats: OUTPUT_FORMATS.filter((f) => formats.includes(f)) });
  };
  return (
    <div class="upload-options">
      <div class="field">
        <label for="language-input">Language</label>
        <input
          id="language-input"
          list="language-list"
          value={value.language}
          onInput={(e) => onChange({ ...value, language: e.currentTarget.value.trim() })}
          placeholder="en"
          size={6}
          autoComplete="off"
          spellcheck={false}
          aria-describedby="language-hint"
          data-testid="language-input"
        />
        <datalist id="language-list">
          {LANGUAGES.map(([code, name]) => (
            <option key={code} value={code}>
              {name}
            </option>
          ))}
        </datalist>
        <span id="language-hint" class="hint">
          Language code, such as en
        </span>
      </div>
      <fieldset class="field formats">
        <legend>Prepare these formats</legend>
        {OUTPUT_FORMATS.map((format) => (
          <label key={format} class="check">
            <input
              type="checkbox"
              checked={value.formats.includes(format)}
              onChange={(e) => toggle(format, e.currentTarget.checked)}
              data-testid={`format-${format}`}
            />
            {FORMAT_LABELS[format]}
          </label>
        ))}
        <span class="hint">Every format can still be downloaded later.</span>
      </fieldset>
    </div>
  );
}
