import { type Static, Type } from '@sinclair/typebox';
import { MAX_SEARCH_OFFSET, MAX_SEARCH_QUERY_CHARS, MAX_SEARCH_RESULTS } from '../../services/search.service.js';
import { Flag, Nullable } from './common.schema.js';

export const SearchQuerySchema = Type.Object({
  q: Type.String({
    minLength: 1,
    maxLength: MAX_SEARCH_QUERY_CHARS,
    description:
      'Words (all must occur in a segment) and "quoted phrases" (words adjacent, in order). Other punctuation separates words.',
  }),
  limit: Type.Integer({ minimum: 1, maximum: MAX_SEARCH_RESULTS, default: 20 }),
  offset: Type.Integer({ minimum: 0, maximum: MAX_SEARCH_OFFSET, default: 0 }),
  all: Type.Optional(Flag("Admins only: search everybody's transcripts, not only their own.")),
});
export type SearchQuery = Static<typeof SearchQuerySchema>;

export const SearchHitSchema = Type.Object({
  task_id: Type.String(),
  source_name: Type.String(),
  segment_index: Type.Integer({ description: 'Index of the segment in the transcript JSON.' }),
  start: Type.Number({ description: 'Segment start, seconds.' }),
  end: Type.Number({ description: 'Segment end, seconds.' }),
  snippet: Type.String({ description: 'Plain text; each matched word is between « and ».' }),
});

export const SearchResultSchema = Type.Object({
  hits: Type.Array(SearchHitSchema, { description: 'Best match first; ties by task id, then segment.' }),
  next_offset: Nullable(Type.Integer({ description: 'Offset of the next page; null on the last one.' })),
});
export type SearchResult = Static<typeof SearchResultSchema>;
