import { Type, type Static } from '@sinclair/typebox';
import type { App } from '../http/app-types.ts';
import { Body, IdParams, Nullable, Query, Timestamp, Uuid, iso, isoOrNull } from '../http/schemas.ts';
import { DEFAULT_LIMIT, Page, PageQuery, afterIdOf, idPage } from '../http/pagination.ts';
import { ROLES, ROLE_LABELS, PERMISSIONS, type Permission } from '../rbac/permissions.ts';
import type { Actor } from '../context.ts';
import { getIdentity } from '../../modules/org/identity.ts';
import { MIN_PASSWORD_LENGTH } from './passwords.ts';
import { SESSION_COOKIE } from './hook.ts';
import * as auth from './service.ts';

const tags = ['认证 Auth'];

const Me = Type.Object(
  {
    id: Uuid,
    username: Type.String(),
    displayName: Type.String(),
    role: Type.Union(ROLES.map((r) => Type.Literal(r))),
    roleLabel: Type.String(),
    permissions: Type.Array(Type.String()),
    departmentId: Nullable(Uuid),
    teamId: Nullable(Uuid),
    locale: Type.String(),
  },
  { title: 'Me' },
);
type Me = Static<typeof Me>;

const SessionView = Type.Object(
  {
    id: Uuid,
    staffId: Uuid,
    createdAt: Timestamp,
    expiresAt: Timestamp,
    lastSeenAt: Timestamp,
    revokedAt: Nullable(Timestamp),
    revokedReason: Nullable(Type.String()),
    ip: Nullable(Type.String()),
    userAgent: Nullable(Type.String()),
    current: Type.Boolean(),
  },
  { title: 'Session' },
);

const ApiTokenView = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    prefix: Type.String({ description: '令牌开头几位，便于辨认' }),
    staffId: Uuid,
    createdBy: Uuid,
    createdAt: Timestamp,
    expiresAt: Nullable(Timestamp),
    lastUsedAt: Nullable(Timestamp),
    revokedAt: Nullable(Timestamp),
  },
  { title: 'ApiToken' },
);

function meOf(actor: Actor, username: string, locale: string): Me {
  return {
    id: actor.id!,
    username,
    displayName: actor.name ?? username,
    role: actor.role!,
    roleLabel: ROLE_LABELS[actor.role!],
    permissions: (Object.keys(PERMISSIONS) as Permission[]).filter((p) => actor.permissions.has(p)),
    departmentId: actor.departmentId,
    teamId: actor.teamId,
    locale,
  };
}

