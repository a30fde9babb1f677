import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RequestError } from '../errors.ts';
import { PII_KEYWORD } from '../pii/schema-mask.ts';

function makeAjv(): Ajv {
  const ajv = new Ajv({ allErrors: false, removeAdditional: false, useDefaults: true, coerceTypes: false });
  addFormats.default(ajv);
  ajv.addKeyword(PII_KEYWORD);
  return ajv;
}

type Schema = { type?: string | string[]; const?: unknown; enum?: unknown[]; anyOf?: Schema[]; oneOf?: Schema[]; items?: Schema; properties?: Record<string, Schema> };

function typesOf(schema: Schema | undefined, out = new Set<string>()): Set<string> {
  if (!schema) return out;
  for (const t of [schema.type ?? []].flat()) out.add(t);
  if ('const' in schema) out.add(typeof schema.const);
  for (const v of schema.enum ?? []) out.add(typeof v);
  for (const s of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) typesOf(s, out);
  return out;
}

// Plain decimals only: Ajv's own coercion also takes "1e400" (as Infinity, which then passes `maximum`), "0x10" and " 5".
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

function fromText(value: unknown, schema: Schema | undefined): unknown {
  const types = typesOf(schema);
  if (types.has('array') && !Array.isArray(value)) return [fromText(value, schema?.items)];
  if (Array.isArray(value)) return value.map((v) => fromText(v, schema?.items));
  if (typeof value !== 'string') return value;
  if ((types.has('integer') || types.has('number')) && DECIMAL.test(value)) return Number(value);
  if (types.has('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  // Anything else stays text, and the validator reports it as the wrong type.
  return value;
}

/** Query strings and path params arrive as text; their numbers and booleans are read here, strictly. */
function coerceText(schema: Schema, data: unknown): void {
  if (!data || typeof data !== 'object') return;
  const record = data as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) record[key] = fromText(value, schema.properties?.[key]);
}

/**
 * Bodies are validated as sent ("12" is not a number) and keep unknown fields so they can be
 * rejected; query strings and path params are converted from text first.
 */
export function installValidation(app: FastifyInstance): void {
  const ajv = makeAjv();
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const validate = ajv.compile(schema);
    if (httpPart === 'body') return validate;
    // Fastify reads `.errors` off the function it called, as it would off Ajv's own.
    const wrapped = Object.assign(
      (data: unknown) => {
        coerceText(schema as Schema, data);
        const ok = validate(data);
        wrapped.errors = validate.errors;
        return ok;
      },
      { errors: null as typeof validate.errors },
    );
    return wrapped;
  });
  installJsonBody(app);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
// NUL and unpaired surrogates are valid in JSON escapes, but PostgreSQL cannot store them as text.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

interface Visit {
  value: unknown;
  key: string | null;
  parent: Visit | null;
}

/** `items.0.name`: built only for the one value at fault, since bodies may nest thousands deep. */
function pathOf(v: Visit): string {
  const keys: string[] = [];
  for (let at: Visit | null = v; at && at.key !== null; at = at.parent) keys.push(at.key);
  return keys.reverse().join('.') || 'body';
}

/** Path of the first string (key or value) the database could not store. */
export function unstorableText(root: unknown): string | null {
  // Iterative, and linear in the size of the body however deep it nests.
  const stack: Visit[] = [{ value: root, key: null, parent: null }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const { value } = visit;
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value)) return pathOf(visit);
    } else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (UNSTORABLE.test(key)) return pathOf(visit);
        stack.push({ value: child, key, parent: visit });
      }
    }
  }
  return null;
}

/**
 * JSON bodies must be UTF-8 (RFC 8259 §8.1): invalid bytes would otherwise be decoded to U+FFFD
 * and stored. Prototype-poisoning keys are refused by Fastify's own parser, used underneath.
 */
function installJsonBody(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req: FastifyRequest, body: Buffer, done) => {
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      return done(RequestError('malformed_json', { field: 'body' }), undefined);
    }
    parseJson(req, text, (err, parsed) => {
      if (err) return done(err, undefined);
      const field = unstorableText(parsed);
      if (field !== null) return done(RequestError('invalid_text', { field, params: { field } }), undefined);
      done(null, parsed);
    });
  });
}
