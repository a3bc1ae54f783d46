import { type TSchema, Type } from '@sinclair/typebox';

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable snake_case code clients can match on.' }),
      message: Type.String(),
    }),
  },
  { description: 'Every error has this shape.' },
);

/** The error responses a route can produce, keyed by status, for the OpenAPI document. */
export function errors<S extends number>(...statuses: S[]): Record<S, typeof ErrorResponse> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorResponse])) as Record<S, typeof ErrorResponse>;
}

export const TaskIdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, description: 'Task id.' }),
});

/**
 * A yes/no query flag: `true`/`false` or `1`/`0` (links like `?download=1` are common). Read it
 * with `isSet`.
 */
export const Flag = (description: string) =>
  Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')], { description });

export function isSet(flag: string | undefined): boolean {
  return flag === 'true' || flag === '1';
}
