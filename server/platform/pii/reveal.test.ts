import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectError } from '../../../test/support/errors.ts';
import { DEMO_PASSWORD, createHarness, type Harness } from '../../../test/support/kefu.ts';
import { auditLog } from '../audit/schema.ts';
import { events } from '../events/schema.ts';
import { staff } from '../../modules/org/schema.ts';

/** C4: personal data leaves the server masked for every role; the clear value only through an audited reveal. */

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

// Demo data: agent1 is the fourth demo account.
const AGENT1 = { phone: '13800138003', email: 'zhangwei@example.com', maskedPhone: '138****8003', maskedEmail: 'z***@example.com' };
const MASKED_ID = /^330106\*{8}\d{3}[\dX]$/;
const ROLE_USERS = { agent: 'agent1', team_lead: 'lead1', qa: 'qa1', trainer: 'trainer1', engineer: 'engineer1', manager: 'manager1', general_manager: 'gm1', admin: 'admin', partner: 'partner1' } as const;

async function addGeneralManager(): Promise<void> {
  const res = await h.api('POST', '/api/staff', { as: 'admin', body: { username: 'gm1', password: DEMO_PASSWORD, displayName: '总经理', role: 'general_manager' } });
  expect(res.status).toBe(201);
}

async function clearRow(username: string) {
  const rows = await h.db.database.db.select().from(staff);
  return rows.find((r) => r.username === username)!;
}

function expectStaffMasked(s: { phone: string | null; email: string | null; idNumber: string | null }, who: string): void {
  if (s.phone !== null) expect(s.phone, who).toMatch(/^\d{3}\*{4}\d{4}$/);
  if (s.email !== null) expect(s.email, who).toMatch(/^.\*{3}@/);
  if (s.idNumber !== null) expect(s.idNumber, who).toMatch(/^\d{6}\*{8}\d{3}[\dX]$/);
}

describe('C4 personal fields are masked in every response, for every role', () => {
  it('C4: GET /api/staff and /api/staff/:id mask phone, email and ID number for every role, admin included', async () => {
    await addGeneralManager();
    const agent1 = await clearRow('agent1');
    expect(agent1.phone).toBe(AGENT1.phone);
    for (const [role, username] of Object.entries(ROLE_USERS)) {
      const list = await h.api('GET', '/api/staff?limit=200', { as: username });
      if (role === 'partner') {
        expectError(list, 403, 'auth.forbidden');
        continue;
      }
      expect(list.status, role).toBe(200);
      expect(list.body.data.length, role).toBeGreaterThanOrEqual(9);
      for (const s of list.body.data) expectStaffMasked(s, role);
      const text = JSON.stringify(list.body);
      expect(text, role).not.toContain(AGENT1.phone);
      expect(text, role).not.toContain(AGENT1.email);
      expect(text, role).not.toContain(agent1.idNumber!);

      const one = await h.api('GET', `/api/staff/${agent1.id}`, { as: username });
      expect(one.status, role).toBe(200);
      expect(one.body, role).toMatchObject({ username: 'agent1', phone: AGENT1.maskedPhone, email: AGENT1.maskedEmail });
      expect(one.body.idNumber, role).toMatch(MASKED_ID);
    }
  });

  it('C4: the staff record returned by create, update and unlock is masked too', async () => {
    await addGeneralManager();
    for (const as of ['admin', 'gm1']) {
      const created = await h.api('POST', '/api/staff', {
        as,
        body: { username: `new_${as}`, password: 'a-long-secret', displayName: '周敏', role: 'agent', phone: '13912345678', email: 'zhoumin@example.com', idNumber: '11010519900701002X' },
      });
      expect(created.status, as).toBe(201);
      expect(created.body, as).toMatchObject({ phone: '139****5678', email: 'z***@example.com', idNumber: '110105********002X' });

      const patched = await h.api('PATCH', `/api/staff/${created.body.id}`, { as, body: { phone: '010-12345678', email: 'min.zhou@example.org' } });
      expect(patched.status, as).toBe(200);
      expect(patched.body, as).toMatchObject({ email: 'm***@example.org', idNumber: '110105********002X' });
      expect(patched.body.phone, as).toMatch(/^010-?\*{4}5678$/);
      expect(JSON.stringify(patched.body)).not.toContain('12345678');

      const unlocked = await h.api('POST', `/api/staff/${created.body.id}/unlocks`, { as });
      expect(unlocked.body.phone, as).toBe(patched.body.phone);
    }
    // The database keeps the clear values.
    expect((await clearRow('new_admin')).phone).toBe('010-12345678');
  });

  it('C4: domain events carry the masked view, like the audit log', async () => {
    const created = await h.api('POST', '/api/staff', {
      as: 'admin',
      body: { username: 'eventful', password: 'a-long-secret', displayName: '钱多', role: 'agent', phone: '13912345678', idNumber: '11010519900701002X' },
    });
    expect(created.status).toBe(201);
    const rows = await h.db.database.db.select().from(events);
    const mine = rows.filter((e) => e.entityId === created.body.id);
    expect(mine.map((e) => e.type)).toContain('staff.created');
    expect(JSON.stringify(mine)).toContain('139****5678');
    expect(JSON.stringify(rows)).not.toContain('13912345678');
    expect(JSON.stringify(rows)).not.toContain('11010519900701002X');
  });
});