export function authRoutes(app: App, opts: { sessionTtlMs: number; loginRateLimit: number; secureCookies: boolean }): void {
  app.post(
    '/api/auth/login',
    {
      config: { access: 'public', rateLimit: { max: opts.loginRateLimit, timeWindow: '1 minute' } },
      schema: {
        tags,
        summary: '登录',
        description: `返回令牌，之后在每个请求带上 Authorization: Bearer <token>；同时设置 httpOnly Cookie 供网页控制台使用。15 分钟内连续失败 ${auth.LOCKOUT.attempts} 次将锁定账号 15 分钟。`,
        body: Body({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 200: Type.Object({ token: Type.String(), expiresAt: Timestamp, user: Me }) },
      },
    },
    async (req, reply) => {
      const result = await auth.login(req.ctx, { ...req.body, userAgent: req.headers['user-agent'] ?? null }, opts.sessionTtlMs);
      reply.setCookie(SESSION_COOKIE, result.token, {
        httpOnly: true,
        sameSite: 'lax',
        secure: opts.secureCookies,
        path: '/',
        expires: result.expiresAt,
      });
      const actor = auth.actorFor(result.identity, {});
      return { token: result.token, expiresAt: iso(result.expiresAt), user: meOf(actor, result.identity.username, result.identity.locale) };
    },
  );

  app.post(
    '/api/auth/logout',
    { config: { access: 'authenticated' }, schema: { tags, summary: '退出登录（注销当前会话）', response: { 204: Type.Null() } } },
    async (req, reply) => {
      if (req.ctx.actor.sessionId) await auth.revokeSession(req.ctx, req.ctx.actor.sessionId);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/auth/me',
    { config: { access: 'authenticated' }, schema: { tags, summary: '当前用户及其权限', response: { 200: Me } } },
    async (req) => {
      const identity = (await getIdentity(req.ctx.db, req.ctx.actor.id!))!;
      return meOf(req.ctx.actor, identity.username, identity.locale);
    },
  );

  app.post(
    '/api/auth/password',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: '修改自己的密码（其他设备上的会话将被注销）',
        body: Body({ currentPassword: Type.String({ minLength: 1, maxLength: 200 }), newPassword: Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 200 }) }),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await auth.changePassword(req.ctx, req.body.currentPassword, req.body.newPassword);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/sessions',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: '会话列表（默认本人；查看他人需 sessions.manage）',
        querystring: Query({ ...PageQuery, staffId: Type.Optional(Uuid), active: Type.Optional(Type.Boolean({ default: true })) }),
        response: { 200: Page(SessionView) },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      const rows = await auth.listSessions(req.ctx, req.query.staffId ?? req.ctx.actor.id!, req.query.active ?? true, afterIdOf(req.query.cursor), limit);
      return idPage(rows, limit, (s) => ({
        ...s,
        createdAt: iso(s.createdAt),
        expiresAt: iso(s.expiresAt),
        lastSeenAt: iso(s.lastSeenAt),
        revokedAt: isoOrNull(s.revokedAt),
        current: s.id === req.ctx.actor.sessionId,
      }));
    },
  );

  app.delete(
    '/api/sessions/:id',
    { config: { access: 'authenticated' }, schema: { tags, summary: '注销会话（本人的，或需 sessions.manage）', params: IdParams, response: { 204: Type.Null() } } },
    async (req, reply) => {
      await auth.revokeSession(req.ctx, req.params.id);
      return reply.status(204).send(null);
    },
  );

  const tokenView = (t: auth.ApiTokenRow) => ({
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    staffId: t.staffId,
    createdBy: t.createdBy,
    createdAt: iso(t.createdAt),
    expiresAt: isoOrNull(t.expiresAt),
    lastUsedAt: isoOrNull(t.lastUsedAt),
    revokedAt: isoOrNull(t.revokedAt),
  });

  app.get(
    '/api/api-tokens',
    { config: { access: 'api_tokens.manage' }, schema: { tags, summary: '集成用 API 令牌列表', querystring: Query(PageQuery), response: { 200: Page(ApiTokenView) } } },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      return idPage(await auth.listApiTokens(req.ctx, afterIdOf(req.query.cursor), limit), limit, tokenView);
    },
  );

  app.post(
    '/api/api-tokens',
    {
      config: { access: 'api_tokens.manage' },
      schema: {
        tags,
        summary: '创建 API 令牌（令牌原文只在此返回一次；以所属员工的权限调用接口）',
        body: Body({
          name: Type.String({ minLength: 1, maxLength: 100 }),
          staffId: Type.Optional(Uuid),
          expiresAt: Type.Optional(Nullable(Timestamp)),
        }),
        response: { 201: Type.Intersect([ApiTokenView, Type.Object({ token: Type.String() })]) },
      },
    },
    async (req, reply) => {
      const { token, row } = await auth.createApiToken(req.ctx, {
        name: req.body.name,
        staffId: req.body.staffId ?? null,
        expiresAt: req.body.expiresAt ? new Date(req.body.expiresAt) : null,
      });
      return reply.status(201).send({ ...tokenView(row), token });
    },
  );

  app.delete(
    '/api/api-tokens/:id',
    { config: { access: 'api_tokens.manage' }, schema: { tags, summary: '吊销 API 令牌', params: IdParams, response: { 204: Type.Null() } } },
    async (req, reply) => {
      await auth.revokeApiToken(req.ctx, req.params.id);
      return reply.status(204).send(null);
    },
  );
}
