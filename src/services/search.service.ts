import { ForbiddenError, InvalidRequestError } from '../core/errors/index.js';
import { MAX_RANKED_MATCHES, type SearchHit } from '../core/search.js';
import type { User } from '../core/user.js';
import type { TaskStore } from '../store/task.store.js';

/** Longest query accepted: a search box, not a document. */
export const MAX_SEARCH_QUERY_CHARS = 256;
/** Hits per page. */
export const MAX_SEARCH_RESULTS = 100;
/** Deepest page: each page re-ranks everything before it, so deep offsets cost more. */
export const MAX_SEARCH_OFFSET = 10_000;
// Every page must be cut from the same ranked candidates (see MAX_RANKED_MATCHES), the deepest included.
if (MAX_SEARCH_OFFSET + MAX_SEARCH_RESULTS + 1 > MAX_RANKED_MATCHES) throw new Error('MAX_RANKED_MATCHES is too small');

export interface SearchRequest {
  q: string;
  limit: number;
  offset: number;
  /** Admins: everybody's transcripts. */
  all: boolean;
}

/**
 * Searches the caller's transcripts (an admin's own too, unless `all`). One hit more than asked is
 * read to tell whether another page follows.
 */
export async function searchTranscripts(
  store: TaskStore,
  user: User,
  req: SearchRequest,
): Promise<{ hits: SearchHit[]; nextOffset: number | null }> {
  if (req.q.trim() === '') throw new InvalidRequestError('q must contain a word to search for');
  if (req.all && user.role !== 'admin') throw new ForbiddenError('all=true is for admins');
  const limit = Math.min(Math.max(1, Math.floor(req.limit)), MAX_SEARCH_RESULTS);
  const scope = req.all ? ({ admin: true } as const) : { userId: user.id };
  const hits = await store.searchTranscripts(scope, req.q, { limit: limit + 1, offset: req.offset });
  const more = hits.length > limit;
  return { hits: hits.slice(0, limit), nextOffset: more ? req.offset + limit : null };
}
