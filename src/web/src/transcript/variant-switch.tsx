import { TRANSCRIPT_VARIANTS, type TranscriptVariant } from '../api/types';

const LABEL: Record<TranscriptVariant, string> = { machine: 'Machine', polished: 'Polished' };

interface Props {
  value: TranscriptVariant;
  onChange(value: TranscriptVariant): void;
}

/** Machine | Polished: which transcript the page shows, copies and downloads. */
export function VariantSwitch({ value, onChange }: Props) {
  return (
    <fieldset class="variant-switch" data-testid="variant-switch">
      <legend class="visually-hidden">Transcript version</legend>
      {TRANSCRIPT_VARIANTS.map((variant) => (
        <button
          key={variant}
          type="button"
          class="variant-switch__option"
          aria-pressed={value === variant}
          onClick={() => onChange(variant)}
          data-testid={`variant-${variant}`}
        >
          {LABEL[variant]}
        </button>
      ))}
    </fieldset>
  );
}
