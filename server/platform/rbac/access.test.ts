import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../../test/support/errors.ts';
import { DEMO_PASSWORD, createHarness } from '../../../test/support/kefu.ts';
import type { RouteInfo } from '../auth/hook.ts';
import { PERMISSIONS, ROLES, isPermission, permissionsOf, type Access, type Role } from './permissions.ts';

/**
 * Acceptance 4 / O2: every route × every role (and anonymous) answers as the permission table says:
 * 401 without a sign-in, 403 without the permission, success with it. Each route needs a valid
 * sample request below, so that a holder of the permission really gets through; a new route
 * without a sample fails here until one is added.
 */

// The route list is needed to name the tests, so the harness opens while the file is collected.
const h = await createHarness();
afterAll(() => h.close());

const USERNAMES: Record<Role, string> = {
  agent: 'agent1',
  team_lead: 'lead1',
  qa: 'qa1',
  trainer: 'trainer1',
  engineer: 'engineer1',
  manager: 'manager1',
  general_manager: 'gm1',
  admin: 'admin',
  partner: 'partner1',
};

/** Swagger UI's static files are third-party assets; everything else is walked. */
const walked = (r: RouteInfo) => r.method !== 'HEAD' && !r.url.startsWith('/api/docs/static/');
const ROUTES = h.kefu.routes.filter(walked);
const keyOf = (r: { method: string; url: string }) => `${r.method} ${r.url}`;

interface Caller {
  role: Role | null;
  username: string | null;
}

interface Sample {
  url: string;
  body?: unknown;
  /** Use this token instead of the caller's usual one (for calls that end the session they use). */
  token?: string;
  /** The success status when it is not 2xx. */
  ok?: number;
}

type Build = (c: Caller) => Promise<Sample> | Sample;

// ----- fixtures, all made through the API as admin -----

let seq = 0;
const unique = (prefix: string) => `${prefix}${++seq}`;
const fx = {
  opsDept: '',
  opsTeam: '',
  agent2: '',
  currentPolicy: '',
  webhook: '',
};

async function asAdmin(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) {
  const res = await h.api(method, url, { as: 'admin', body });
  if (res.status >= 300) throw new Error(`fixture ${method} ${url} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function freshSession(username: string): Promise<string> {
  const res = await h.api('POST', '/api/auth/login', { body: { username, password: DEMO_PASSWORD } });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status}`);
  return res.body.token;
}

const newDepartment = async (): Promise<string> => (await asAdmin('POST', '/api/departments', { code: unique('walk_dept_'), name: '临时部门', kind: 'customer_service' })).id;
const newTeam = async (): Promise<string> => (await asAdmin('POST', '/api/teams', { code: unique('walk_team_'), name: '临时班组', departmentId: fx.opsDept })).id;
const newWebhook = async (): Promise<string> =>
  (await asAdmin('POST', '/api/webhooks', { name: unique('hook'), url: 'https://hooks.example.com/kefu', eventTypes: ['staff.*'] })).id;

/** The open (draft or approved) policy version, if any. */
async function openPolicy(): Promise<{ id: string; status: string } | undefined> {
  const list = await asAdmin('GET', '/api/policies?limit=200');
  return list.data.find((p: { status: string }) => p.status === 'draft' || p.status === 'approved');
}
async function noOpenPolicy(): Promise<void> {
  const open = await openPolicy();
  if (!open) return;
  if (open.status === 'draft') await asAdmin('POST', `/api/policies/${open.id}/approvals`);
  await asAdmin('POST', `/api/policies/${open.id}/publications`);
}
async function draftPolicy(): Promise<string> {
  const open = await openPolicy();
  if (open?.status === 'draft') return open.id;
  if (open) return (await asAdmin('POST', `/api/policies/${open.id}/rejections`, { comment: '退回重拟' })).id;
  return (await asAdmin('POST', '/api/policies', { note: '访问测试' })).id;
}
async function approvedPolicy(): Promise<string> {
  const open = await openPolicy();
  if (open?.status === 'approved') return open.id;
  return (await asAdmin('POST', `/api/policies/${await draftPolicy()}/approvals`)).id;
}

