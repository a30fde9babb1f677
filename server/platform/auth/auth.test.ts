import { eq } from 'drizzle-orm';
import { permissionsOf } from '../rbac/permissions.ts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectError } from '../../../test/support/errors.ts';
import { DEMO_PASSWORD, createHarness, type Harness } from '../../../test/support/kefu.ts';
import { apiTokens, credentials, sessions } from './schema.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

function signIn(username: string, password = DEMO_PASSWORD, headers: Record<string, string> = {}) {
  return h.api('POST', '/api/auth/login', { body: { username, password }, headers });
}

/** A fresh session of its own (the harness caches one token per user). */
async function newSession(username: string): Promise<string> {
  const res = await signIn(username);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.token;
}

async function staffId(username: string): Promise<string> {
  const { body } = await h.api('GET', `/api/staff?q=${username}`, { as: 'admin' });
  const found = body.data.find((s: { username: string }) => s.username === username);
  if (!found) throw new Error(`no staff ${username}`);
  return found.id;
}

async function credentialsOf(username: string) {
  const id = await staffId(username);
  const [row] = await h.db.database.db.select().from(credentials).where(eq(credentials.staffId, id));
  return row!;
}

async function failTimes(username: string, n: number, everyMs = 0): Promise<Array<{ status: number; body: any; headers: Record<string, unknown> }>> {
  const replies = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) h.clock.advance(everyMs);
    replies.push(await signIn(username, 'wrong-password'));
  }
  return replies;
}

