import { useEffect, useRef, useState } from 'preact/hooks';
import type { TaskStatus } from '../api/types';
import { homeHref, LIST_SORTS, type ListFilters, type ListOrder, type ListSort } from '../lib/route';

/** Typing pauses this long before the list is asked again. */
const TYPING_DEBOUNCE_MS = 300;

const SORT_TEXT: Record<ListSort, string> = {
  created: 'Date added',
  title: 'Name',
  duration: 'Length',
  words: 'Words',
  status: 'Status',
};

interface Props {
  status: TaskStatus | undefined;
  filters: ListFilters;
}

/**
 * Name filter, date range, sort and order of the task list. Every change goes into the URL
 * (`#/?q=&from=&to=&sort=&order=`, back to page 1), so a reload or a bookmark keeps the view; typing
 * replaces the history entry instead of adding one per pause.
 */
export function FilterBar({ status, filters }: Props) {
  const [text, setText] = useState(filters.q ?? '');
  const input = useRef<HTMLInputElement>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  // Back/forward or a link changed the filter: show it, unless the user is typing in the box.
  useEffect(() => {
    if (document.activeElement !== input.current) setText(filters.q ?? '');
  }, [filters.q]);
  useEffect(() => () => clearTimeout(timer.current ?? undefined), []);

  const go = (next: ListFilters, replace = false) => {
    const href = homeHref(status, 1, { ...filters, ...next });
    if (href === location.hash || (href === '#/' && location.hash === '')) return;
    if (replace) location.replace(href);
    else location.hash = href;
  };

  const onType = (value: string) => {
    setText(value);
    clearTimeout(timer.current ?? undefined);
    timer.current = setTimeout(() => go({ q: value.trim() || undefined }, true), TYPING_DEBOUNCE_MS);
  };

  const sort = filters.sort ?? 'created';
  const order: ListOrder = filters.order ?? (sort === 'created' ? 'desc' : 'asc');
  const active = Boolean(filters.q || filters.from || filters.to || filters.sort || filters.order);
  return (
    <search class="filter-bar" aria-label="Filter and sort tasks" data-testid="filter-bar">
      <div class="field filter-bar__text">
        <label for="filter-text">Name contains</label>
        <input
          id="filter-text"
          ref={input}
          type="search"
          value={text}
          autoComplete="off"
          onInput={(e) => onType(e.currentTarget.value)}
          data-testid="filter-text"
        />
      </div>
      <div class="field">
        <label for="filter-from">Added from</label>
        <input
          id="filter-from"
          type="date"
          value={filters.from ?? ''}
          max={filters.to}
          onChange={(e) => go({ from: e.currentTarget.value || undefined })}
          data-testid="filter-from"
        />
      </div>
      <div class="field">
        <label for="filter-to">to</label>
        <input
          id="filter-to"
          type="date"
          value={filters.to ?? ''}
          min={filters.from}
          onChange={(e) => go({ to: e.currentTarget.value || undefined })}
          data-testid="filter-to"
        />
      </div>
      <div class="field">
        <label for="filter-sort">Sort by</label>
        <select
          id="filter-sort"
          value={sort}
          onChange={(e) => {
            const value = LIST_SORTS.find((s) => s === e.currentTarget.value);
            // Names A→Z, shortest first, …; newest first stays the default (and leaves the URL clean).
            if (value === 'created' || value === undefined) go({ sort: undefined, order: undefined });
            else go({ sort: value, order: 'asc' });
          }}
          data-testid="filter-sort"
        >
          {LIST_SORTS.map((s) => (
            <option key={s} value={s}>
              {SORT_TEXT[s]}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="filter-order">Order</label>
        <select
          id="filter-order"
          value={order}
          onChange={(e) => go({ order: e.currentTarget.value === 'asc' ? 'asc' : 'desc' })}
          data-testid="filter-order"
        >
          <option value="asc">{sort === 'created' ? 'Oldest first' : 'Ascending'}</option>
          <option value="desc">{sort === 'created' ? 'Newest first' : 'Descending'}</option>
        </select>
      </div>
      {active && (
        <a class="button button--quiet filter-bar__clear" href={homeHref(status, 1)} data-testid="filter-clear">
          Clear filters
        </a>
      )}
    </search>
  );
}