const SAMPLES: Record<string, Build> = {
  'GET /': () => ({ url: '/' }),
  'GET /api/health': () => ({ url: '/api/health' }),
  'GET /api/openapi.json': () => ({ url: '/api/openapi.json' }),
  'GET /api/docs': () => ({ url: '/api/docs' }),
  'GET /api/docs/json': () => ({ url: '/api/docs/json' }),
  'GET /api/docs/yaml': () => ({ url: '/api/docs/yaml' }),
  'GET /api/realtime': () => ({ url: '/api/realtime', ok: 426 }),

  'POST /api/auth/login': (c) => ({ url: '/api/auth/login', body: { username: c.username ?? 'agent1', password: DEMO_PASSWORD } }),
  'POST /api/auth/logout': async (c) => ({ url: '/api/auth/logout', ...(c.username ? { token: await freshSession(c.username) } : {}) }),
  'GET /api/auth/me': () => ({ url: '/api/auth/me' }),
  // The same password again: the caller's own session stays, later logins still work.
  'POST /api/auth/password': () => ({ url: '/api/auth/password', body: { currentPassword: DEMO_PASSWORD, newPassword: DEMO_PASSWORD } }),
  'GET /api/sessions': () => ({ url: '/api/sessions' }),
  'DELETE /api/sessions/:id': async (c) => {
    if (!c.username) return { url: '/api/sessions/01900000-0000-7000-8000-000000000000' };
    // Each caller ends another session of their own (others' sessions need sessions.manage).
    const spare = await freshSession(c.username);
    const list = await h.api('GET', '/api/sessions', { token: spare });
    const id = list.body.data.find((s: { current: boolean }) => s.current).id;
    return { url: `/api/sessions/${id}` };
  },
  'GET /api/api-tokens': () => ({ url: '/api/api-tokens' }),
  'POST /api/api-tokens': () => ({ url: '/api/api-tokens', body: { name: unique('token ') } }),
  'DELETE /api/api-tokens/:id': async () => ({ url: `/api/api-tokens/${(await asAdmin('POST', '/api/api-tokens', { name: unique('doomed ') })).id}` }),

  'GET /api/departments': () => ({ url: '/api/departments' }),
  'POST /api/departments': () => ({ url: '/api/departments', body: { code: unique('walk_new_'), name: '新部门', kind: 'customer_service' } }),
  'GET /api/departments/:id': () => ({ url: `/api/departments/${fx.opsDept}` }),
  'PATCH /api/departments/:id': () => ({ url: `/api/departments/${fx.opsDept}`, body: { description: unique('说明 ') } }),
  'DELETE /api/departments/:id': async () => ({ url: `/api/departments/${await newDepartment()}` }),

  'GET /api/teams': () => ({ url: '/api/teams' }),
  'POST /api/teams': () => ({ url: '/api/teams', body: { code: unique('walk_new_team_'), name: '新班组', departmentId: fx.opsDept } }),
  'GET /api/teams/:id': () => ({ url: `/api/teams/${fx.opsTeam}` }),
  'PATCH /api/teams/:id': () => ({ url: `/api/teams/${fx.opsTeam}`, body: { name: unique('热线一组 ') } }),
  'DELETE /api/teams/:id': async () => ({ url: `/api/teams/${await newTeam()}` }),

  'GET /api/staff': () => ({ url: '/api/staff' }),
  'POST /api/staff': () => ({ url: '/api/staff', body: { username: unique('walker'), password: DEMO_PASSWORD, displayName: '新员工', role: 'agent' } }),
  'GET /api/staff/:id': () => ({ url: `/api/staff/${fx.agent2}` }),
  'PATCH /api/staff/:id': () => ({ url: `/api/staff/${fx.agent2}`, body: { employeeNo: unique('KF') } }),
  'GET /api/staff/:id/level-changes': () => ({ url: `/api/staff/${fx.agent2}/level-changes` }),
  // A junior in manager1's own department: managers may change levels only there.
  'POST /api/staff/:id/level-changes': async () => {
    const target = await asAdmin('POST', '/api/staff', {
      username: unique('junior'),
      password: DEMO_PASSWORD,
      displayName: '新人',
      role: 'agent',
      departmentId: fx.opsDept,
      level: 'junior',
    });
    return { url: `/api/staff/${target.id}/level-changes`, body: { level: 'intermediate', reason: '考核合格' } };
  },
  'POST /api/staff/:id/password-resets': () => ({ url: `/api/staff/${fx.agent2}/password-resets`, body: { newPassword: DEMO_PASSWORD } }),
  'POST /api/staff/:id/unlocks': () => ({ url: `/api/staff/${fx.agent2}/unlocks` }),

  'GET /api/policies': () => ({ url: '/api/policies' }),
  'GET /api/policies/current': () => ({ url: '/api/policies/current' }),
  'GET /api/policies/:id': () => ({ url: `/api/policies/${fx.currentPolicy}` }),
  'POST /api/policies': async () => {
    await noOpenPolicy();
    return { url: '/api/policies', body: { note: unique('修订 ') } };
  },
  'PATCH /api/policies/:id': async () => ({ url: `/api/policies/${await draftPolicy()}`, body: { note: unique('修改 ') } }),
  'POST /api/policies/:id/approvals': async () => ({ url: `/api/policies/${await draftPolicy()}/approvals` }),
  'POST /api/policies/:id/rejections': async () => ({ url: `/api/policies/${await draftPolicy()}/rejections`, body: { comment: '请补充依据' } }),
  'POST /api/policies/:id/publications': async () => ({ url: `/api/policies/${await approvedPolicy()}/publications` }),
  'GET /api/presets': () => ({ url: '/api/presets' }),

  'GET /api/audit': () => ({ url: '/api/audit' }),
  'POST /api/reveals': () => ({ url: '/api/reveals', body: { entityType: 'staff', entityId: fx.agent2, field: 'phone', reason: '回拨核实联系方式' } }),

  'GET /api/webhooks': () => ({ url: '/api/webhooks' }),
  'POST /api/webhooks': () => ({ url: '/api/webhooks', body: { name: unique('hook '), url: 'https://hooks.example.com/new', eventTypes: ['*'] } }),
  'GET /api/webhooks/:id': () => ({ url: `/api/webhooks/${fx.webhook}` }),
  'PATCH /api/webhooks/:id': () => ({ url: `/api/webhooks/${fx.webhook}`, body: { name: unique('renamed ') } }),
  'DELETE /api/webhooks/:id': async () => ({ url: `/api/webhooks/${await newWebhook()}` }),
  'GET /api/webhooks/:id/deliveries': () => ({ url: `/api/webhooks/${fx.webhook}/deliveries` }),
  'POST /api/webhooks/:id/pings': () => ({ url: `/api/webhooks/${fx.webhook}/pings` }),
};

