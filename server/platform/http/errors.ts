import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorObject } from 'ajv';
import ajvI18n from 'ajv-i18n';
import { AppError, RequestError, ServerError, defineErrors } from '../errors.ts';
import { resolveLocale, type Locale } from '../i18n.ts';

const DbError = defineErrors('db', {
  conflict: [409, { 'zh-CN': '与现有数据冲突', 'zh-TW': '與現有資料衝突', en: 'Conflicts with existing data' }],
  invalid_value: [400, { 'zh-CN': '数据值无效', 'zh-TW': '資料值無效', en: 'A value is invalid' }],
});

/** Text the database cannot store (NUL, unpaired surrogates), found by the JSON body parser. */
// ajv-i18n is CommonJS and its typings disagree with Node's interop about `default`; accept either shape.
type LocalizeFn = (errors?: ErrorObject[] | null) => void;
const localize = ((ajvI18n as unknown as { default?: unknown }).default ?? ajvI18n) as Record<'zh' | 'zh-TW' | 'en', LocalizeFn>;
const AJV_LOCALE = { 'zh-CN': 'zh', 'zh-TW': 'zh-TW', en: 'en' } as const satisfies Record<Locale, keyof typeof localize>;

/** `/items/0/name` → `items.0.name` */
function fieldOf(e: ErrorObject, context: string | undefined): string {
  const parts = e.instancePath.split('/').filter(Boolean);
  if (e.keyword === 'required') parts.push(String((e.params as { missingProperty: string }).missingProperty));
  if (e.keyword === 'additionalProperties') parts.push(String((e.params as { additionalProperty: string }).additionalProperty));
  const field = parts.join('.');
  return field || (context === 'body' ? 'body' : context ?? 'request');
}

function fromValidation(err: FastifyError, locale: Locale): AppError {
  const errors = (err.validation ?? []) as ErrorObject[];
  // A value that fits no branch of a union fails in every branch; the deepest failure names the field at fault.
  const depth = (e: ErrorObject) => fieldOf(e, err.validationContext).split('.').length;
  const first = errors.reduce<ErrorObject | undefined>((best, e) => (!best || depth(e) > depth(best) ? e : best), undefined);
  if (!first) return RequestError('invalid', { params: { detail: err.message } });
  const field = fieldOf(first, err.validationContext);
  if (first.keyword === 'additionalProperties') return RequestError('unknown_field', { field, params: { name: field } });
  const localized = [{ ...first }];
  localize[AJV_LOCALE[locale]](localized);
  const message = localized[0]!.message ?? '';
  // A missing property's message already names it; other messages read "<field> <problem>".
  const detail = first.keyword === 'required' ? message : `${field} ${message}`.trim();
  return RequestError('invalid', { field, params: { detail } });
}

/** SQLSTATE of a driver error, wherever the ORM put it. */
function sqlState(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 4; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

function notFound(req: FastifyRequest): AppError {
  return RequestError('not_found', { params: { method: req.method, url: req.url.split('?')[0]!.slice(0, 200) } });
}

/** The request's language from its header: errors may be raised before the auth hook has set `req.locale`. */
const localeOf = (req: FastifyRequest): Locale => resolveLocale(req.headers['accept-language']);

export function toAppError(err: unknown, req: FastifyRequest, bodyLimit: number): AppError {
  if (err instanceof AppError) return err;
  const locale = localeOf(req);
  const fe = err as FastifyError;
  if (fe.validation) return fromValidation(fe, locale);
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return RequestError('malformed_json', { field: 'body' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return RequestError('empty_body', { field: 'body' });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return RequestError('too_large', { field: 'body', params: { limit: bodyLimit } });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return RequestError('unsupported_media_type');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return RequestError('invalid', { field: 'content-length', params: { detail: 'Content-Length' } });
    // A URL that cannot be decoded, or a path param too long to route, names no endpoint.
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return notFound(req);
  }
  if (fe.statusCode === 429) return RequestError('rate_limited', { params: { retryAfter: Math.ceil(Number((fe as { ttl?: number }).ttl ?? 60_000) / 1000) } });
  if (err instanceof SyntaxError && fe.statusCode === 400) return RequestError('malformed_json', { field: 'body' });
  const state = sqlState(err);
  // Services check their inputs; these are the database's last line, kept as 4xx because the input caused them.
  if (state?.startsWith('23')) return DbError('conflict', { cause: err });
  if (state?.startsWith('22')) return DbError('invalid_value', { cause: err });
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return RequestError('invalid', { params: { detail: fe.message } });
  }
  return ServerError('internal', { params: { requestId: req.id }, cause: err });
}

function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply, bodyLimit: number): FastifyReply {
  const appErr = toAppError(err, req, bodyLimit);
  if (appErr.status >= 500) req.log.error({ err }, 'request failed');
  else if (!(err instanceof AppError)) req.log.info({ code: appErr.code, detail: (err as Error).message }, 'rejected request');
  if (appErr.status === 429) reply.header('retry-after', String(appErr.params.retryAfter ?? 60));
  return reply.status(appErr.status).type('application/json; charset=utf-8').send(appErr.body(localeOf(req)));
}

/**
 * Fastify's `frameworkErrors` option: failures raised before routing (an undecodable URL, an
 * over-long path param), which otherwise bypass the error handler and answer in Fastify's own shape.
 */
export function frameworkErrors(bodyLimit: number) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => sendError(err, req, reply, bodyLimit);
}

export function installErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((err, req, reply) => sendError(err, req, reply, bodyLimit));
  // An unknown URL is a 404 whatever it carries: answered before any body is read or parsed.
  app.addHook('onRequest', async (req) => {
    if (req.is404) throw notFound(req);
  });
  app.setNotFoundHandler((req, reply) => sendError(notFound(req), req, reply, bodyLimit));
}