describe('C4 reveal', () => {
  const reveal = (as: string, body: Record<string, unknown>) => h.api('POST', '/api/reveals', { as, body });

  it('C4: holders of pii.reveal get the clear value with a reason; everyone else gets 403', async () => {
    await addGeneralManager();
    const agent1 = await clearRow('agent1');
    for (const [role, username] of Object.entries(ROLE_USERS)) {
      const res = await reveal(username, { entityType: 'staff', entityId: agent1.id, field: 'phone', reason: '回拨核实联系方式' });
      if (['team_lead', 'manager', 'general_manager', 'admin'].includes(role)) {
        expect(res.status, role).toBe(200);
        expect(res.body, role).toEqual({ value: AGENT1.phone });
      } else {
        expectError(res, 403, 'auth.forbidden');
      }
    }
    const email = await reveal('lead1', { entityType: 'staff', entityId: agent1.id, field: 'email', reason: '发送培训通知' });
    expect(email.body.value).toBe(AGENT1.email);
    const id = await reveal('manager1', { entityType: 'staff', entityId: agent1.id, field: 'idNumber', reason: '办理社保登记' });
    expect(id.body.value).toBe(agent1.idNumber);
  });

  it('C4: a team lead reveals only their own team, a manager only their own department', async () => {
    const body = (id: string) => ({ entityType: 'staff', entityId: id, field: 'idNumber', reason: '核对资料' });
    const [agent1, qa1, admin] = await Promise.all(['agent1', 'qa1', 'admin'].map(clearRow));
    expect((await reveal('lead1', body(agent1!.id))).status).toBe(200);
    // Outside the caller's scope the record is simply not there for them.
    expectError(await reveal('lead1', body(qa1!.id)), 404, 'pii.not_found');
    expectError(await reveal('lead1', body(admin!.id)), 404, 'pii.not_found');
    expect((await reveal('manager1', body(agent1!.id))).status).toBe(200);
    expectError(await reveal('manager1', body(qa1!.id)), 404, 'pii.not_found');
    expect((await reveal('admin', body(qa1!.id))).status).toBe(200);
  });

  it('C4: a personal field left empty reveals null', async () => {
    const created = await h.api('POST', '/api/staff', { as: 'admin', body: { username: 'no_phone', password: 'a-long-secret', displayName: '无号', role: 'agent' } });
    const res = await reveal('admin', { entityType: 'staff', entityId: created.body.id, field: 'phone', reason: '核对资料' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ value: null });
  });

  it('C4: each reveal is audited with who, when, what and why — never the value itself', async () => {
    const agent1 = await clearRow('agent1');
    h.clock.advance(3_600_000);
    const res = await reveal('lead1', { entityType: 'staff', entityId: agent1.id, field: 'phone', reason: '客户投诉需回拨' });
    expect(res.status).toBe(200);
    const lead = await h.api('GET', '/api/auth/me', { as: 'lead1' });

    const audit = await h.api('GET', '/api/audit?action=reveal', { as: 'manager1' });
    expect(audit.status).toBe(200);
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0]).toMatchObject({
      action: 'reveal',
      actorId: lead.body.id,
      actorName: '李强',
      at: h.clock.now().toISOString(),
      entityType: 'staff',
      entityId: agent1.id,
      after: { field: 'phone' },
      reason: '客户投诉需回拨',
    });
    expect(JSON.stringify(await h.db.database.db.select().from(auditLog))).not.toContain(AGENT1.phone);
  });

  it('C4: a reveal without a reason, or with a blank one, is refused and leaves no trace', async () => {
    const agent1 = await clearRow('agent1');
    const missing = await reveal('admin', { entityType: 'staff', entityId: agent1.id, field: 'phone' });
    expect(expectError(missing, 400).field).toBe('reason');
    const blank = await reveal('admin', { entityType: 'staff', entityId: agent1.id, field: 'phone', reason: '    ' });
    expect(expectError(blank, 400).field).toBe('reason');
    expect((await h.api('GET', '/api/audit?action=reveal', { as: 'admin' })).body.data).toEqual([]);
  });

  it('C4: only fields declared personal can be revealed', async () => {
    const agent1 = await clearRow('agent1');
    for (const field of ['username', 'displayName', 'role', 'passwordHash', '__proto__']) {
      const res = await reveal('admin', { entityType: 'staff', entityId: agent1.id, field, reason: '核对资料' });
      expect(expectError(res, 400, 'pii.not_personal').field, field).toBe('field');
    }
  });

  it('C4: an unknown entity type is a 400 and an unknown record a 404', async () => {
    const agent1 = await clearRow('agent1');
    const entity = await reveal('admin', { entityType: 'credentials', entityId: agent1.id, field: 'passwordHash', reason: '核对资料' });
    expect(expectError(entity, 400, 'pii.unknown_entity').field).toBe('entityType');
    for (const entityId of ['01900000-0000-7000-8000-000000000000', 'not-a-uuid']) {
      const res = await reveal('admin', { entityType: 'staff', entityId, field: 'phone', reason: '核对资料' });
      expectError(res, 404, 'pii.not_found');
    }
    expect((await h.api('GET', '/api/audit?action=reveal', { as: 'admin' })).body.data).toEqual([]);
  });
});
