import { Type, type TProperties, type TSchema, type ObjectOptions } from '@sinclair/typebox';

/** Request bodies reject fields they do not declare. */
export function Body<T extends TProperties>(properties: T, opts: ObjectOptions = {}) {
  return Type.Object(properties, { ...opts, additionalProperties: false });
}

/** Query strings and path params are strict too: a mistyped filter is an error, not silently ignored. */
export const Query = Body;

export const Uuid = Type.String({ format: 'uuid' });
export const IdParams = Body({ id: Uuid });
export const Timestamp = Type.String({ format: 'date-time' });

/** One of a fixed list of strings, e.g. a status. */
export const Literals = <T extends readonly string[]>(values: T, description?: string) =>
  Type.Union(
    values.map((v: T[number]) => Type.Literal(v)),
    description ? { description } : {},
  );

export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

/** Text that is not only blanks. */
export const Text = (max: number, description?: string) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S', ...(description ? { description } : {}) });
/** A field that may be left out, or sent as null to clear it. */
export const Optional = <T extends TSchema>(s: T) => Type.Optional(Nullable(s));

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable error code, e.g. org.department_not_found' }),
      message: Type.String({ description: 'Human-readable message in the request language (Accept-Language)' }),
      field: Type.Optional(Type.String({ description: 'The request field at fault' })),
    }),
  },
  { title: 'Error' },
);

export const iso = (d: Date): string => d.toISOString();
export const isoOrNull = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
