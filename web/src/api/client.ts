/**
 * The console's one way to call /api. Paths, parameters, bodies and replies are typed from the
 * server's OpenAPI document (web/generated/openapi.d.ts, written by scripts/console-api-types.ts); every
 * failure, the server's `{error:{code,message,field?}}` or the network's, arrives as an ApiError.
 */
import i18n from '../i18n/index.ts';
import type { paths } from '../../generated/openapi';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Paths that have an operation for the method. */
export type PathOf<M extends Method> = { [P in keyof paths]: paths[P][M] extends { responses: unknown } ? P : never }[keyof paths];
type Operation<M extends Method, P extends PathOf<M>> = paths[P][M] extends infer O ? (O extends { responses: unknown } ? O : never) : never;

type JsonOf<R> = R extends { content: { 'application/json': infer J } } ? J : null;
type SuccessStatus = 200 | 201 | 202 | 204;
/** The JSON a successful call answers with (null for 204). */
export type Reply<M extends Method, P extends PathOf<M>> = Operation<M, P> extends { responses: infer R } ? JsonOf<R[Extract<keyof R, SuccessStatus>]> : never;

type Params<O, K extends 'path' | 'query'> = O extends { parameters: { [k in K]: infer X } } ? X : O extends { parameters: { [k in K]?: infer X } } ? X : never;
type BodyOf<O> = O extends { requestBody: { content: { 'application/json': infer B } } } ? B : O extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

/** A part of the request: absent when the operation has none, optional when nothing in it is required. */
type Field<Name extends string, T> = [T] extends [never] ? { [k in Name]?: never } : [undefined] extends [T] ? { [k in Name]?: T } : {} extends T ? { [k in Name]?: T } : { [k in Name]: T };
export type Options<M extends Method, P extends PathOf<M>> = Field<'path', Params<Operation<M, P>, 'path'>> &
  Field<'query', Params<Operation<M, P>, 'query'>> &
  Field<'body', BodyOf<Operation<M, P>>> & { signal?: AbortSignal };

/** A failed call: the server's stable code, the field at fault and a message in the console's language. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    /** HTTP status; 0 when no answer came (network down, server gone). */
    readonly status: number,
    /** The server's code (e.g. `auth.account_locked`), or `client.network` / `client.bad_response`. */
    readonly code: string,
    message: string,
    readonly field: string | undefined = undefined,
  ) {
    super(message);
  }
}

/** Codes meaning the caller's sign-in is gone (expired, revoked, never there). */
const SESSION_GONE = new Set(['auth.required', 'auth.invalid_token', 'auth.session_expired', 'auth.session_revoked', 'auth.account_disabled']);
const sessionListeners = new Set<() => void>();
/** Called when a call finds the sign-in gone; returns the unsubscribe function. */
export function onSessionGone(listener: () => void): () => void {
  sessionListeners.add(listener);
  return () => sessionListeners.delete(listener);
}
/** Tells the console its sign-in is gone (a 401 of the API, or the realtime socket closed with 4401). */
export function sessionGone(): void {
  for (const l of sessionListeners) l();
}

/** Aborted on sign-out: answers to calls of the ended session are of no use and would only fail. */
let sessionCalls = new AbortController();
export function abortSessionCalls(): void {
  sessionCalls.abort();
  sessionCalls = new AbortController();
}

function isErrorBody(v: unknown): v is { error: { code: string; message: string; field?: string } } {
  const e = (v as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof e?.code === 'string' && typeof e.message === 'string';
}

function urlOf(template: string, path: Record<string, unknown> | undefined, query: Record<string, unknown> | undefined): string {
  const url = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(path?.[name])));
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    for (const item of [v].flat()) if (item !== undefined && item !== null) search.append(k, String(item));
  }
  const qs = search.toString();
  return qs ? `${url}?${qs}` : url;
}

export async function request<M extends Method, P extends PathOf<M>>(method: M, path: P, ...[opts]: {} extends Options<M, P> ? [Options<M, P>?] : [Options<M, P>]): Promise<Reply<M, P>> {
  const o = (opts ?? {}) as { path?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown; signal?: AbortSignal };
  const headers: Record<string, string> = { accept: 'application/json', 'accept-language': i18n.language };
  // A form (an upload) sets its own multipart content type with the boundary.
  const form = o.body instanceof FormData;
  if (o.body !== undefined && !form) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(urlOf(path, o.path, o.query), {
      method: method.toUpperCase(),
      headers,
      body: o.body === undefined || form ? (o.body as FormData | undefined) : JSON.stringify(o.body),
      credentials: 'same-origin',
      signal: o.signal ? AbortSignal.any([o.signal, sessionCalls.signal]) : sessionCalls.signal,
    });
  } catch (cause) {
    if ((cause as Error).name === 'AbortError') throw cause;
    throw new ApiError(0, 'client.network', i18n.t('errors.network'));
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = undefined;
  }
  if (res.ok && json !== undefined) return json as Reply<M, P>;
  if (!res.ok && isErrorBody(json)) {
    const { code, message, field } = json.error;
    if (res.status === 401 && SESSION_GONE.has(code)) sessionGone();
    throw new ApiError(res.status, code, message, field);
  }
  throw new ApiError(res.status, 'client.bad_response', i18n.t('errors.badResponse', { status: res.status }));
}

export const api = {
  get: <P extends PathOf<'get'>>(path: P, ...opts: {} extends Options<'get', P> ? [Options<'get', P>?] : [Options<'get', P>]) => request('get', path, ...opts),
  post: <P extends PathOf<'post'>>(path: P, ...opts: {} extends Options<'post', P> ? [Options<'post', P>?] : [Options<'post', P>]) => request('post', path, ...opts),
  put: <P extends PathOf<'put'>>(path: P, ...opts: {} extends Options<'put', P> ? [Options<'put', P>?] : [Options<'put', P>]) => request('put', path, ...opts),
  patch: <P extends PathOf<'patch'>>(path: P, ...opts: {} extends Options<'patch', P> ? [Options<'patch', P>?] : [Options<'patch', P>]) => request('patch', path, ...opts),
  delete: <P extends PathOf<'delete'>>(path: P, ...opts: {} extends Options<'delete', P> ? [Options<'delete', P>?] : [Options<'delete', P>]) => request('delete', path, ...opts),
  /** A multipart POST (the OpenAPI document types no multipart body): the form as built by the caller, the reply and failures as for any call. */
  upload: <P extends PathOf<'post'>>(path: P, opts: Omit<Options<'post', P>, 'body'>, form: FormData): Promise<Reply<'post', P>> =>
    (request as (m: 'post', p: P, o: object) => Promise<Reply<'post', P>>)('post', path, { ...opts, body: form }),
};

export type Me = Reply<'get', '/api/auth/me'>;
export type AgentState = Reply<'get', '/api/agent-states/me'>;
