import { type Static, type TInteger, Type } from '@sinclair/typebox';
import { CHUNK_SECONDS_RANGE } from '../../config/config.js';
import {
  SORT_ORDERS,
  TASK_SORTS,
  TASK_STAGES,
  TASK_STATUSES,
  type TaskStatus,
  TITLE_MAX_CHARS,
} from '../../core/task.js';
import { OUTPUT_FORMATS, TRANSCRIPT_VARIANTS } from '../../core/transcript.js';
import { Flag, Nullable } from './common.schema.js';

export const TaskStatusSchema = Type.Union(
  TASK_STATUSES.map((s) => Type.Literal(s)),
  { description: 'Lifecycle state.' },
);
export const TaskStageSchema = Type.Union(
  TASK_STAGES.map((s) => Type.Literal(s)),
  { description: 'Where a processing task is in the pipeline (shown to users).' },
);
export const OutputFormatSchema = Type.Union(OUTPUT_FORMATS.map((f) => Type.Literal(f)));

export const TaskViewSchema = Type.Object(
  {
    id: Type.String(),
    status: TaskStatusSchema,
    stage: TaskStageSchema,
    source_name: Type.String(),
    title: Nullable(Type.String({ description: "The user's own name for the recording; null shows source_name." })),
    media_bytes: Type.Integer(),
    duration_seconds: Nullable(Type.Number({ description: 'Recording duration; null until probed.' })),
    word_count: Nullable(
      Type.Integer({ description: 'Words in the transcript (kept up to date by edits); null until there is one.' }),
    ),
    priority: Type.Integer(),
    options: Type.Object({
      language: Type.String(),
      formats: Type.Array(OutputFormatSchema),
      max_chunk_seconds: Type.Optional(Type.Number()),
      summary: Type.Optional(Type.Boolean({ description: 'A summary is made once the transcript is done.' })),
      polish: Type.Optional(
        Type.Boolean({ description: 'A polished transcript is made once the transcript is done.' }),
      ),
    }),
    progress: Type.Object({
      percent: Type.Number(),
      done_seconds: Type.Number(),
      total_seconds: Nullable(Type.Number()),
      speed: Nullable(Type.Number({ description: 'Audio seconds per wall-clock second on this attempt.' })),
      eta_seconds: Nullable(Type.Integer()),
    }),
    attempts: Type.Integer(),
    max_attempts: Type.Integer(),
    error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
    created_at: Type.String({ format: 'date-time' }),
    started_at: Nullable(Type.String({ format: 'date-time' })),
    finished_at: Nullable(Type.String({ format: 'date-time' })),
    elapsed_seconds: Nullable(Type.Number({ description: 'Since the current attempt started; null while queued.' })),
    callback_url: Nullable(Type.String()),
  },
  { description: 'A transcription task (a small row; never the transcript).' },
);
export type TaskView = Static<typeof TaskViewSchema>;

const language = Type.String({ pattern: '^(auto|[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*)$', maxLength: 20 });
const priority = Type.Integer({ minimum: -10, maximum: 10, default: 0 });
/** Also the bounds GET /v1/capabilities reports. */
export const MaxChunkSecondsSchema = Type.Number({
  minimum: CHUNK_SECONDS_RANGE.min,
  maximum: CHUNK_SECONDS_RANGE.max,
});
const maxChunkSeconds = MaxChunkSecondsSchema;
const callbackUrl = Type.String({ maxLength: 2048, description: 'POSTed {id,status} when the task ends.' });
/** A title as sent: trimmed by the server; empty (or null, where allowed) means none. */
const title = Type.String({
  maxLength: TITLE_MAX_CHARS,
  description: `The user's own name for the recording (at most ${TITLE_MAX_CHARS} characters, trimmed; empty: none).`,
});
const summary = Type.Boolean({
  description: 'Summarise the transcript with the configured LLM once it is done (422 llm_not_configured without one).',
});
const polish = Type.Boolean({
  description:
    'Polish the transcript (casing, punctuation, fillers) with the configured LLM once it is done; read it with `variant=polished` (422 llm_not_configured without one).',
});

/** The task options, shared by the JSON body and the validated form of multipart fields. */
const optionFields = {
  language: Type.Optional(language),
  formats: Type.Optional(Type.Array(OutputFormatSchema, { minItems: 1, maxItems: 4, uniqueItems: true })),
  priority: Type.Optional(priority),
  max_chunk_seconds: Type.Optional(maxChunkSeconds),
  callback_url: Type.Optional(callbackUrl),
  summary: Type.Optional(summary),
  polish: Type.Optional(polish),
  title: Type.Optional(title),
};

/** Task options as sent in a JSON body. */
export const CreateTaskJsonSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 4096, description: 'http(s) URL of the recording.' }),
    ...optionFields,
  },
  { additionalProperties: false },
);
export type CreateTaskJson = Static<typeof CreateTaskJsonSchema>;

