import { type Static, Type } from '@sinclair/typebox';
import { EDIT_OP_NAMES, MAX_EDIT_OPERATIONS } from '../../core/transcript-edit.js';
import { REVISION_KINDS } from '../../core/transcript-revision.js';
import { Nullable } from './common.schema.js';

/**
 * Operations are only shaped here (objects with an `op`); parseEditOps checks each one, so every
 * problem with an operation, its kind included, is one 400 `invalid_edit` naming the operation's
 * index rather than a schema message.
 */
const EditOpSchema = Type.Object(
  { op: Type.String({ description: `One of ${EDIT_OP_NAMES.join(', ')}.` }) },
  {
    additionalProperties: true,
    description:
      '`{op:"replace_text",segment,text}`, `{op:"split",segment,word}`, `{op:"merge",segment}`, ' +
      '`{op:"set_speaker",segments:[...],speaker:string|null}`, `{op:"rename_speaker",from,to}`.',
  },
);

export const TranscriptEditBodySchema = Type.Object({
  operations: Type.Array(EditOpSchema, {
    description: `1 to ${MAX_EDIT_OPERATIONS} operations, applied in order, all or none.`,
  }),
});

export const TranscriptRevertBodySchema = Type.Object({
  revision: Type.Integer({ minimum: 0, description: 'The revision whose content becomes the newest revision.' }),
});

export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      description: 'The ETag the caller read ("r<N>"); 412 precondition_failed when it is no longer the newest.',
    }),
  ),
  prefer: Type.Optional(
    Type.String({ description: '`return=minimal` (RFC 7240): answer 204 with the new ETag, without the transcript.' }),
  ),
});

const RevisionSchema = Type.Object({
  revision: Type.Integer({ minimum: 0 }),
  kind: Type.Union(REVISION_KINDS.map((k) => Type.Literal(k))),
  created_at: Type.String({ format: 'date-time' }),
  user_id: Nullable(Type.String()),
  user_name: Nullable(Type.String()),
  operations: Type.Array(Type.Object({ op: Type.String() }, { additionalProperties: true })),
  reverted_to: Nullable(Type.Integer({ minimum: 0 })),
});

export const TranscriptRevisionsSchema = Type.Object({
  current: Type.Integer({ minimum: 0, description: 'The newest revision (its ETag is "r<current>").' }),
  revisions: Type.Array(RevisionSchema, { description: 'Oldest first; at most the newest 1000.' }),
});
export type TranscriptRevisionsView = Static<typeof TranscriptRevisionsSchema>;
