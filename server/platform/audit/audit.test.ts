import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectError } from '../../../test/support/errors.ts';
import { DEMO_PASSWORD, createHarness, type Harness } from '../../../test/support/kefu.ts';
import { auditLog } from './schema.ts';

/** O4: every change and every reveal is recorded with who, when and what; the log is append-only and searchable. */

const MIN = 60_000;
const HOUR = 60 * MIN;

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

interface Entry {
  id: number;
  at: string;
  actorId: string | null;
  actorType: string;
  actorName: string | null;
  action: string;
  entityType: string;
  entityId: string | null;
  before: any;
  after: any;
  diff: any;
  reason: string | null;
  ip: string | null;
}

async function audit(query = ''): Promise<Entry[]> {
  const res = await h.api('GET', `/api/audit?limit=200${query ? `&${query}` : ''}`, { as: 'admin' });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data;
}

async function idOf(username: string): Promise<string> {
  const { body } = await h.api('GET', `/api/auth/me`, { as: username });
  return body.id;
}

async function staffId(username: string): Promise<string> {
  const { body } = await h.api('GET', `/api/staff?q=${username}`, { as: 'admin' });
  return body.data.find((s: { username: string }) => s.username === username).id;
}

function signIn(username: string, password = DEMO_PASSWORD) {
  return h.api('POST', '/api/auth/login', { body: { username, password } });
}