/** The same options as multipart text fields (before the `file` part); `formats` is a comma list. */
export const CreateTaskMultipartSchema = Type.Object({
  file: Type.String({ format: 'binary', description: 'The recording (any format ffmpeg reads).' }),
  language: Type.Optional(language),
  formats: Type.Optional(Type.String({ description: 'Comma-separated: json,srt,vtt,txt', maxLength: 64 })),
  priority: Type.Optional(Type.Integer({ minimum: -10, maximum: 10 })),
  max_chunk_seconds: Type.Optional(maxChunkSeconds),
  callback_url: Type.Optional(callbackUrl),
  summary: Type.Optional(Type.Boolean()),
  polish: Type.Optional(Type.Boolean()),
  title: Type.Optional(title),
});

/** Options validated once, whichever way they came. */
export const TaskOptionsInputSchema = Type.Object(optionFields, { additionalProperties: false });
export type TaskOptionsInput = Static<typeof TaskOptionsInputSchema>;

export const CreateTaskQuerySchema = Type.Object({
  wait: Type.Optional(Flag('Wait for small inputs to finish and return 200 {task, transcript}.')),
});

/** An ISO 8601 date (UTC midnight) or date-time with its zone (a zoneless time would be the server's). */
const isoInstant = (description: string) =>
  Type.String({
    pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2}))?$',
    maxLength: 40,
    description,
  });

export const ListTasksQuerySchema = Type.Object({
  status: Type.Optional(TaskStatusSchema),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
  q: Type.Optional(
    Type.String({
      maxLength: 200,
      description: 'Case-insensitive substring of the title or the source file name (taken literally).',
    }),
  ),
  from: Type.Optional(isoInstant('Created at or after (ISO date or date-time).')),
  to: Type.Optional(isoInstant('Created before (ISO date or date-time; exclusive).')),
  sort: Type.Union(
    TASK_SORTS.map((s) => Type.Literal(s)),
    {
      default: 'created',
      description:
        '`title` falls back to the source name; `duration` and `words` put tasks without one last; `status` in lifecycle order, then by creation.',
    },
  ),
  order: Type.Union(
    SORT_ORDERS.map((o) => Type.Literal(o)),
    { default: 'desc' },
  ),
});

/** Every status is present, zero or not. */
export const TaskCountsSchema = Type.Object(
  Object.fromEntries(TASK_STATUSES.map((s) => [s, Type.Integer()])) as Record<TaskStatus, TInteger>,
);

export const TaskListSchema = Type.Object({
  tasks: Type.Array(TaskViewSchema),
  total: Type.Integer({ description: 'Tasks matching the filter.' }),
  /** Tasks by status matching q, from and to (the status filter does not apply: the UI's tabs). */
  counts: TaskCountsSchema,
});

export const PatchTaskSchema = Type.Object({ title: Nullable(title) }, { additionalProperties: false });

/** Most tasks one bulk request may name: a page of the list. */
export const BULK_MAX_IDS = 100;
const TaskIds = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
  minItems: 1,
  maxItems: BULK_MAX_IDS,
  uniqueItems: true,
  description: `Task ids (1 to ${BULK_MAX_IDS}, no repeats).`,
});

export const BulkDeleteSchema = Type.Object({ ids: TaskIds }, { additionalProperties: false });
export const BulkDeleteResultSchema = Type.Object({
  deleted: Type.Array(Type.String()),
  not_found: Type.Array(Type.String(), { description: 'Missing, or not visible to the caller.' }),
});

export const ExportSchema = Type.Object({ ids: TaskIds, format: OutputFormatSchema }, { additionalProperties: false });

export const TranscriptQuerySchema = Type.Object({
  format: Type.Optional(OutputFormatSchema),
  variant: Type.Optional(
    Type.Union(
      TRANSCRIPT_VARIANTS.map((v) => Type.Literal(v)),
      {
        description:
          "`machine` (default): the engine's transcript. `polished`: the LLM clean-up, same segments and timings (409 not_ready until the polish succeeded).",
      },
    ),
  ),
  partial: Type.Optional(Flag('While running: the contiguous finished prefix.')),
  revision: Type.Optional(
    Type.Integer({ minimum: 0, description: 'An older revision (0: the machine transcript); default the newest.' }),
  ),
  download: Type.Optional(Flag('Adds Content-Disposition: attachment.')),
  max_chars_per_line: Type.Optional(Type.Integer({ minimum: 10, maximum: 200 })),
  max_lines: Type.Optional(Type.Integer({ minimum: 1, maximum: 4 })),
  max_cue_seconds: Type.Optional(Type.Number({ minimum: 1, maximum: 60 })),
});

const WordSchema = Type.Object({
  word: Type.String(),
  start: Type.Number(),
  end: Type.Number(),
  confidence: Type.Number(),
});
export const SegmentSchema = Type.Object({
  start: Type.Number(),
  end: Type.Number(),
  text: Type.String(),
  words: Type.Array(WordSchema),
  speaker: Type.Optional(Type.String()),
});
export const TranscriptSchema = Type.Object({
  language: Type.String(),
  duration: Type.Number(),
  partial: Type.Optional(Type.Boolean()),
  text: Type.String(),
  segments: Type.Array(SegmentSchema),
});

export const WaitResultSchema = Type.Object({
  task: TaskViewSchema,
  transcript: Nullable(TranscriptSchema),
});
