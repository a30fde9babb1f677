import { and, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Db, Executor, Tx } from '../../db/client.ts';
import { newId } from '../../db/columns.ts';
import type { Clock } from '../clock.ts';
import { can, type Actor, type Ctx } from '../context.ts';
import { defineErrors } from '../errors.ts';
import { declareEventTypes } from '../events/outbox.ts';
import { permissionsOf } from '../rbac/permissions.ts';
import { write, type Writer } from '../write.ts';
import { findIdentityByUsername, getIdentity, identityColumns, toIdentity, type StaffIdentity } from '../../modules/org/identity.ts';
import { staff } from '../../modules/org/schema.ts';
import { burnVerifyTime, hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from './passwords.ts';
import { apiTokens, credentials, sessions } from './schema.ts';
import { API_TOKEN_PREFIX, hashToken, newToken, SESSION_PREFIX } from './tokens.ts';

export const AuthError = defineErrors('auth', {
  required: [401, { 'zh-CN': '请先登录', 'zh-TW': '請先登入', en: 'Authentication required' }],
  invalid_token: [401, { 'zh-CN': '登录凭证无效', 'zh-TW': '登入憑證無效', en: 'The token is invalid' }],
  session_expired: [401, { 'zh-CN': '登录已过期，请重新登录', 'zh-TW': '登入已過期，請重新登入', en: 'The session has expired; sign in again' }],
  token_expired: [401, { 'zh-CN': 'API 令牌已过期', 'zh-TW': 'API 權杖已過期', en: 'The API token has expired' }],
  session_revoked: [401, { 'zh-CN': '该会话已被注销，请重新登录', 'zh-TW': '該工作階段已被登出，請重新登入', en: 'The session was revoked; sign in again' }],
  invalid_credentials: [401, { 'zh-CN': '用户名或密码错误', 'zh-TW': '使用者名稱或密碼錯誤', en: 'Wrong username or password' }],
  account_locked: [423, { 'zh-CN': '连续登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试或联系管理员', 'zh-TW': '連續登入失敗次數過多，帳號已鎖定，請 {minutes} 分鐘後再試或聯絡管理員', en: 'Too many failed sign-ins; the account is locked for {minutes} more minutes or until an administrator unlocks it' }],
  account_disabled: [403, { 'zh-CN': '账号已停用，请联系管理员', 'zh-TW': '帳號已停用，請聯絡管理員', en: 'The account is disabled; contact an administrator' }],
  forbidden: [403, { 'zh-CN': '没有权限执行此操作（需要 {permission}）', 'zh-TW': '沒有權限執行此操作（需要 {permission}）', en: 'Not allowed (requires {permission})' }],
  cross_origin: [403, { 'zh-CN': '拒绝跨站请求', 'zh-TW': '拒絕跨站請求', en: 'Cross-site request refused' }],
  password_too_short: [400, { 'zh-CN': '密码至少需要 {min} 个字符', 'zh-TW': '密碼至少需要 {min} 個字元', en: 'The password needs at least {min} characters' }],
  wrong_password: [400, { 'zh-CN': '当前密码不正确', 'zh-TW': '目前密碼不正確', en: 'The current password is wrong' }],
  session_not_found: [404, { 'zh-CN': '会话不存在', 'zh-TW': '工作階段不存在', en: 'Session not found' }],
  token_not_found: [404, { 'zh-CN': 'API 令牌不存在', 'zh-TW': 'API 權杖不存在', en: 'API token not found' }],
  expiry_in_past: [400, { 'zh-CN': '过期时间必须晚于当前时间', 'zh-TW': '過期時間必須晚於目前時間', en: 'The expiry must be in the future' }],
  staff_not_found: [404, { 'zh-CN': '员工不存在', 'zh-TW': '員工不存在', en: 'Staff member not found' }],
});

declareEventTypes({
  'session.revoked': '会话被注销（用于断开该会话的实时连接）',
  'staff.locked': '员工账号因连续登录失败被锁定',
});

/** O5: five failed sign-ins within fifteen minutes lock the account for fifteen minutes. */
export const LOCKOUT = { attempts: 5, windowMs: 15 * 60_000, durationMs: 15 * 60_000 } as const;
/** last_seen / last_used are written at most this often, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;

export function assertPasswordStrength(password: string, field = 'password'): void {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw AuthError('password_too_short', { field, params: { min: MIN_PASSWORD_LENGTH } });
  }
}

/**
 * Checks and hashes a new password. Called before the transaction that stores it:
 * argon2 is slow on purpose and must not hold a transaction open.
 */
export async function preparePassword(password: string, field = 'password'): Promise<string> {
  assertPasswordStrength(password, field);
  return hashPassword(password);
}

/** Stores a hash from preparePassword; a new password also clears failures and any lock. */
export async function storePassword(tx: Tx, staffId: string, passwordHash: string, at: Date): Promise<void> {
  await tx
    .insert(credentials)
    .values({ staffId, passwordHash, passwordChangedAt: at })
    .onConflictDoUpdate({
      target: credentials.staffId,
      set: { passwordHash, passwordChangedAt: at, failedAt: [], lockedUntil: null },
    });
}

export function actorFor(identity: StaffIdentity, via: { sessionId?: string; sessionExpiresAt?: Date; tokenId?: string }): Actor {
  return {
    type: via.tokenId ? 'api_token' : 'staff',
    id: identity.id,
    name: identity.displayName,
    role: identity.role,
    permissions: permissionsOf(identity.role),
    teamId: identity.teamId,
    departmentId: identity.departmentId,
    sessionId: via.sessionId ?? null,
    sessionExpiresAt: via.sessionExpiresAt ?? null,
    tokenId: via.tokenId ?? null,
  };
}

export interface LoginInput {
  username: string;
  password: string;
  userAgent: string | null;
}

export interface LoginResult {
  token: string;
  expiresAt: Date;
  identity: StaffIdentity;
}

function minutesLeft(until: Date, now: Date): number {
  return Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 60_000));
}