describe('O4 changes are recorded', () => {
  it('O4: creating, changing and deleting a department records actor, time, entity, before/after and a diff of the changed fields only', async () => {
    h.clock.set('2026-03-03T10:00:00+08:00');
    const admin = await idOf('admin');
    const created = await h.api('POST', '/api/departments', { as: 'admin', body: { code: 'after_sales', name: '售后部', kind: 'customer_service' } });
    expect(created.status).toBe(201);
    const id = created.body.id;

    h.clock.set('2026-03-03T11:30:00+08:00');
    expect((await h.api('PATCH', `/api/departments/${id}`, { as: 'admin', body: { name: '售后服务部' } })).status).toBe(200);
    h.clock.set('2026-03-03T12:00:00+08:00');
    expect((await h.api('DELETE', `/api/departments/${id}`, { as: 'admin' })).status).toBe(204);

    const entries = await audit(`entityType=department&entityId=${id}`);
    expect(entries.map((e) => e.action)).toEqual(['delete', 'update', 'create']);
    const [del, upd, cre] = entries as [Entry, Entry, Entry];
    for (const e of entries) expect(e).toMatchObject({ actorId: admin, actorType: 'staff', actorName: '系统管理员', entityType: 'department', entityId: id });

    expect(cre.at).toBe('2026-03-03T02:00:00.000Z');
    expect(cre.before).toBeNull();
    expect(cre.after).toMatchObject({ id, code: 'after_sales', name: '售后部', kind: 'customer_service' });
    expect(cre.diff.name).toEqual({ from: null, to: '售后部' });

    expect(upd.at).toBe('2026-03-03T03:30:00.000Z');
    expect(upd.before.name).toBe('售后部');
    expect(upd.after.name).toBe('售后服务部');
    expect(upd.diff).toEqual({
      name: { from: '售后部', to: '售后服务部' },
      updatedAt: { from: '2026-03-03T02:00:00.000Z', to: '2026-03-03T03:30:00.000Z' },
    });

    expect(del.at).toBe('2026-03-03T04:00:00.000Z');
    expect(del.before).toMatchObject({ id, name: '售后服务部' });
    expect(del.after).toBeNull();
    expect(del.diff.name).toEqual({ from: '售后服务部', to: null });
  });

  it('O4: a refused change writes no audit entry', async () => {
    const before = (await audit()).length;
    const dup = await h.api('POST', '/api/departments', { as: 'admin', body: { code: 'quality', name: '质检二部', kind: 'quality' } });
    expectError(dup, 409, 'org.code_taken');
    expectError(await h.api('POST', '/api/departments', { as: 'agent1', body: { code: 'x_dept', name: 'x', kind: 'quality' } }), 403);
    // Only the sign-ins of the two callers were added.
    const after = await audit();
    expect(after.length - before).toBe(1);
    expect(after[0]!.action).toBe('login');
  });

  it('O4: creating and changing a staff member is recorded, with personal fields masked in before, after and diff', async () => {
    const created = await h.api('POST', '/api/staff', {
      as: 'admin',
      body: { username: 'zhoumin', password: 'a-long-secret', displayName: '周敏', role: 'agent', phone: '13912345678', email: 'zhoumin@example.com', idNumber: '11010519900701002X' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    h.clock.advance(HOUR);
    const patched = await h.api('PATCH', `/api/staff/${id}`, { as: 'admin', body: { phone: '13700001111', displayName: '周敏敏' } });
    expect(patched.status).toBe(200);

    const [upd, cre] = (await audit(`entityType=staff&entityId=${id}`)) as [Entry, Entry];
    expect(cre.action).toBe('create');
    expect(cre.after).toMatchObject({ username: 'zhoumin', phone: '139****5678', email: 'z***@example.com', idNumber: '110105********002X' });
    expect(upd.action).toBe('update');
    expect(upd.before).toMatchObject({ phone: '139****5678', displayName: '周敏' });
    expect(upd.after).toMatchObject({ phone: '137****1111', displayName: '周敏敏' });
    expect(Object.keys(upd.diff).sort()).toEqual(['displayName', 'phone', 'updatedAt']);
    expect(upd.diff.phone).toEqual({ from: '139****5678', to: '137****1111' });

    const everything = JSON.stringify(await h.db.database.db.select().from(auditLog));
    for (const clear of ['13912345678', '13700001111', 'zhoumin@example.com', '11010519900701002X', 'a-long-secret']) expect(everything).not.toContain(clear);
  });

  // Fails today: the diff is computed from the masked views, so a change hidden by the mask
  // (a***@example.com → a***@example.com) vanishes from the log. Fix belongs in platform/write.ts.
  it('O4: a change of a personal field is in the diff even when old and new look alike once masked', async () => {
    const created = await h.api('POST', '/api/staff', {
      as: 'admin',
      body: { username: 'alice', password: 'a-long-secret', displayName: '艾丽', role: 'agent', email: 'alice@example.com' },
    });
    await h.api('PATCH', `/api/staff/${created.body.id}`, { as: 'admin', body: { email: 'amy@example.com' } });
    const [upd] = await audit(`entityType=staff&entityId=${created.body.id}&action=update`);
    expect(Object.keys(upd!.diff)).toContain('email');
  });

  it('O4: a level change records the old and new level, by whom and why', async () => {
    const agent2 = await staffId('agent2');
    const res = await h.api('POST', `/api/staff/${agent2}/level-changes`, { as: 'manager1', body: { level: 'intermediate', reason: '季度考核优秀' } });
    expect(res.status).toBe(201);
    const [entry] = await audit(`entityType=staff&entityId=${agent2}`);
    expect(entry).toMatchObject({
      action: 'update',
      actorId: await idOf('manager1'),
      reason: '季度考核优秀',
      diff: { level: { from: 'junior', to: 'intermediate' } },
    });
  });
});

describe('O4 sign-in events are recorded', () => {
  it('O4: a sign-in, a failed sign-in and a lockout each leave an entry', async () => {
    const agent1 = await staffId('agent1');
    const ok = await signIn('agent1');
    expect(ok.status).toBe(200);
    const [login] = await audit(`action=login&actorId=${agent1}`);
    expect(login).toMatchObject({ actorId: agent1, actorType: 'staff', entityType: 'session', at: h.clock.now().toISOString() });
    expect(login!.after.staffId).toBe(agent1);

    h.clock.advance(MIN);
    for (let i = 0; i < 5; i++) await signIn('agent1', 'wrong-password');
    const failed = await audit(`action=login_failed&entityId=${agent1}`);
    expect(failed).toHaveLength(5);
    // The caller did not prove who they are: the attempt is on agent1's account, not by agent1.
    for (const f of failed) expect(f).toMatchObject({ entityType: 'staff', entityId: agent1, actorId: null, actorType: 'anonymous', ip: '127.0.0.1' });

    const [lock] = await audit(`action=lock&entityId=${agent1}`);
    expect(lock).toMatchObject({ entityType: 'staff', after: { lockedUntil: new Date(h.clock.now().getTime() + 15 * MIN).toISOString() } });

    expect((await h.api('POST', `/api/staff/${agent1}/unlocks`, { as: 'admin' })).status).toBe(200);
    const [unlock] = await audit(`entityType=credentials&entityId=${agent1}`);
    expect(unlock).toMatchObject({ action: 'update', actorId: await idOf('admin'), before: { locked: true }, after: { locked: false } });
  });

  it('O4: logout and session revocation are recorded', async () => {
    const token = (await signIn('agent1')).body.token;
    expect((await h.api('POST', '/api/auth/logout', { token })).status).toBe(204);
    const [entry] = await audit('action=revoke&entityType=session');
    expect(entry).toMatchObject({ actorId: await staffId('agent1'), reason: 'logout' });
  });
});

describe('O4 searching the log', () => {
  /** Entries by three actors over three hours. */
  async function history() {
    // A day after the reset: everyone signs in afresh.
    h.clock.set('2026-03-03T09:00:00+08:00');
    const dept = (await h.api('POST', '/api/departments', { as: 'admin', body: { code: 'after_sales', name: '售后部', kind: 'customer_service' } })).body.id;
    h.clock.set('2026-03-03T10:00:00+08:00');
    const agent2 = await staffId('agent2');
    await h.api('POST', `/api/staff/${agent2}/level-changes`, { as: 'manager1', body: { level: 'intermediate', reason: '考核优秀' } });
    h.clock.set('2026-03-03T11:00:00+08:00');
    await h.api('PATCH', `/api/departments/${dept}`, { as: 'admin', body: { name: '售后服务部' } });
    return { dept, agent2 };
  }

  it('O4: filters by entity type, entity, actor, action and time combine', async () => {
    const { dept, agent2 } = await history();
    const manager1 = await idOf('manager1');

    const depts = await audit('entityType=department');
    expect(depts.every((e) => e.entityType === 'department')).toBe(true);
    expect(depts.filter((e) => e.entityId === dept).map((e) => e.action)).toEqual(['update', 'create']);
    expect(depts.some((e) => e.entityId === agent2)).toBe(false);
    expect((await audit(`entityId=${dept}`)).map((e) => e.action)).toEqual(['update', 'create']);

    const byManager = await audit(`actorId=${manager1}`);
    expect(byManager.length).toBeGreaterThanOrEqual(2);
    expect(byManager.every((e) => e.actorId === manager1)).toBe(true);
    expect(byManager.some((e) => e.entityId === agent2 && e.action === 'update')).toBe(true);

    const updates = await audit('action=update&entityType=department');
    expect(updates).toHaveLength(1);
    expect(updates[0]!.after.name).toBe('售后服务部');

    const window = await audit(`from=${encodeURIComponent('2026-03-03T09:30:00+08:00')}&to=${encodeURIComponent('2026-03-03T10:30:00+08:00')}`);
    expect(window.length).toBeGreaterThanOrEqual(1);
    expect(window.every((e) => e.at >= '2026-03-03T01:30:00.000Z' && e.at <= '2026-03-03T02:30:00.000Z')).toBe(true);
    expect(window.some((e) => e.entityId === agent2)).toBe(true);
    expect(window.some((e) => e.entityType === 'department')).toBe(false);

    // The bounds are inclusive.
    const exact = await audit(`entityType=department&from=${encodeURIComponent('2026-03-03T11:00:00+08:00')}`);
    expect(exact.map((e) => e.action)).toEqual(['update']);
    expect((await audit(`entityId=${dept}&to=${encodeURIComponent('2026-03-03T09:00:00+08:00')}`)).map((e) => e.action)).toEqual(['create']);
    expect(await audit(`entityId=${dept}&to=${encodeURIComponent('2026-03-03T08:59:59+08:00')}`)).toEqual([]);
    expect(await audit('action=reveal')).toEqual([]);
  });

  it('O4: a malformed filter is a 400, not an empty page', async () => {
    expectError(await h.api('GET', '/api/audit?from=yesterday', { as: 'admin' }), 400);
    expectError(await h.api('GET', '/api/audit?colour=red', { as: 'admin' }), 400);
    expectError(await h.api('GET', '/api/audit?cursor=bm90LWEtY3Vyc29y', { as: 'admin' }), 400, 'request.invalid_cursor');
    expectError(await h.api('GET', '/api/audit?limit=201', { as: 'admin' }), 400);
  });

  it('O4: cursor paging walks every entry once, newest first', async () => {
    await history();
    const all = await audit();
    expect(all.length).toBeGreaterThanOrEqual(6);
    const ids = all.map((e) => e.id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);

    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await h.api('GET', url, { as: 'admin' });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((e: Entry) => e.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    // The reads above signed admin in before the walk, so nothing new was written during it.
    expect(seen).toEqual(ids);
  });
});

describe('O4 who may read, and nobody may rewrite', () => {
  it('O4: only managers, general managers and administrators read the audit log', async () => {
    const gm = await h.api('POST', '/api/staff', { as: 'admin', body: { username: 'gm1', password: DEMO_PASSWORD, displayName: '总经理', role: 'general_manager' } });
    expect(gm.status).toBe(201);
    for (const who of ['manager1', 'gm1', 'admin']) expect((await h.api('GET', '/api/audit', { as: who })).status, who).toBe(200);
    for (const who of ['agent1', 'lead1', 'qa1', 'trainer1', 'engineer1', 'partner1']) {
      expectError(await h.api('GET', '/api/audit', { as: who }), 403, 'auth.forbidden');
    }
    expectError(await h.api('GET', '/api/audit'), 401, 'auth.required');
  });

  it('O4: the database refuses UPDATE and DELETE on audit_log', async () => {
    await signIn('agent1');
    const before = await h.db.database.db.select().from(auditLog);
    expect(before.length).toBeGreaterThan(0);
    await expect(h.db.database.db.execute(sql`update audit_log set action = 'tampered'`)).rejects.toThrow();
    await expect(h.db.database.db.execute(sql`update audit_log set reason = 'x' where id = ${before[0]!.id}`)).rejects.toThrow();
    await expect(h.db.database.db.execute(sql`delete from audit_log`)).rejects.toThrow();
    await expect(h.db.database.db.execute(sql`delete from audit_log where id = ${before[0]!.id}`)).rejects.toThrow();
    expect(await h.db.database.db.select().from(auditLog)).toEqual(before);
  });

  it('O4: no API route writes to the audit log directly', () => {
    const routes = h.kefu.routes.filter((r) => r.url.startsWith('/api/audit'));
    expect(routes.length).toBeGreaterThan(0);
    expect(routes.filter((r) => r.method !== 'GET' && r.method !== 'HEAD')).toEqual([]);
  });
});
