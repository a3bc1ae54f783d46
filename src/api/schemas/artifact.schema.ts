import { type Static, Type } from '@sinclair/typebox';
import { ARTIFACT_KINDS, ARTIFACT_STAGES, ARTIFACT_STATUSES } from '../../core/artifact.js';
import { Nullable } from './common.schema.js';

export const ArtifactKindSchema = Type.Union(ARTIFACT_KINDS.map((k) => Type.Literal(k)));

export const SummaryResultSchema = Type.Object({
  summary: Type.String(),
  key_points: Type.Array(Type.String()),
  model: Type.String({ description: 'The model that wrote it.' }),
});

export const ArtifactViewSchema = Type.Object(
  {
    task_id: Type.String(),
    kind: ArtifactKindSchema,
    status: Type.Union(
      ARTIFACT_STATUSES.map((s) => Type.Literal(s)),
      { description: "Its own lifecycle: a failed summary or polish never fails the task's transcript." },
    ),
    stage: Type.Union(
      ARTIFACT_STAGES.map((s) => Type.Literal(s)),
      { description: 'summary: mapping then reducing; polish: polishing.' },
    ),
    progress: Type.Object({
      done_windows: Type.Integer({ description: 'LLM calls finished in the current stage.' }),
      total_windows: Type.Integer(),
      percent: Type.Number(),
    }),
    attempts: Type.Integer(),
    max_attempts: Type.Integer(),
    error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
    created_at: Type.String({ format: 'date-time' }),
    started_at: Nullable(Type.String({ format: 'date-time' })),
    finished_at: Nullable(Type.String({ format: 'date-time' })),
    revision: Nullable(
      Type.Integer({
        description:
          'The transcript revision the result was made from (null until it first succeeds). Asking for it again after an edit makes it again from the newest revision.',
      }),
    ),
    result: Type.Union([SummaryResultSchema, Type.Null()], {
      description:
        'GET /summary once succeeded: the summary. Always null for polish (read the transcript with variant=polished).',
    }),
  },
  { description: 'A post-processing artifact (summary or polish) of a task: a small row.' },
);
export type ArtifactView = Static<typeof ArtifactViewSchema>;