export async function login(ctx: Ctx, input: LoginInput, sessionTtlMs: number): Promise<LoginResult> {
  const identity = await findIdentityByUsername(ctx.db, input.username);
  const [cred] = identity
    ? await ctx.db.select().from(credentials).where(eq(credentials.staffId, identity.id)).limit(1)
    : [];
  if (!identity || !cred) {
    await burnVerifyTime(input.password);
    throw AuthError('invalid_credentials');
  }
  const now = ctx.clock.now();
  if (cred.lockedUntil && cred.lockedUntil > now) {
    throw AuthError('account_locked', { params: { minutes: minutesLeft(cred.lockedUntil, now) } });
  }
  if (!(await verifyPassword(cred.passwordHash, input.password))) {
    // The failure is committed before the error is thrown, so the count survives. It is recorded
    // as the unauthenticated caller's act on this account: whoever typed it has proved nothing.
    const lockedUntil = await write(ctx, (w) => registerFailure(w, identity.id));
    // Minutes from now, not from the start of the request: the password check took time, and the lock runs from its failure.
    if (lockedUntil) throw AuthError('account_locked', { params: { minutes: minutesLeft(lockedUntil, ctx.clock.now()) } });
    throw AuthError('invalid_credentials');
  }
  if (!identity.active) throw AuthError('account_disabled');

  const token = newToken(SESSION_PREFIX);
  const expiresAt = new Date(now.getTime() + sessionTtlMs);
  await write({ ...ctx, actor: actorFor(identity, {}) }, async (w) => {
    const sessionId = newId();
    await w.tx
      .update(credentials)
      .set({ failedAt: [], lockedUntil: null, lastLoginAt: w.now })
      .where(eq(credentials.staffId, identity.id));
    await w.tx.insert(sessions).values({
      id: sessionId,
      tokenHash: hashToken(token),
      staffId: identity.id,
      createdAt: w.now,
      expiresAt,
      lastSeenAt: w.now,
      ip: ctx.ip,
      userAgent: input.userAgent?.slice(0, 300) ?? null,
    });
    await w.audit({ action: 'login', entityType: 'session', entityId: sessionId, after: { staffId: identity.id, expiresAt: expiresAt.toISOString() } });
  });
  return { token, expiresAt, identity };
}

