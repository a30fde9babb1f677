import type { TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { maskBySchema } from './schema-mask.ts';

/**
 * Masks every field a route's response schema declares personal, for every caller.
 * Clear values leave the server only through the audited reveal call (C4).
 */
export function installResponseMasking(app: FastifyInstance): void {
  app.addHook('preSerialization', async (req, reply, payload) => {
    const responses = req.routeOptions.schema?.response as Record<string, TSchema> | undefined;
    if (!responses || payload === null || typeof payload !== 'object') return payload;
    const status = String(reply.statusCode);
    const schema = responses[status] ?? responses[`${status[0]}xx`];
    return schema ? maskBySchema(schema, payload) : payload;
  });
}
