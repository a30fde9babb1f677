import { Value } from '@sinclair/typebox/value';
import type { Reply } from '../../api/client.ts';
// The server's own schema of the policy document: the console checks a draft by the same rules before saving.
import { PolicyDocument } from '../../../../server/modules/policy/document.ts';

export type PolicyVersion = Reply<'get', '/api/policies/{id}'>;
export type PolicySummary = Reply<'get', '/api/policies'>['data'][number];
export type PolicyDoc = PolicyVersion['document'];
export type Source = PolicyDoc['sla']['resolutionHours']['source'];
/** A dotted path into the document, as the server names fields (`sla.chat.firstResponseSeconds.value`). */
export type Path = string;

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function getIn(doc: Json, path: Path): Json {
  return path.split('.').reduce<Json>((v, key) => (isObject(v) || Array.isArray(v) ? (v as Record<string, Json>)[key] : undefined), doc);
}

/** A copy of `doc` with the value at `path` replaced (removed when `value` is undefined); the rest is shared. */
export function setIn<T>(doc: T, path: Path, value: Json): T {
  const [key, ...rest] = path.split('.') as [string, ...string[]];
  const node = (Array.isArray(doc) ? [...doc] : { ...(doc as object) }) as Record<string, Json>;
  if (rest.length === 0) {
    if (value === undefined) delete node[key];
    else node[key] = value;
  } else node[key] = setIn(node[key] ?? {}, rest.join('.'), value);
  return node as T;
}

export interface Problem {
  field: Path;
  message: string;
}

/** The schema check of the whole document, every problem with its path. */
export function schemaProblems(doc: unknown): Problem[] {
  return [...Value.Errors(PolicyDocument, doc)].slice(0, 20).map((e) => ({ field: e.path.replace(/^\//, '').replace(/\//g, '.'), message: e.message }));
}

export interface Change {
  path: Path;
  before: Json;
  after: Json;
}

/** What differs between two documents, as leaf paths; arrays of another length count as one change. */
export function changes(before: Json, after: Json, prefix = ''): Change[] {
  const at = (k: string) => (prefix ? `${prefix}.${k}` : k);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => changes(before[k], after[k], at(k)));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((b, i) => changes(b, after[i], at(String(i))));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path: prefix, before, after }];
}
