import type { TaskStatus } from '../api/types';
import { homeHref, type ListFilters } from '../lib/route';

interface Props {
  status: TaskStatus | undefined;
  page: number;
  pageSize: number;
  total: number;
  filters?: ListFilters;
}

export function Pager({ status, page, pageSize, total, filters = {} }: Props) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  if (pages <= 1 && page <= 1) return null;
  return (
    <nav class="pager" aria-label="Task pages">
      {page > 1 ? (
        <a class="button" href={homeHref(status, page - 1, filters)} rel="prev" data-testid="page-prev">
          Newer
        </a>
      ) : (
        <span />
      )}
      <span data-testid="page-info">
        Page {page} of {pages}
      </span>
      {page < pages ? (
        <a class="button" href={homeHref(status, page + 1, filters)} rel="next" data-testid="page-next">
          Older
        </a>
      ) : (
        <span />
      )}
    </nav>
  );
}