/**
 * Counts a failed password check over a sliding window (any five within fifteen minutes);
 * returns the lock end when this failure locks the account.
 */
async function registerFailure(w: Writer, staffId: string): Promise<Date | null> {
  const windowStart = new Date(w.now.getTime() - LOCKOUT.windowMs);
  // One statement, so concurrent failures cannot overwrite each other's count.
  const [row] = await w.tx
    .update(credentials)
    .set({
      failedAt: sql`array(select t from unnest(${credentials.failedAt} || ${w.now}::timestamptz) as t where t > ${windowStart}::timestamptz order by t)`,
    })
    .where(eq(credentials.staffId, staffId))
    .returning({ failedAt: credentials.failedAt });
  await w.audit({ action: 'login_failed', entityType: 'staff', entityId: staffId });
  if (!row || row.failedAt.length < LOCKOUT.attempts) return null;
  const lockedUntil = new Date(w.now.getTime() + LOCKOUT.durationMs);
  await w.tx
    .update(credentials)
    .set({ lockedUntil, failedAt: [] })
    .where(eq(credentials.staffId, staffId));
  await w.audit({ action: 'lock', entityType: 'staff', entityId: staffId, after: { lockedUntil: lockedUntil.toISOString() } });
  await w.emit({
    type: 'staff.locked',
    entityType: 'staff',
    entityId: staffId,
    data: { staffId, lockedUntil: lockedUntil.toISOString() },
    audience: { permissions: ['org.manage'] },
  });
  return lockedUntil;
}

/** Session and API-token lookups with the owner's identity: one prepared query per request. */
function buildLookups(db: Db) {
  const hash = sql.placeholder('hash');
  return {
    session: db
      .select({ s: sessions, who: identityColumns })
      .from(sessions)
      .innerJoin(staff, eq(staff.id, sessions.staffId))
      .where(eq(sessions.tokenHash, hash))
      .limit(1)
      .prepare('kefu_auth_session'),
    token: db
      .select({ t: apiTokens, who: identityColumns })
      .from(apiTokens)
      .innerJoin(staff, eq(staff.id, apiTokens.staffId))
      .where(eq(apiTokens.tokenHash, hash))
      .limit(1)
      .prepare('kefu_auth_token'),
  };
}
const lookupsByDb = new WeakMap<Db, ReturnType<typeof buildLookups>>();
function lookups(db: Db): ReturnType<typeof buildLookups> {
  let q = lookupsByDb.get(db);
  if (!q) lookupsByDb.set(db, (q = buildLookups(db)));
  return q;
}

/** Resolves a bearer token (session or API token) to its actor, or throws a 401. */
export async function authenticate(db: Db, clock: Clock, token: string): Promise<Actor> {
  const now = clock.now();
  const q = lookups(db);
  if (token.startsWith(API_TOKEN_PREFIX)) {
    const [row] = await q.token.execute({ hash: hashToken(token) });
    if (!row || row.t.revokedAt) throw AuthError('invalid_token');
    const t = row.t;
    if (t.expiresAt && t.expiresAt <= now) throw AuthError('token_expired');
    const identity = toIdentity(row.who);
    if (!identity.active) throw AuthError('account_disabled');
    if (!t.lastUsedAt || now.getTime() - t.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, t.id));
    }
    return actorFor(identity, { tokenId: t.id, sessionExpiresAt: t.expiresAt ?? undefined });
  }
  if (!token.startsWith(SESSION_PREFIX)) throw AuthError('invalid_token');
  const [row] = await q.session.execute({ hash: hashToken(token) });
  if (!row) throw AuthError('invalid_token');
  const s = row.s;
  if (s.revokedAt) throw AuthError('session_revoked');
  if (s.expiresAt <= now) throw AuthError('session_expired');
  const identity = toIdentity(row.who);
  if (!identity.active) throw AuthError('account_disabled');
  if (now.getTime() - s.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) {
    await db.update(sessions).set({ lastSeenAt: now }).where(eq(sessions.id, s.id));
  }
  return actorFor(identity, { sessionId: s.id, sessionExpiresAt: s.expiresAt });
}

