interface Props {
  query: string;
  onQuery(query: string): void;
  matchCount: number;
  /** Position of the current match, -1 for none. */
  current: number;
  onStep(delta: 1 | -1): void;
}

/** Find in the transcript. Enter / Shift+Enter step through matches; the count is announced. */
export function TranscriptSearch({ query, onQuery, matchCount, current, onStep }: Props) {
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      onStep(e.shiftKey ? -1 : 1);
    } else if (e.key === 'Escape' && query) {
      e.preventDefault();
      onQuery('');
    }
  };
  const status =
    query.trim() === ''
      ? ''
      : matchCount === 0
        ? 'No matches'
        : `${current >= 0 ? `${current + 1} of ` : ''}${matchCount} match${matchCount === 1 ? '' : 'es'}`;
  return (
    <search class="transcript-search">
      <label for="transcript-search-input" class="visually-hidden">
        Search the transcript
      </label>
      <input
        id="transcript-search-input"
        type="search"
        placeholder="Search the transcript"
        value={query}
        onInput={(e) => onQuery(e.currentTarget.value)}
        onKeyDown={onKeyDown}
        aria-describedby="transcript-search-status"
        data-testid="transcript-search"
      />
      <output id="transcript-search-status" class="hint" aria-live="polite" data-testid="transcript-search-status">
        {status}
      </output>
      <button
        type="button"
        class="button button--quiet"
        onClick={() => onStep(-1)}
        disabled={matchCount === 0}
        aria-label="Previous match"
      >
        ↑
      </button>
      <button
        type="button"
        class="button button--quiet"
        onClick={() => onStep(1)}
        disabled={matchCount === 0}
        aria-label="Next match"
      >
        ↓
      </button>
    </search>
  );
}
