import { isLanguageCode, languageName } from '../api/capabilities';
import { ARTIFACT_KINDS, type ArtifactKind, OUTPUT_FORMATS, type OutputFormat } from '../api/types';
import type { UploadOptions } from '../api/upload';

interface Props {
  value: UploadOptions;
  /** The codes the server's engine does; null: it takes any code, so the field is free text. */
  languages: readonly string[] | null;
  /** What the server's LLM can make (capabilities' `postprocessing`); nothing is offered without one. */
  postprocessing: readonly ArtifactKind[];
  onChange(value: UploadOptions): void;
}

const FORMAT_LABELS: Record<OutputFormat, string> = {
  json: 'JSON (words and times)',
  srt: 'SRT subtitles',
  vtt: 'WebVTT subtitles',
  txt: 'Plain text',
};

const ARTIFACT_LABELS: Record<ArtifactKind, string> = {
  summary: 'Summary',
  polish: 'Clean-up (polish)',
};

/** The language problem to show, or null when `language` can be sent. */
export function languageProblem(language: string, languages: readonly string[] | null): string | null {
  if (languages !== null) return null; // a choice among the server's own codes
  if (language === '' || isLanguageCode(language)) return null;
  return 'Enter a language code such as en, de or pt-BR.';
}

export function UploadOptionsForm({ value, languages, postprocessing, onChange }: Props) {
  const toggle = (format: OutputFormat, on: boolean) => {
    const formats = on ? [...value.formats, format] : value.formats.filter((f) => f !== format);
    onChange({ ...value, formats: OUTPUT_FORMATS.filter((f) => formats.includes(f)) });
  };
  const problem = languageProblem(value.language, languages);
  return (
    <div class="upload-options">
      <div class="field">
        <label for="language-input">Language</label>
        {languages === null ? (
          <input
            id="language-input"
            value={value.language}
            onInput={(e) => onChange({ ...value, language: e.currentTarget.value.trim() })}
            placeholder="en"
            size={6}
            autoComplete="off"
            spellcheck={false}
            aria-invalid={problem ? true : undefined}
            aria-describedby="language-hint"
            data-testid="language-input"
          />
        ) : (
          <select
            id="language-input"
            value={value.language}
            onChange={(e) => onChange({ ...value, language: e.currentTarget.value })}
            aria-describedby="language-hint"
            data-testid="language-input"
          >
            {languages.map((code) => (
              <option key={code} value={code}>
                {languageName(code)} ({code})
              </option>
            ))}
          </select>
        )}
        <span id="language-hint" class={problem ? 'error-text' : 'hint'} data-testid="language-hint">
          {problem ??
            (languages === null
              ? 'Language code, such as en'
              : languages.length === 1
                ? `This server transcribes ${languageName(languages[0] ?? '')} only.`
                : 'The languages this server transcribes.')}
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
      {postprocessing.length > 0 && (
        <fieldset class="field formats">
          <legend>After transcribing</legend>
          {ARTIFACT_KINDS.filter((kind) => postprocessing.includes(kind)).map((kind) => (
            <label key={kind} class="check">
              <input
                type="checkbox"
                checked={value[kind]}
                onChange={(e) => onChange({ ...value, [kind]: e.currentTarget.checked })}
                data-testid={`option-${kind}`}
              />
              {ARTIFACT_LABELS[kind]}
            </label>
          ))}
          <span class="hint">Made by the language model; either can also be asked for later.</span>
        </fieldset>
      )}
    </div>
  );
}