describe('O5 passwords', () => {
  it('O5: passwords are stored as argon2id hashes (OWASP parameters), never in clear', async () => {
    const created = await h.api('POST', '/api/staff', {
      as: 'admin',
      body: { username: 'hash_check', password: 'correct horse battery', displayName: '韩测', role: 'agent' },
    });
    expect(created.status).toBe(201);
    const rows = await h.db.database.db.select().from(credentials);
    expect(rows.length).toBeGreaterThanOrEqual(10);
    for (const row of rows) {
      expect(row.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(JSON.stringify(row)).not.toContain(DEMO_PASSWORD);
    }
    const mine = await credentialsOf('hash_check');
    expect(JSON.stringify(mine)).not.toContain('correct horse battery');
    // Two accounts with the same password do not share a hash (salted).
    expect(new Set(rows.map((r) => r.passwordHash)).size).toBe(rows.length);
    expect((await signIn('hash_check', 'correct horse battery')).status).toBe(200);
  });
});

describe('O5 sign-in', () => {
  it('O5: login answers a token and the user; the token works as Bearer until the session ends', async () => {
    const res = await signIn('agent1');
    expect(res.status).toBe(200);
    expect(res.body.token).toMatch(/^kfs_[A-Za-z0-9_-]{40,}$/);
    expect(res.body.expiresAt).toBe(new Date(h.clock.now().getTime() + 12 * HOUR).toISOString());
    expect(res.body.user).toMatchObject({ username: 'agent1', displayName: '张伟', role: 'agent', roleLabel: '客服专员' });
    expect(res.body.user.permissions).toEqual([...permissionsOf('agent')]);
    expect(res.body.user.permissions).toContain('conversations.handle');
    expect(res.body.user.permissions).not.toContain('audit.read');
    const me = await h.api('GET', '/api/auth/me', { token: res.body.token });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(res.body.user.id);
    // The session row holds a hash of the token only.
    const rows = await h.db.database.db.select().from(sessions);
    expect(JSON.stringify(rows)).not.toContain(res.body.token);
  });

  it('O5: usernames are matched without regard to case', async () => {
    expect((await signIn('Agent1')).status).toBe(200);
  });

  it('O5: a wrong password and an unknown user get the same 401 auth.invalid_credentials', async () => {
    const wrong = await signIn('agent1', 'not-the-password');
    expectError(wrong, 401, 'auth.invalid_credentials');
    const unknown = await signIn('nobody_here', 'not-the-password');
    expectError(unknown, 401, 'auth.invalid_credentials');
    expect(unknown.body).toEqual(wrong.body);
  });

  it('O5: no token, a malformed header or a made-up token is a 401', async () => {
    expectError(await h.api('GET', '/api/auth/me'), 401, 'auth.required');
    expectError(await h.api('GET', '/api/auth/me', { headers: { authorization: 'Basic YWdlbnQxOmtlZnUtZGVtbw==' } }), 401, 'auth.invalid_token');
    expectError(await h.api('GET', '/api/auth/me', { token: 'kfs_made-up-token' }), 401, 'auth.invalid_token');
    expectError(await h.api('GET', '/api/auth/me', { token: 'kefu_made-up-token' }), 401, 'auth.invalid_token');
    expectError(await h.api('GET', '/api/auth/me', { token: 'anything' }), 401, 'auth.invalid_token');
  });
});

describe('O5 lockout', () => {
  it('O5: five failed sign-ins within 15 minutes lock the account for 15 minutes, even against the right password', async () => {
    const replies = await failTimes('agent1', 5, 2 * MIN);
    for (const r of replies.slice(0, 4)) expectError(r, 401, 'auth.invalid_credentials');
    expectError(replies[4]!, 423, 'auth.account_locked');
    expect(replies[4]!.body.error.message).toMatch(/请 15 分钟后再试/);

    expectError(await signIn('agent1'), 423, 'auth.account_locked');
    const view = await h.api('GET', `/api/staff/${await staffId('agent1')}`, { as: 'admin' });
    expect(view.body.lockedUntil).toBe(new Date(h.clock.now().getTime() + 15 * MIN).toISOString());
    // Another account is not affected.
    expect((await signIn('agent2')).status).toBe(200);
  });

  it('O5: the lock lifts by itself after 15 minutes', async () => {
    await failTimes('agent1', 5);
    h.clock.advance(15 * MIN - 1000);
    const still = await signIn('agent1');
    expectError(still, 423, 'auth.account_locked');
    expect(still.body.error.message).toMatch(/请 1 分钟后再试/);
    h.clock.advance(1000);
    expect((await signIn('agent1')).status).toBe(200);
    const view = await h.api('GET', `/api/staff/${await staffId('agent1')}`, { as: 'admin' });
    expect(view.body.lockedUntil).toBeNull();
  });

  it('O5: failures spread over more than 15 minutes do not lock', async () => {
    const replies = await failTimes('agent1', 5, 4 * MIN);
    for (const r of replies) expectError(r, 401, 'auth.invalid_credentials');
    expect((await signIn('agent1')).status).toBe(200);
  });

  it('O5: any five failures within 15 minutes lock, wherever the first one fell (sliding window)', async () => {
    expectError(await signIn('agent1', 'wrong-password'), 401, 'auth.invalid_credentials');
    h.clock.advance(14 * MIN);
    // Four quick failures plus one more after the first has left the window: five within 15 minutes.
    for (const r of await failTimes('agent1', 4, 30_000)) expectError(r, 401, 'auth.invalid_credentials');
    h.clock.advance(30_000);
    expectError(await signIn('agent1', 'wrong-password'), 423, 'auth.account_locked');
  });

  it('O5: wrong current passwords on a password change count towards the lock', async () => {
    const token = await newSession('agent1');
    for (let i = 0; i < 4; i++) {
      const r = await h.api('POST', '/api/auth/password', { token, body: { currentPassword: 'guess-' + i, newPassword: 'a-new-secret' } });
      expectError(r, 400, 'auth.wrong_password');
    }
    const fifth = await h.api('POST', '/api/auth/password', { token, body: { currentPassword: 'guess-5', newPassword: 'a-new-secret' } });
    expectError(fifth, 423, 'auth.account_locked');
    expectError(await signIn('agent1'), 423, 'auth.account_locked');
  });

  it('O5: a successful sign-in resets the failure count', async () => {
    await failTimes('agent1', 4);
    expect((await signIn('agent1')).status).toBe(200);
    expect((await credentialsOf('agent1')).failedAt).toEqual([]);
    const replies = await failTimes('agent1', 4);
    for (const r of replies) expectError(r, 401, 'auth.invalid_credentials');
    expect((await signIn('agent1')).status).toBe(200);
  });

  it('O5: an administrator can lift a lock at once (POST /api/staff/:id/unlocks)', async () => {
    await failTimes('agent1', 5);
    expectError(await signIn('agent1'), 423, 'auth.account_locked');
    const id = await staffId('agent1');
    const unlocked = await h.api('POST', `/api/staff/${id}/unlocks`, { as: 'admin' });
    expect(unlocked.status).toBe(200);
    expect(unlocked.body.lockedUntil).toBeNull();
    expect((await signIn('agent1')).status).toBe(200);
    // The count starts afresh: four more failures do not lock again.
    for (const r of await failTimes('agent1', 4)) expectError(r, 401, 'auth.invalid_credentials');
  });

  it('O5: a locked-out user keeps the sessions already open (the lock guards sign-in, not work in progress)', async () => {
    const token = await newSession('agent1');
    await failTimes('agent1', 5);
    expect((await h.api('GET', '/api/auth/me', { token })).status).toBe(200);
  });
});

describe('O5 sessions', () => {
  it('O5: a session expires 12 hours after sign-in', async () => {
    const token = await newSession('agent1');
    h.clock.advance(12 * HOUR - 1000);
    expect((await h.api('GET', '/api/auth/me', { token })).status).toBe(200);
    h.clock.advance(1000);
    expectError(await h.api('GET', '/api/auth/me', { token }), 401, 'auth.session_expired');
    // Activity does not stretch it, and a new sign-in works.
    expect((await signIn('agent1')).status).toBe(200);
  });

  it('O5: logout revokes the session; other sessions of the same user stay', async () => {
    const phone = await newSession('agent1');
    const desk = await newSession('agent1');
    const out = await h.api('POST', '/api/auth/logout', { token: desk });
    expect(out.status).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/kefu_session=;/);
    expectError(await h.api('GET', '/api/auth/me', { token: desk }), 401, 'auth.session_revoked');
    expect((await h.api('GET', '/api/auth/me', { token: phone })).status).toBe(200);
  });

  it('O5: a user lists their own active sessions and revokes one', async () => {
    const first = await newSession('agent1');
    const second = await newSession('agent1');
    await newSession('agent2');
    const list = await h.api('GET', '/api/sessions', { token: first });
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(2);
    const current = list.body.data.filter((s: { current: boolean }) => s.current);
    expect(current).toHaveLength(1);
    const other = list.body.data.find((s: { current: boolean }) => !s.current);

    expect((await h.api('DELETE', `/api/sessions/${other.id}`, { token: first })).status).toBe(204);
    expectError(await h.api('GET', '/api/auth/me', { token: second }), 401, 'auth.session_revoked');
    const active = await h.api('GET', '/api/sessions', { token: first });
    expect(active.body.data.map((s: { id: string }) => s.id)).toEqual([current[0].id]);
    const all = await h.api('GET', '/api/sessions?active=false', { token: first });
    expect(all.body.data.find((s: { id: string }) => s.id === other.id)).toMatchObject({ revokedReason: 'revoked' });
  });

  it('O5: the sessions of others can be listed and revoked only with sessions.manage', async () => {
    const victim = await newSession('agent2');
    const agent2 = await staffId('agent2');
    expectError(await h.api('GET', `/api/sessions?staffId=${agent2}`, { as: 'agent1' }), 403, 'auth.forbidden');
    expectError(await h.api('GET', `/api/sessions?staffId=${agent2}`, { as: 'manager1' }), 403, 'auth.forbidden');
    const seen = await h.api('GET', `/api/sessions?staffId=${agent2}`, { as: 'admin' });
    expect(seen.status).toBe(200);
    expect(seen.body.data).toHaveLength(1);
    const sessionId = seen.body.data[0].id;

    // Without the right, another's session looks like no session at all.
    expectError(await h.api('DELETE', `/api/sessions/${sessionId}`, { as: 'agent1' }), 404, 'auth.session_not_found');
    expectError(await h.api('DELETE', `/api/sessions/${sessionId}`, { as: 'lead1' }), 404, 'auth.session_not_found');
    expect((await h.api('GET', '/api/auth/me', { token: victim })).status).toBe(200);

    expect((await h.api('DELETE', `/api/sessions/${sessionId}`, { as: 'admin' })).status).toBe(204);
    expectError(await h.api('GET', '/api/auth/me', { token: victim }), 401, 'auth.session_revoked');
  });

  it('O2: a change of role applies at once to the sessions already open', async () => {
    const token = await newSession('agent2');
    const id = await staffId('agent2');
    expectError(await h.api('GET', '/api/audit', { token }), 403, 'auth.forbidden');
    expect((await h.api('PATCH', `/api/staff/${id}`, { as: 'admin', body: { role: 'manager' } })).status).toBe(200);
    expect((await h.api('GET', '/api/audit', { token })).status).toBe(200);
    expect((await h.api('GET', '/api/auth/me', { token })).body.permissions).toContain('audit.read');
    expect((await h.api('PATCH', `/api/staff/${id}`, { as: 'admin', body: { role: 'agent' } })).status).toBe(200);
    expectError(await h.api('GET', '/api/audit', { token }), 403, 'auth.forbidden');
  });

  it('O5: changing the password checks the current one, keeps this session and ends the others', async () => {
    const here = await newSession('agent1');
    const elsewhere = await newSession('agent1');

    const wrong = await h.api('POST', '/api/auth/password', { token: here, body: { currentPassword: 'not-it', newPassword: 'a-new-secret' } });
    expect(expectError(wrong, 400, 'auth.wrong_password').field).toBe('currentPassword');
    expect((await h.api('GET', '/api/auth/me', { token: elsewhere })).status).toBe(200);
    const short = await h.api('POST', '/api/auth/password', { token: here, body: { currentPassword: DEMO_PASSWORD, newPassword: 'short' } });
    expectError(short, 400);
    expect((await signIn('agent1')).status).toBe(200);

    const ok = await h.api('POST', '/api/auth/password', { token: here, body: { currentPassword: DEMO_PASSWORD, newPassword: 'a-new-secret' } });
    expect(ok.status).toBe(204);
    expect((await h.api('GET', '/api/auth/me', { token: here })).status).toBe(200);
    expectError(await h.api('GET', '/api/auth/me', { token: elsewhere }), 401, 'auth.session_revoked');
    expectError(await signIn('agent1'), 401, 'auth.invalid_credentials');
    expect((await signIn('agent1', 'a-new-secret')).status).toBe(200);
  });
});

