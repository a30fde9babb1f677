import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../../test/support/kefu.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

async function deptId(code: string): Promise<string> {
  const { body } = await h.api('GET', '/api/departments?limit=200', { as: 'admin' });
  return body.data.find((d: { code: string }) => d.code === code).id;
}

describe('O1 organisation tree', () => {
  it('O1: the call-center preset creates its departments, partner departments and teams', async () => {
    const depts = await h.api('GET', '/api/departments?limit=200', { as: 'agent1' });
    expect(depts.status).toBe(200);
    const byCode = Object.fromEntries(depts.body.data.map((d: { code: string; name: string; isPartner: boolean }) => [d.code, d]));
    expect(byCode.service_operations.name).toBe('服务运营部');
    expect(byCode.quality.name).toBe('质检部');
    expect(byCode.training.name).toBe('培训部');
    expect(byCode.technical_support.name).toBe('技术支持部');
    for (const partner of ['sales', 'production', 'finance', 'logistics']) expect(byCode[partner].isPartner).toBe(true);
    expect(byCode.service_operations.isPartner).toBe(false);

    const teams = await h.api('GET', `/api/teams?departmentId=${byCode.service_operations.id}`, { as: 'agent1' });
    expect(teams.body.data.map((t: { name: string }) => t.name).sort()).toEqual(['在线组', '热线一组', '热线二组'].sort());
  });

  it('O1: a department with teams cannot be deleted; an empty one can', async () => {
    const ops = await deptId('service_operations');
    const refused = await h.api('DELETE', `/api/departments/${ops}`, { as: 'admin' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('org.department_not_empty');

    const created = await h.api('POST', '/api/departments', { as: 'admin', body: { code: 'after_sales', name: '售后部', kind: 'customer_service' } });
    expect(created.status).toBe(201);
    expect((await h.api('DELETE', `/api/departments/${created.body.id}`, { as: 'admin' })).status).toBe(204);
    expect((await h.api('GET', `/api/departments/${created.body.id}`, { as: 'admin' })).status).toBe(404);
  });

  it('O1: department codes are unique', async () => {
    const dup = await h.api('POST', '/api/departments', { as: 'admin', body: { code: 'quality', name: '质检二部', kind: 'quality' } });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: 'org.code_taken', field: 'code' });
  });

  it('O1: a team can only be created in an existing department, with a known time zone', async () => {
    const ops = await deptId('service_operations');
    const missing = await h.api('POST', '/api/teams', { as: 'admin', body: { code: 'night', name: '夜班组', departmentId: '01900000-0000-7000-8000-000000000000' } });
    expect(missing.status).toBe(404);
    expect(missing.body.error.field).toBe('departmentId');
    const badZone = await h.api('POST', '/api/teams', { as: 'admin', body: { code: 'night', name: '夜班组', departmentId: ops, timezone: 'Mars/Olympus' } });
    expect(badZone.status).toBe(400);
    expect(badZone.body.error.code).toBe('org.invalid_timezone');
    const ok = await h.api('POST', '/api/teams', { as: 'admin', body: { code: 'night', name: '夜班组', departmentId: ops } });
    expect(ok.status).toBe(201);
    expect(ok.body.timezone).toBe('Asia/Shanghai');
  });
});

describe('O2 roles', () => {
  it('O2: the role → permissions table is readable as the server holds it', async () => {
    const { status, body } = await h.api('GET', '/api/roles', { as: 'agent1' });
    expect(status).toBe(200);
    const byRole = Object.fromEntries(body.roles.map((r: { role: string; label: string; permissions: string[] }) => [r.role, r]));
    expect(byRole.agent.label).toBe('客服专员');
    expect(byRole.agent.permissions).toContain('customers.read');
    expect(byRole.agent.permissions).not.toContain('org.manage');
    expect(byRole.admin.permissions).toContain('org.manage');
    expect(byRole.partner.permissions).not.toContain('org.read');
    expect(body.permissions).toEqual(expect.arrayContaining(['org.manage', 'pii.reveal']));
  });
});