export type SessionRow = typeof sessions.$inferSelect;

export async function listSessions(ctx: Ctx, staffId: string, activeOnly: boolean, beforeId: string | undefined, limit: number) {
  if (staffId !== ctx.actor.id && !can(ctx.actor, 'sessions.manage')) throw AuthError('forbidden', { params: { permission: 'sessions.manage' } });
  const now = ctx.clock.now();
  return ctx.db
    .select()
    .from(sessions)
    .where(
      and(
        eq(sessions.staffId, staffId),
        activeOnly ? and(isNull(sessions.revokedAt), sql`${sessions.expiresAt} > ${now}`) : undefined,
        beforeId ? lt(sessions.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(sessions.id))
    .limit(limit + 1);
}

/** Revokes sessions in the writer's transaction and tells every node to drop their live connections. */
export async function revokeSessions(w: Writer, where: { sessionId?: string; staffId?: string; exceptSessionId?: string }, reason: string) {
  const revoked = await w.tx
    .update(sessions)
    .set({ revokedAt: w.now, revokedReason: reason })
    .where(
      and(
        isNull(sessions.revokedAt),
        where.sessionId ? eq(sessions.id, where.sessionId) : undefined,
        where.staffId ? eq(sessions.staffId, where.staffId) : undefined,
        where.exceptSessionId ? sql`${sessions.id} <> ${where.exceptSessionId}` : undefined,
      ),
    )
    .returning({ id: sessions.id, staffId: sessions.staffId });
  for (const s of revoked) {
    await w.audit({ action: 'revoke', entityType: 'session', entityId: s.id, reason });
    await w.emit({
      type: 'session.revoked',
      entityType: 'session',
      entityId: s.id,
      data: { sessionId: s.id, staffId: s.staffId },
      audience: { staffIds: [s.staffId] },
    });
  }
  return revoked.length;
}

export async function revokeSession(ctx: Ctx, sessionId: string): Promise<void> {
  const [s] = await ctx.db.select().from(sessions).where(eq(sessions.id, sessionId)).limit(1);
  if (!s) throw AuthError('session_not_found');
  if (s.staffId !== ctx.actor.id && !can(ctx.actor, 'sessions.manage')) throw AuthError('session_not_found');
  await write(ctx, (w) => revokeSessions(w, { sessionId }, sessionId === ctx.actor.sessionId ? 'logout' : 'revoked'));
}

export async function changePassword(ctx: Ctx, current: string, next: string): Promise<void> {
  const staffId = ctx.actor.id!;
  const [cred] = await ctx.db.select().from(credentials).where(eq(credentials.staffId, staffId)).limit(1);
  if (!cred || !(await verifyPassword(cred.passwordHash, current))) {
    // Guessing here counts like guessing at sign-in: a stolen session must not become a
    // way to try passwords without limit.
    const lockedUntil = await write(ctx, (w) => registerFailure(w, staffId));
    if (lockedUntil) throw AuthError('account_locked', { params: { minutes: minutesLeft(lockedUntil, ctx.clock.now()) } });
    throw AuthError('wrong_password', { field: 'currentPassword' });
  }
  const passwordHash = await preparePassword(next, 'newPassword');
  await write(ctx, async (w) => {
    await storePassword(w.tx, staffId, passwordHash, w.now);
    await w.audit({ action: 'update', entityType: 'credentials', entityId: staffId, after: { passwordChangedAt: w.now.toISOString() } });
    // Other devices sign in again with the new password; this one stays.
    await revokeSessions(w, { staffId, exceptSessionId: ctx.actor.sessionId ?? undefined }, 'password_changed');
  });
}

/** Whether a password opens an account, without signing in or counting a failure (start-up banner). */
export async function passwordMatches(db: Db, username: string, password: string): Promise<boolean> {
  const identity = await findIdentityByUsername(db, username);
  if (!identity) return false;
  const [cred] = await db.select({ hash: credentials.passwordHash }).from(credentials).where(eq(credentials.staffId, identity.id)).limit(1);
  return cred ? verifyPassword(cred.hash, password) : false;
}

/** Clears a lock early (admin). */
export async function unlock(w: Writer, staffId: string): Promise<void> {
  await w.tx
    .update(credentials)
    .set({ lockedUntil: null, failedAt: [] })
    .where(eq(credentials.staffId, staffId));
  await w.audit({ action: 'update', entityType: 'credentials', entityId: staffId, before: { locked: true }, after: { locked: false } });
}

export interface LoginState {
  lockedUntil: Date | null;
  lastLoginAt: Date | null;
}

/** Lock and last sign-in of several staff members, for the staff directory. */
export async function loginStates(db: Executor, staffIds: string[], now: Date): Promise<Map<string, LoginState>> {
  if (staffIds.length === 0) return new Map();
  const rows = await db
    .select({ staffId: credentials.staffId, lockedUntil: credentials.lockedUntil, lastLoginAt: credentials.lastLoginAt })
    .from(credentials)
    .where(inArray(credentials.staffId, staffIds));
  return new Map(rows.map((c) => [c.staffId, { lockedUntil: c.lockedUntil && c.lockedUntil > now ? c.lockedUntil : null, lastLoginAt: c.lastLoginAt }]));
}

export type ApiTokenRow = typeof apiTokens.$inferSelect;

export async function createApiToken(ctx: Ctx, input: { name: string; staffId: string | null; expiresAt: Date | null }) {
  // A token that is dead on arrival would only puzzle whoever configures the integration.
  if (input.expiresAt && input.expiresAt <= ctx.clock.now()) throw AuthError('expiry_in_past', { field: 'expiresAt' });
  const staffId = input.staffId ?? ctx.actor.id!;
  const identity = await getIdentity(ctx.db, staffId);
  if (!identity) throw AuthError('staff_not_found', { field: 'staffId' });
  const token = newToken(API_TOKEN_PREFIX);
  const row = await write(ctx, async (w) => {
    const [r] = await w.tx
      .insert(apiTokens)
      .values({
        id: newId(),
        name: input.name,
        prefix: token.slice(0, API_TOKEN_PREFIX.length + 6),
        tokenHash: hashToken(token),
        staffId,
        createdBy: ctx.actor.id!,
        createdAt: w.now,
        expiresAt: input.expiresAt,
      })
      .returning();
    await w.audit({ action: 'create', entityType: 'api_token', entityId: r!.id, after: { name: r!.name, staffId, prefix: r!.prefix } });
    return r!;
  });
  return { token, row };
}

export async function listApiTokens(ctx: Ctx, beforeId: string | undefined, limit: number) {
  return ctx.db
    .select()
    .from(apiTokens)
    .where(beforeId ? lt(apiTokens.id, beforeId) : undefined)
    .orderBy(desc(apiTokens.id))
    .limit(limit + 1);
}

export async function revokeApiToken(ctx: Ctx, id: string): Promise<void> {
  await write(ctx, async (w) => {
    const [r] = await w.tx
      .update(apiTokens)
      .set({ revokedAt: w.now })
      .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
      .returning();
    if (!r) throw AuthError('token_not_found');
    await w.audit({ action: 'revoke', entityType: 'api_token', entityId: id });
    // Realtime connections opened with the token close at once.
    await w.emit({
      type: 'session.revoked',
      entityType: 'api_token',
      entityId: id,
      data: { tokenId: id, staffId: r.staffId },
      audience: { staffIds: [r.staffId] },
    });
  });
}
