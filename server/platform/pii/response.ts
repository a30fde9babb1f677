import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { maskBySchema } from './schema-mask.ts';

const everyResponse = new WeakMap<object, TSchema>();

/**
 * The schema a reply is masked by: the one for its status, as Fastify picks it for serialization.
 * A status the route did not declare is masked by all its response schemas together, so a
 * mismatched status code fails closed instead of sending clear values.
 */
function schemaFor(responses: Record<string, TSchema>, statusCode: number): TSchema {
  const status = String(statusCode);
  const declared = responses[status] ?? responses[`${status[0]}xx`] ?? responses.default;
  if (declared) return declared;
  let all = everyResponse.get(responses);
  if (!all) everyResponse.set(responses, (all = Type.Union(Object.values(responses))));
  return all;
}

/**
 * Masks every field a route's response schema declares personal, for every caller.
 * Clear values leave the server only through the audited reveal call (C4).
 */
export function installResponseMasking(app: FastifyInstance): void {
  app.addHook('preSerialization', async (req, reply, payload) => {
    const responses = req.routeOptions.schema?.response as Record<string, TSchema> | undefined;
    if (!responses || payload === null || typeof payload !== 'object') return payload;
    return maskBySchema(schemaFor(responses, reply.statusCode), payload);
  });
}
