import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../api/client';
import { describeError } from '../api/errors';
import type { SearchHit, Task } from '../api/types';
import { useAnnounce } from '../components/announcer';
import { highlightText } from '../lib/snippet';
import { SearchForm } from '../search/search-form';
import { SearchHitItem } from '../search/search-hit';

/** Hits asked for at a time ("More results" asks for the next ones). */
export const SEARCH_PAGE_SIZE = 20;

interface Props {
  api: Api;
  q: string;
}

/**
 * `#/search?q=`: hits for `q` across every transcript, best first, each a link to its moment in the
 * transcript. Titles come from the hits' tasks, read once each.
 */
export function SearchPage({ api, q }: Props) {
  const announce = useAnnounce();
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tasks, setTasks] = useState<ReadonlyMap<string, Task>>(new Map());
  const asked = useRef(new Set<string>());
  /** Bumped per query, so an answer for an older query is dropped. */
  const generation = useRef(0);
  const query = q.trim();

  const load = async (offset: number) => {
    const mine = generation.current;
    setLoading(true);
    setError(null);
    try {
      const page = await api.search(query, SEARCH_PAGE_SIZE, offset);
      if (mine !== generation.current) return;
      setHits((prev) => (offset === 0 || !prev ? page.hits : [...prev, ...page.hits]));
      setNext(page.next_offset);
      if (offset === 0) {
        announce(page.hits.length === 0 ? 'No results.' : `${page.hits.length}${page.next_offset ? '+' : ''} results.`);
      }
      readTitles(page.hits);
    } catch (err) {
      if (mine === generation.current) setError(describeError(err));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  };

  const readTitles = (found: SearchHit[]) => {
    const ids = [...new Set(found.map((h) => h.task_id))].filter((id) => !asked.current.has(id));
    for (const id of ids) {
      asked.current.add(id);
      api.getTask(id).then(
        (task) => setTasks((prev) => new Map(prev).set(id, task)),
        () => {}, // the file name stays; the hit itself still opens the transcript
      );
    }
  };

  useEffect(() => {
    generation.current += 1;
    setHits(null);
    setNext(null);
    if (query) void load(0);
    // `load` reads the current query; the effect runs once per query.
  }, [api, query]);

  const phrase = highlightText(query);
  return (
    <>
      <h1 class="visually-hidden">Search</h1>
      <section class="card search" aria-labelledby="search-title" aria-busy={loading}>
        <h2 id="search-title">Search transcripts</h2>
        <SearchForm q={query} autoFocus={!query} />
        {!query && <p class="hint">Type words, or a "quoted phrase" to find words next to each other.</p>}
        {error && (
          <p class="error-text" role="alert" data-testid="search-error">
            {error}{' '}
            <button type="button" class="button button--quiet" onClick={() => load(hits?.length ?? 0)}>
              Try again
            </button>
          </p>
        )}
        {hits && hits.length === 0 && (
          <p class="empty" data-testid="search-empty">
            Nothing found for “{query}”.
          </p>
        )}
        {hits && hits.length > 0 && (
          <ol class="search-hits" data-testid="search-hits" aria-label={`Results for ${query}`}>
            {hits.map((hit) => (
              <SearchHitItem
                key={`${hit.task_id}:${hit.segment_index}`}
                hit={hit}
                task={tasks.get(hit.task_id)}
                phrase={phrase}
              />
            ))}
          </ol>
        )}
        {next !== null && (
          <button
            type="button"
            class="button search__more"
            disabled={loading}
            onClick={() => load(next)}
            data-testid="search-more"
          >
            {loading ? 'Loading…' : 'More results'}
          </button>
        )}
      </section>
    </>
  );
}
