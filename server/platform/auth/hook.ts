import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fastifyCookie } from '@fastify/cookie';
import type { Db } from '../../db/client.ts';
import type { Clock } from '../clock.ts';
import { ANONYMOUS_ACTOR, type Ctx } from '../context.ts';
import { resolveLocale, type Locale } from '../i18n.ts';
import type { Access } from '../rbac/permissions.ts';
import { AuthError, authenticate } from './service.ts';

export const SESSION_COOKIE = 'kefu_session';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; required on every route (checked at start-up). */
    access?: Access;
  }
  interface FastifyRequest {
    ctx: Ctx;
    locale: Locale;
  }
}

export interface RouteInfo {
  method: string;
  url: string;
  access: Access;
  websocket: boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  if (!m) throw AuthError('invalid_token', { field: 'authorization' });
  return m[1]!;
}

/**
 * The session cookie, read from the header here: the cookie plugin parses `req.cookies` in its own
 * onRequest hook, which runs after this one.
 */
function sessionCookie(req: FastifyRequest): string | null {
  const header = req.headers.cookie;
  return header ? (fastifyCookie.parse(header)[SESSION_COOKIE] ?? null) : null;
}

/** A cookie-authenticated browser request from another site is refused (CSRF / cross-site WebSocket). */
function assertSameOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  if (!origin) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw AuthError('cross_origin');
  }
  if (host !== req.headers.host) throw AuthError('cross_origin');
}

/**
 * Authentication and authorization for every route, before the body is even parsed:
 * a caller without the right gets 401/403 whatever it sent.
 */
export function installAuth(app: FastifyInstance, deps: { db: Db; clock: Clock }): RouteInfo[] {
  const routes: RouteInfo[] = [];
  app.decorateRequest('ctx', null as unknown as Ctx);
  app.decorateRequest('locale', 'zh-CN');

  app.addHook('onRoute', (route) => {
    const config = (route.config ??= {}) as { access?: Access };
    // Swagger UI's own asset routes are public documentation.
    if (!config.access && route.url.startsWith('/api/docs')) config.access = 'public';
    if (!config.access) throw new Error(`route ${String(route.method)} ${route.url} declares no access; add config.access`);
    for (const method of [route.method].flat()) {
      routes.push({ method, url: route.url, access: config.access, websocket: Boolean((route as { websocket?: boolean }).websocket) });
    }
  });

  app.addHook('onRequest', async (req) => {
    req.locale = resolveLocale(req.headers['accept-language']);
    // Unknown URLs have no route config: they are answered 404 whoever asks.
    const access: Access = req.routeOptions.config.access ?? 'public';
    let actor = ANONYMOUS_ACTOR;
    if (access !== 'public') {
      const fromHeader = bearer(req);
      const token = fromHeader ?? sessionCookie(req);
      if (!token) throw AuthError('required');
      if (!fromHeader && (!SAFE_METHODS.has(req.method) || req.headers.upgrade)) assertSameOrigin(req);
      actor = await authenticate(deps.db, deps.clock, token);
      if (access !== 'authenticated' && !actor.permissions.has(access)) {
        throw AuthError('forbidden', { params: { permission: access } });
      }
    }
    req.ctx = { actor, db: deps.db, clock: deps.clock, locale: req.locale, requestId: req.id, ip: req.ip };
  });

  // An upgrade answered with plain HTTP is refused; its connection must not stay open. The websocket
  // plugin closes only the upgrades its own onRequest hook saw, and a refusal here comes before it.
  app.addHook('onResponse', async (req) => {
    if (req.headers.upgrade) req.raw.socket?.destroy();
  });
  return routes;
}