describe('O2/O5 staff accounts', () => {
  it('O5: a new staff member can sign in with the password set by the admin', async () => {
    const ops = await deptId('service_operations');
    const created = await h.api('POST', '/api/staff', {
      as: 'admin',
      body: { username: 'Agent3', password: 'a-long-secret', displayName: '周敏', role: 'agent', departmentId: ops, level: 'junior', phone: '13912345678' },
    });
    expect(created.status).toBe(201);
    expect(created.body.username).toBe('agent3');
    const login = await h.api('POST', '/api/auth/login', { body: { username: 'agent3', password: 'a-long-secret' } });
    expect(login.status).toBe(200);
    expect(login.body.user.role).toBe('agent');
  });

  it('O5: usernames are unique regardless of case', async () => {
    const dup = await h.api('POST', '/api/staff', { as: 'admin', body: { username: 'AGENT1', password: 'a-long-secret', displayName: 'x', role: 'agent' } });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: 'org.username_taken', field: 'username' });
  });

  it('C4: an ID number with a wrong check digit is refused', async () => {
    const bad = await h.api('POST', '/api/staff', {
      as: 'admin',
      body: { username: 'agent9', password: 'a-long-secret', displayName: '吴昊', role: 'agent', idNumber: '110105199001010021' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'org.invalid_id_number', field: 'idNumber' });
  });

  it('O2: a team that belongs to another department is refused', async () => {
    const quality = await deptId('quality');
    const { body: teams } = await h.api('GET', `/api/teams?departmentId=${await deptId('service_operations')}`, { as: 'admin' });
    const res = await h.api('POST', '/api/staff', {
      as: 'admin',
      body: { username: 'agent8', password: 'a-long-secret', displayName: '郑好', role: 'agent', departmentId: quality, teamId: teams.data[0].id },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('org.team_outside_department');
  });

  it('O5: disabling a staff member ends their sessions at once', async () => {
    const token = await h.login('agent2');
    expect((await h.api('GET', '/api/auth/me', { token })).status).toBe(200);
    const { body: list } = await h.api('GET', '/api/staff?q=agent2', { as: 'admin' });
    const res = await h.api('PATCH', `/api/staff/${list.data[0].id}`, { as: 'admin', body: { status: 'disabled' } });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('disabled');
    const after = await h.api('GET', '/api/auth/me', { token });
    expect(after.status).toBe(401);
    const again = await h.api('POST', '/api/auth/login', { body: { username: 'agent2', password: 'kefu-demo' } });
    expect(again.status).toBe(403);
    expect(again.body.error.code).toBe('auth.account_disabled');
  });

  it('O2: the last active administrator can be neither demoted nor disabled', async () => {
    const me = await h.api('GET', '/api/auth/me', { as: 'admin' });
    const demote = await h.api('PATCH', `/api/staff/${me.body.id}`, { as: 'admin', body: { role: 'manager' } });
    expect(demote.status).toBe(409);
    expect(demote.body.error.code).toBe('org.last_admin');
    const self = await h.api('PATCH', `/api/staff/${me.body.id}`, { as: 'admin', body: { status: 'disabled' } });
    expect(self.status).toBe(409);
    expect(self.body.error.code).toBe('org.cannot_disable_self');
  });

  it('staff search treats % and _ literally', async () => {
    const all = await h.api('GET', '/api/staff?q=%25', { as: 'admin' });
    expect(all.status).toBe(200);
    expect(all.body.data).toEqual([]);
    const one = await h.api('GET', `/api/staff?q=${encodeURIComponent('张')}`, { as: 'admin' });
    expect(one.body.data.map((s: { username: string }) => s.username)).toEqual(['agent1']);
  });
});

describe('O3 staff levels and their history', () => {
  it('O3: a promotion is recorded with who, when and why, and the history lists every change', async () => {
    const { body: list } = await h.api('GET', '/api/staff?q=agent2', { as: 'admin' });
    const agent2 = list.data[0];
    expect(agent2.level).toBe('junior');
    // Ninety days on: sessions from before have expired, so manager1 signs in afresh.
    h.clock.advance(90 * 24 * 3_600_000);
    const promo = await h.api('POST', `/api/staff/${agent2.id}/level-changes`, { as: 'manager1', body: { level: 'intermediate', reason: '季度考核优秀' } });
    expect(promo.status).toBe(201);
    expect(promo.body).toMatchObject({ fromLevel: 'junior', toLevel: 'intermediate', reason: '季度考核优秀' });
    const me = await h.api('GET', '/api/auth/me', { as: 'manager1' });
    expect(promo.body.changedBy).toBe(me.body.id);

    const history = await h.api('GET', `/api/staff/${agent2.id}/level-changes`, { as: 'agent1' });
    expect(history.body.data.map((c: { toLevel: string }) => c.toLevel)).toEqual(['junior', 'intermediate']);
    expect(new Date(history.body.data[1].changedAt).getTime() - new Date(history.body.data[0].changedAt).getTime()).toBe(90 * 24 * 3_600_000);
    expect((await h.api('GET', `/api/staff/${agent2.id}`, { as: 'agent1' })).body.level).toBe('intermediate');
  });

  it('O3: a manager cannot change levels outside their department', async () => {
    const { body: list } = await h.api('GET', '/api/staff?q=qa1', { as: 'admin' });
    const res = await h.api('POST', `/api/staff/${list.data[0].id}/level-changes`, { as: 'manager1', body: { level: 'senior', reason: '调整' } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('org.outside_scope');
  });

  it('O3: setting the level a staff member already has is refused', async () => {
    const { body: list } = await h.api('GET', '/api/staff?q=agent1', { as: 'admin' });
    const res = await h.api('POST', `/api/staff/${list.data[0].id}/level-changes`, { as: 'admin', body: { level: 'intermediate', reason: '无变化' } });
    expect(res.status).toBe(409);
  });
});

describe('lists', () => {
  it('cursor pagination walks every staff member exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : '';
      const page = await h.api('GET', `/api/staff?limit=2${q}`, { as: 'admin' });
      expect(page.status).toBe(200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data.map((s: { username: string }) => s.username));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(9);
    expect(new Set(seen).size).toBe(9);
  });

  it('limit above 200 and a forged cursor are refused', async () => {
    const big = await h.api('GET', '/api/staff?limit=201', { as: 'admin' });
    expect(big.status).toBe(400);
    expect(big.body.error.field).toBe('limit');
    const forged = await h.api('GET', '/api/staff?cursor=not-a-cursor', { as: 'admin' });
    expect(forged.status).toBe(400);
    expect(forged.body.error.code).toBe('request.invalid_cursor');
  });
});
