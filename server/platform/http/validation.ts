import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { PII_KEYWORD } from '../pii/schema-mask.ts';

function makeAjv(opts: Options): Ajv {
  const ajv = new Ajv({ allErrors: false, removeAdditional: false, useDefaults: true, ...opts });
  addFormats.default(ajv);
  ajv.addKeyword(PII_KEYWORD);
  return ajv;
}

/**
 * Bodies are validated without coercion ("12" is not a number) and keep unknown fields so they
 * can be rejected; query strings and path params arrive as text and are coerced.
 */
export function installValidation(app: FastifyInstance): void {
  const strict = makeAjv({ coerceTypes: false });
  const coercing = makeAjv({ coerceTypes: 'array' });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
}
