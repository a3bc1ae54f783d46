interface Props {
  /** 0..100, or null for an indeterminate bar (waiting for the first measurement). */
  value: number | null;
  label: string;
  testId?: string;
  tone?: 'normal' | 'error' | 'done';
}

/** A native <progress> element: announced as a progress bar and styled for both themes. */
export function ProgressBar({ value, label, testId, tone = 'normal' }: Props) {
  const clamped = value === null ? null : Math.min(100, Math.max(0, value));
  return (
    <progress
      class={`progress progress--${tone}`}
      max={100}
      value={clamped ?? undefined}
      aria-label={label}
      data-testid={testId}
      data-value={clamped === null ? '' : clamped.toFixed(1)}
    />
  );
}