describe('O5 API tokens', () => {
  async function createToken(body: Record<string, unknown>) {
    const res = await h.api('POST', '/api/api-tokens', { as: 'admin', body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; token: string; prefix: string; staffId: string };
  }

  it('O5: an API token is shown once, stored hashed, and acts with its staff member’s permissions', async () => {
    const agent1 = await staffId('agent1');
    const created = await createToken({ name: '工单系统对接', staffId: agent1 });
    expect(created.token).toMatch(/^kefu_[A-Za-z0-9_-]{40,}$/);
    expect(created.token.startsWith(created.prefix)).toBe(true);
    expect(created.staffId).toBe(agent1);

    const list = await h.api('GET', '/api/api-tokens', { as: 'admin' });
    const listed = list.body.data.find((t: { id: string }) => t.id === created.id);
    expect(listed).toMatchObject({ name: '工单系统对接', prefix: created.prefix });
    expect(listed).not.toHaveProperty('token');
    expect(JSON.stringify(list.body)).not.toContain(created.token);

    const rows = await h.db.database.db.select().from(apiTokens);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(created.token);
    expect(rows[0]!.tokenHash).toMatch(/^[0-9a-f]{64}$/);

    const me = await h.api('GET', '/api/auth/me', { token: created.token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: agent1, role: 'agent' });
    expect((await h.api('GET', '/api/departments', { token: created.token })).status).toBe(200);
    expectError(await h.api('GET', '/api/audit', { token: created.token }), 403, 'auth.forbidden');
    expectError(await h.api('GET', '/api/api-tokens', { token: created.token }), 403, 'auth.forbidden');
    // A token does not need the Origin check: it is not a browser cookie.
    expect((await h.api('GET', '/api/departments', { token: created.token, headers: { origin: 'https://elsewhere.example' } })).status).toBe(200);

    const own = await createToken({ name: '管理脚本' });
    expect((await h.api('GET', '/api/audit', { token: own.token })).status).toBe(200);
  });

  it('O5: a revoked API token gets 401', async () => {
    const t = await createToken({ name: 'crm', staffId: await staffId('agent1') });
    expect((await h.api('GET', '/api/auth/me', { token: t.token })).status).toBe(200);
    expect((await h.api('DELETE', `/api/api-tokens/${t.id}`, { as: 'admin' })).status).toBe(204);
    expectError(await h.api('GET', '/api/auth/me', { token: t.token }), 401, 'auth.invalid_token');
    const list = await h.api('GET', '/api/api-tokens', { as: 'admin' });
    expect(list.body.data[0].revokedAt).toBe(h.clock.now().toISOString());
    expectError(await h.api('DELETE', `/api/api-tokens/${t.id}`, { as: 'admin' }), 404, 'auth.token_not_found');
  });

  it('O5: an expired API token gets 401', async () => {
    const expiresAt = new Date(h.clock.now().getTime() + HOUR).toISOString();
    const t = await createToken({ name: 'nightly export', staffId: await staffId('agent1'), expiresAt });
    h.clock.advance(HOUR - 1000);
    expect((await h.api('GET', '/api/auth/me', { token: t.token })).status).toBe(200);
    h.clock.advance(1000);
    expectError(await h.api('GET', '/api/auth/me', { token: t.token }), 401, 'auth.token_expired');
  });

  it('O5: an API token cannot be created already expired', async () => {
    const res = await h.api('POST', '/api/api-tokens', { as: 'admin', body: { name: 'stale', expiresAt: h.clock.now().toISOString() } });
    expect(expectError(res, 400, 'auth.expiry_in_past').field).toBe('expiresAt');
    expect((await h.api('GET', '/api/api-tokens', { as: 'admin' })).body.data).toEqual([]);
  });

  it('O5: the API token of a disabled staff member stops working', async () => {
    const agent2 = await staffId('agent2');
    const t = await createToken({ name: 'bot', staffId: agent2 });
    expect((await h.api('GET', '/api/auth/me', { token: t.token })).status).toBe(200);
    expect((await h.api('PATCH', `/api/staff/${agent2}`, { as: 'admin', body: { status: 'disabled' } })).status).toBe(200);
    expectError(await h.api('GET', '/api/auth/me', { token: t.token }), 403, 'auth.account_disabled');
  });

  it('O5: a token for an unknown staff member is refused', async () => {
    const res = await h.api('POST', '/api/api-tokens', { as: 'admin', body: { name: 'x', staffId: '01900000-0000-7000-8000-000000000000' } });
    expect(expectError(res, 404, 'auth.staff_not_found').field).toBe('staffId');
  });
});

describe('O5 browser cookie', () => {
  function withCookie(method: 'GET' | 'POST', url: string, token: string, headers: Record<string, string> = {}) {
    return h.api(method, url, { headers: { cookie: `kefu_session=${token}`, ...headers } });
  }

  it('O5: login sets an httpOnly session cookie that authenticates GET requests', async () => {
    const res = await signIn('agent1');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toContain(`kefu_session=${res.body.token}`);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const me = await withCookie('GET', '/api/auth/me', res.body.token);
    expect(me.status).toBe(200);
    expect(me.body.username).toBe('agent1');
    expect((await withCookie('GET', '/api/auth/me', res.body.token, { origin: 'https://evil.example' })).status).toBe(200);
    expectError(await withCookie('GET', '/api/audit', res.body.token), 403, 'auth.forbidden');
  });

  it('O5: a cookie-authenticated POST from another origin is refused with 403 auth.cross_origin', async () => {
    const token = await newSession('agent1');
    const host = { host: 'kefu.example.com' };
    expectError(await withCookie('POST', '/api/auth/logout', token, { ...host, origin: 'https://evil.example' }), 403, 'auth.cross_origin');
    expectError(await withCookie('POST', '/api/auth/logout', token, { ...host, origin: 'not a url' }), 403, 'auth.cross_origin');
    expect((await h.api('GET', '/api/auth/me', { token })).status).toBe(200);
    expect((await withCookie('POST', '/api/auth/logout', token, { ...host, origin: 'https://kefu.example.com' })).status).toBe(204);
    expectError(await h.api('GET', '/api/auth/me', { token }), 401, 'auth.session_revoked');
  });
});
