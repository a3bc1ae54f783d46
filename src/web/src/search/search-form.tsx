import { useEffect, useState } from 'preact/hooks';
import { searchHref } from '../lib/route';

interface Props {
  /** The query shown (the current search's, on the results page). */
  q?: string;
  /** The results page's form takes focus; the one on the task page does not steal it. */
  autoFocus?: boolean;
}

/** One box to search every transcript; submitting opens `#/search?q=`. */
export function SearchForm({ q = '', autoFocus = false }: Props) {
  const [text, setText] = useState(q);
  useEffect(() => setText(q), [q]);
  return (
    <search class="search-form" aria-label="Search all transcripts">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const query = text.trim();
          if (query) location.hash = searchHref(query);
        }}
        data-testid="search-form"
      >
        <label for="search-input">Search all transcripts</label>
        <div class="search-form__row">
          <input
            id="search-input"
            type="search"
            value={text}
            placeholder={'words or a "quoted phrase"'}
            autoComplete="off"
            // biome-ignore lint/a11y/noAutofocus: the results page is where the search is edited
            autoFocus={autoFocus}
            onInput={(e) => setText(e.currentTarget.value)}
            data-testid="search-input"
          />
          <button type="submit" class="button button--primary" data-testid="search-submit">
            Search
          </button>
        </div>
      </form>
    </search>
  );
}
