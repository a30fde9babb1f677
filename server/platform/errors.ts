import { format, type Locale, type Messages } from './i18n.ts';

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 415 | 422 | 423 | 426 | 429 | 500 | 502 | 503;

/** One error code: its HTTP status and its message in every locale. */
type ErrorSpec = readonly [status: ErrorStatus, messages: Messages];

export interface ErrorOptions {
  field?: string;
  params?: Record<string, unknown>;
  cause?: unknown;
}

/** The one error type. Every failure a client sees is one of these, rendered as {error:{code,message,field?}}. */
export class AppError extends Error {
  readonly code: string;
  readonly status: ErrorStatus;
  readonly field: string | undefined;
  readonly params: Record<string, unknown>;
  private readonly messages: Messages;

  constructor(code: string, spec: ErrorSpec, opts: ErrorOptions = {}) {
    super(format(spec[1].en, opts.params), { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = spec[0];
    this.messages = spec[1];
    this.field = opts.field;
    this.params = opts.params ?? {};
  }

  body(locale: Locale): { error: { code: string; message: string; field?: string } } {
    const error: { code: string; message: string; field?: string } = {
      code: this.code,
      message: format(this.messages[locale], this.params),
    };
    if (this.field !== undefined) error.field = this.field;
    return { error };
  }
}

const registry = new Map<string, ErrorSpec>();

/**
 * Declares a domain's error codes. Status and messages sit beside the code, so a code
 * without a status or a translation cannot be written; using an undeclared code fails to compile.
 */
export function defineErrors<const S extends Record<string, ErrorSpec>>(domain: string, specs: S) {
  for (const [code, spec] of Object.entries(specs)) {
    const full = `${domain}.${code}`;
    if (registry.has(full)) throw new Error(`error code ${full} declared twice`);
    registry.set(full, spec);
  }
  return (code: keyof S & string, opts?: ErrorOptions): AppError =>
    new AppError(`${domain}.${code}`, specs[code]!, opts);
}

/** All declared codes with their status; used by tests and the API docs. */
export function errorCatalogue(): ReadonlyMap<string, ErrorSpec> {
  return registry;
}

/** Errors of the HTTP layer itself, shared by every route. */
export const RequestError = defineErrors('request', {
  invalid: [400, { 'zh-CN': '请求内容不符合要求：{detail}', 'zh-TW': '請求內容不符合要求：{detail}', en: 'The request is invalid: {detail}' }],
  unknown_field: [400, { 'zh-CN': '不支持的字段：{name}', 'zh-TW': '不支援的欄位：{name}', en: 'Unknown field: {name}' }],
  malformed_json: [400, { 'zh-CN': '请求体不是有效的 JSON', 'zh-TW': '請求內容不是有效的 JSON', en: 'The request body is not valid JSON' }],
  empty_body: [400, { 'zh-CN': '请求体不能为空', 'zh-TW': '請求內容不能為空', en: 'The request body must not be empty' }],
  too_large: [413, { 'zh-CN': '请求体超过 {limit} 字节的上限', 'zh-TW': '請求內容超過 {limit} 位元組的上限', en: 'The request body exceeds the limit of {limit} bytes' }],
  unsupported_media_type: [415, { 'zh-CN': '不支持的内容类型，请使用 application/json', 'zh-TW': '不支援的內容類型，請使用 application/json', en: 'Unsupported content type; use application/json' }],
  not_found: [404, { 'zh-CN': '接口不存在：{method} {url}', 'zh-TW': '介面不存在：{method} {url}', en: 'No such endpoint: {method} {url}' }],
  rate_limited: [429, { 'zh-CN': '请求过于频繁，请 {retryAfter} 秒后再试', 'zh-TW': '請求過於頻繁，請 {retryAfter} 秒後再試', en: 'Too many requests; retry in {retryAfter} s' }],
  invalid_text: [400, { 'zh-CN': '{field} 含有无法保存的字符（如 \\u0000 或不成对的代理项）', 'zh-TW': '{field} 含有無法儲存的字元（如 \\u0000 或不成對的代理項）', en: '{field} contains characters that cannot be stored (such as \\u0000 or an unpaired surrogate)' }],
  invalid_cursor: [400, { 'zh-CN': '分页游标无效', 'zh-TW': '分頁游標無效', en: 'The cursor is invalid' }],
});

export const ServerError = defineErrors('server', {
  internal: [500, { 'zh-CN': '服务器内部错误（请求 {requestId}）', 'zh-TW': '伺服器內部錯誤（請求 {requestId}）', en: 'Internal server error (request {requestId})' }],
  database_unavailable: [503, { 'zh-CN': '数据库不可用', 'zh-TW': '資料庫無法使用', en: 'The database is unavailable' }],
});