function allowed(access: Access, role: Role): boolean {
  if (access === 'public' || access === 'authenticated') return true;
  return permissionsOf(role).has(access);
}

describe('O2 the permission table', () => {
  it('O2: every route declares public, authenticated or a permission of the table', () => {
    const wrong = h.kefu.routes.filter((r) => r.access !== 'public' && r.access !== 'authenticated' && !isPermission(r.access));
    expect(wrong.map(keyOf)).toEqual([]);
  });

  it('O2: the walk below has a sample for every route, and none for a route that is gone', () => {
    expect(ROUTES.map(keyOf).filter((k) => !SAMPLES[k])).toEqual([]);
    const live = new Set(ROUTES.map(keyOf));
    expect(Object.keys(SAMPLES).filter((k) => !live.has(k))).toEqual([]);
  });

  it('O2: only the sign-in, health, landing page and API documentation are public', () => {
    const pub = ROUTES.filter((r) => r.access === 'public').map(keyOf);
    expect(pub.filter((k) => !/^GET \/api\/docs/.test(k)).sort()).toEqual(['GET /', 'GET /api/health', 'GET /api/openapi.json', 'POST /api/auth/login']);
  });

  it('O2: partner staff hold no permission of the service side', () => {
    expect([...permissionsOf('partner')]).toEqual([]);
    for (const [permission, roles] of Object.entries(PERMISSIONS)) {
      expect(roles.length, permission).toBeGreaterThan(0);
      expect(roles.every((r) => (ROLES as readonly string[]).includes(r)), permission).toBe(true);
    }
  });
});

describe('O2 route × role walk (acceptance 4)', () => {
  const tokens = new Map<Role, string>();

  beforeAll(async () => {
    // One reset for the whole walk: every sample makes its own fixtures, with unique codes.
    await h.reset();
    const depts = await asAdmin('GET', '/api/departments?limit=200');
    fx.opsDept = depts.data.find((d: { code: string }) => d.code === 'service_operations').id;
    const teams = await asAdmin('GET', `/api/teams?departmentId=${fx.opsDept}`);
    fx.opsTeam = teams.data.find((t: { code: string }) => t.code === 'hotline_1').id;
    fx.agent2 = (await asAdmin('GET', '/api/staff?q=agent2')).data[0].id;
    fx.currentPolicy = (await asAdmin('GET', '/api/policies/current')).id;
    fx.webhook = await newWebhook();
    await asAdmin('POST', '/api/staff', { username: 'gm1', password: DEMO_PASSWORD, displayName: '总经理', role: 'general_manager' });
    for (const role of ROLES) tokens.set(role, await h.login(USERNAMES[role]));
  });

  for (const route of ROUTES) {
    const key = keyOf(route);
    it(`O2: ${key} (${route.access}) answers 401 / 403 / success as the table says`, async () => {
      const build = SAMPLES[key];
      if (!build) throw new Error(`no sample request for ${key}: add one to SAMPLES in ${import.meta.url}`);

      const anon = await build({ role: null, username: null });
      const anonReply = await h.api(route.method as 'GET', anon.url, { body: anon.body });
      if (route.access === 'public') expectSuccess(anonReply, anon, 'anonymous');
      else expectError(anonReply, 401, 'auth.required');

      for (const role of ROLES) {
        const sample = await build({ role, username: USERNAMES[role] });
        const reply = await h.api(route.method as 'GET', sample.url, { token: sample.token ?? tokens.get(role)!, body: sample.body });
        if (allowed(route.access, role)) expectSuccess(reply, sample, role);
        else expect(expectError(reply, 403, 'auth.forbidden').message, role).toContain(route.access);
      }
    });
  }
});

function expectSuccess(reply: { status: number; body: unknown }, sample: Sample, who: string): void {
  const what = `${who}: ${reply.status} ${JSON.stringify(reply.body)?.slice(0, 300)}`;
  if (sample.ok !== undefined) expect(reply.status, what).toBe(sample.ok);
  else {
    expect(reply.status, what).toBeGreaterThanOrEqual(200);
    expect(reply.status, what).toBeLessThan(300);
  }
}
