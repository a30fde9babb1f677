import { Type, type TSchema, type SchemaOptions } from '@sinclair/typebox';
import { mask, type PiiKind } from './mask.ts';

/** Marks a field as personal data; responses, audit entries and events mask it. */
export const PII_KEYWORD = 'x-pii';

export function Pii(kind: PiiKind, opts: SchemaOptions = {}) {
  return Type.String({ ...opts, [PII_KEYWORD]: kind, description: `${opts.description ?? ''} （个人信息，脱敏显示：${kind}）`.trim() });
}

/** Where the personal fields of a schema are: paths like ['data', '*', 'phone'] ('*' every array item, '**' every value of a record). */
type Plan = Array<{ path: string[]; kind: PiiKind }>;

const planCache = new WeakMap<object, Plan>();

export function maskPlan(schema: TSchema): Plan {
  const cached = planCache.get(schema);
  if (cached) return cached;
  const plan: Plan = [];
  const walk = (s: TSchema | undefined, path: string[], seen: Set<object>) => {
    if (!s || typeof s !== 'object' || seen.has(s)) return;
    const next = new Set(seen).add(s);
    const kind = (s as Record<string, unknown>)[PII_KEYWORD] as PiiKind | undefined;
    if (kind) plan.push({ path, kind });
    if (s.properties) for (const [k, v] of Object.entries(s.properties as Record<string, TSchema>)) walk(v, [...path, k], next);
    if (s.items && !Array.isArray(s.items)) walk(s.items as TSchema, [...path, '*'], next);
    // Records and maps: every value of the object follows the same schema.
    if (s.additionalProperties && typeof s.additionalProperties === 'object') walk(s.additionalProperties as TSchema, [...path, '**'], next);
    if (s.patternProperties) for (const v of Object.values(s.patternProperties as Record<string, TSchema>)) walk(v, [...path, '**'], next);
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
      const members = s[key] as TSchema[] | undefined;
      if (Array.isArray(members)) for (const m of members) walk(m, path, next);
    }
  };
  walk(schema, [], new Set());
  // A field reached through several union members would otherwise be listed twice.
  const unique = [...new Map(plan.map((p) => [`${p.path.join('.')}:${p.kind}`, p])).values()];
  planCache.set(schema, unique);
  return unique;
}

function applyAt(value: unknown, path: string[], kind: PiiKind): unknown {
  if (path.length === 0) return typeof value === 'string' ? mask(kind, value) : value;
  if (value === null || typeof value !== 'object') return value;
  const [head, ...rest] = path as [string, ...string[]];
  if (head === '*') return Array.isArray(value) ? value.map((v) => applyAt(v, rest, kind)) : value;
  if (head === '**') {
    if (Array.isArray(value)) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, applyAt(v, rest, kind)]));
  }
  if (!(head in value)) return value;
  return { ...(value as Record<string, unknown>), [head]: applyAt((value as Record<string, unknown>)[head], rest, kind) };
}

/** Returns a copy of `value` with every field the schema declares personal masked. */
export function maskBySchema<T>(schema: TSchema, value: T): T {
  let out: unknown = value;
  for (const { path, kind } of maskPlan(schema)) out = applyAt(out, path, kind);
  return out as T;
}
