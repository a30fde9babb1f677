import type { FastifyInstance } from 'fastify';

/**
 * For calls made from the customer's own site (chat widget): answered to any origin. No cookie is
 * involved — a visitor is named by a token in a header — so this opens nothing else. Register it on
 * a plugin scope holding only such routes, each with its OPTIONS preflight.
 */
export function answerAnyOrigin(scope: FastifyInstance, allowHeaders: string[]): void {
  scope.addHook('onRequest', async (_req, reply) => {
    reply.header('access-control-allow-origin', '*');
    reply.header('access-control-allow-headers', allowHeaders.join(', '));
    reply.header('access-control-allow-methods', 'GET, POST, OPTIONS');
    reply.header('access-control-max-age', '600');
  });
}
