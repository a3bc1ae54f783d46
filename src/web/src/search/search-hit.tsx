import type { SearchHit, Task } from '../api/types';
import { formatClock } from '../lib/format';
import { taskHref } from '../lib/route';
import { snippetParts } from '../lib/snippet';

interface Props {
  hit: SearchHit;
  /** The hit's task, when it was read (for its title); the file name shows until then. */
  task: Task | undefined;
  /** The words to highlight on the transcript page. */
  phrase: string;
}

/** The transcript page at the hit's moment, with the phrase highlighted there. */
export function hitHref(hit: SearchHit, phrase: string): string {
  return taskHref(hit.task_id, { at: hit.start, highlight: phrase });
}

/**
 * One hit: where (title or file name, and time) and the snippet, its matched words as <mark>. The
 * snippet is the transcript's text, so it only ever becomes text nodes.
 */
export function SearchHitItem({ hit, task, phrase }: Props) {
  const title = task?.title?.trim() || hit.source_name;
  return (
    <li class="search-hit" data-testid="search-hit" data-task-id={hit.task_id} data-start={hit.start}>
      <a class="search-hit__link" href={hitHref(hit, phrase)} data-testid="search-hit-link">
        <span class="search-hit__title" data-testid="search-hit-title">
          {title}
        </span>{' '}
        <span class="search-hit__time numeric" data-testid="search-hit-time">
          <span class="visually-hidden">at </span>
          {formatClock(hit.start)}
        </span>
      </a>
      <p class="search-hit__snippet" data-testid="search-hit-snippet">
        {snippetParts(hit.snippet).map((part, i) => (part.matched ? <mark key={i}>{part.text}</mark> : part.text))}
      </p>
      {title !== hit.source_name && <p class="hint search-hit__file">{hit.source_name}</p>}
    </li>
  );
}
