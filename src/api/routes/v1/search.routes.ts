import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { searchTranscripts } from '../../../services/search.service.js';
import type { ApiContext } from '../../context.js';
import { requireUser } from '../../plugins/auth.js';
import { errors, isSet } from '../../schemas/common.schema.js';
import { SearchQuerySchema, type SearchResult, SearchResultSchema } from '../../schemas/search.schema.js';

export function searchRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/search',
      {
        schema: {
          summary: "Search the caller's transcripts, one hit per segment",
          description:
            'Words must all occur in a segment; "quoted phrases" must occur as written. Best matches first. ' +
            'Only transcripts of succeeded tasks are searched; a deleted task is no longer found. ' +
            'A query matching more than 10,101 segments is ranked among the first 10,101 the index finds ' +
            '(storage order, roughly oldest first); every page the API serves (offset ≤ 10,000) comes from them.',
          querystring: SearchQuerySchema,
          response: { 200: SearchResultSchema, ...errors(400, 401, 403) },
        },
      },
      async (request): Promise<SearchResult> => {
        const { q, limit, offset, all } = request.query;
        const page = await searchTranscripts(ctx.store, requireUser(request), { q, limit, offset, all: isSet(all) });
        return {
          hits: page.hits.map((h) => ({
            task_id: h.taskId,
            source_name: h.sourceName,
            segment_index: h.segmentIndex,
            start: h.start,
            end: h.end,
            snippet: h.snippet,
          })),
          next_offset: page.nextOffset,
        };
      },
    );
  };
}
