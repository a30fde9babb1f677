import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectError } from '../../../test/support/errors.ts';
import { DEMO_PASSWORD, createHarness, type Harness } from '../../../test/support/kefu.ts';
import { systemCtx } from '../../platform/context.ts';
import { events } from '../../platform/events/schema.ts';
import { write } from '../../platform/write.ts';
import { insertConversation } from '../conversations/service.ts';
import { findOrCreateCustomer, normaliseEmail, normalisePhone } from './lookup.ts';
import { customers } from './schema.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const DAY = 86_400_000;

async function newCustomer(body: Record<string, unknown>, as = 'agent1'): Promise<string> {
  const res = await h.api('POST', '/api/customers', { as, body: { kind: 'person', ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

async function reveal(id: string, field: string, as = 'lead1') {
  return h.api('POST', '/api/reveals', { as, body: { entityType: 'customer', entityId: id, field, reason: '回拨核实联系方式' } });
}

const count = async () => (await h.kefu.database.db.select().from(customers)).length;

async function order(customerId: string, body: Record<string, unknown>) {
  const res = await h.api('POST', `/api/customers/${customerId}/orders`, { as: 'agent1', body: { status: 'paid', orderedAt: h.clock.now().toISOString(), ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** Signs in afresh: tests that move the clock by months outlive any session. */
async function tierOf(id: string): Promise<string | null> {
  const login = await h.api('POST', '/api/auth/login', { body: { username: 'agent1', password: DEMO_PASSWORD } });
  return (await h.api('GET', `/api/customers/${id}`, { token: login.body.token })).body.tier;
}

describe('C1 the customer archive', () => {
  it('C1: a person archive stores phones and emails normalised and answers them masked', async () => {
    const res = await h.api('POST', '/api/customers', {
      as: 'agent1',
      body: {
        kind: 'person',
        name: '张三',
        phones: ['+86 138-1234-3836', '010-12345678'],
        emails: ['Zhang.San@Example.COM'],
        addresses: [{ label: '家', province: '北京市', city: '北京市', district: '朝阳区', street: '北京市朝阳区建国路88号' }],
        tags: ['老客户', '老客户', '华北'],
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'person', name: '张三', tags: ['老客户', '华北'], source: 'console', tier: 'basic' });
    expect(res.body.phones[0]).toBe('138****3836');
    expect(res.body.phones[1]).toMatch(/^010\d?\*{4}5678$/);
    expect(res.body.emails).toEqual(['z***@example.com']);
    expect(res.body.addresses[0]).toMatchObject({ label: '家', district: '朝阳区', street: '北京市朝阳区****' });

    expect((await reveal(res.body.id, 'phones.0')).body).toEqual({ value: '13812343836' });
    expect((await reveal(res.body.id, 'emails.0')).body).toEqual({ value: 'zhang.san@example.com' });
    expect((await reveal(res.body.id, 'addresses.0.street')).body).toEqual({ value: '北京市朝阳区建国路88号' });
  });

  it('C1: an agent sees the customer\'s phone masked; only a reveal with a reason shows it, and is audited', async () => {
    const id = await newCustomer({ name: '李四', phones: ['13900001111'] });
    const agentView = await h.api('GET', `/api/customers/${id}`, { as: 'agent1' });
    expect(agentView.body.phones).toEqual(['139****1111']);
    const list = await h.api('GET', '/api/customers', { as: 'manager1' });
    expect(list.body.data[0].phones).toEqual(['139****1111']);
    expect(JSON.stringify(list.body)).not.toContain('13900001111');

    expectError(await reveal(id, 'phones.0', 'agent1'), 403, 'auth.forbidden');
    expectError(await reveal(id, 'name'), 400, 'pii.not_personal');
    expect((await reveal(id, 'phones.0')).body.value).toBe('13900001111');
    const audit = await h.api('GET', `/api/audit?entityType=customer&entityId=${id}`, { as: 'manager1' });
    const actions = audit.body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['create', 'reveal']));
    expect(JSON.stringify(audit.body)).not.toContain('13900001111');
  });

  it('C1: a phone or email already on another archive is 409 naming that archive, in any notation', async () => {
    const first = await newCustomer({ name: '王五', phones: ['13812343836'], emails: ['wang@example.com'] });
    const before = await count();
    const phone = expectError(await h.api('POST', '/api/customers', { as: 'agent1', body: { name: '王五二', phones: ['010-12345678', '+86 138 1234 3836'] } }), 409, 'customers.phone_taken');
    expect(phone.field).toBe('phones.1');
    expect(phone.message).toContain(first);
    expect(phone.message).not.toContain('13812343836');
    const email = expectError(await h.api('POST', '/api/customers', { as: 'agent1', body: { name: '王五三', emails: ['WANG@example.com'] } }), 409, 'customers.email_taken');
    expect(email.field).toBe('emails.0');
    expect(await count()).toBe(before);

    const other = await newCustomer({ name: '赵六' });
    expectError(await h.api('PATCH', `/api/customers/${other}`, { as: 'agent1', body: { phones: ['0086 13812343836'] } }), 409, 'customers.phone_taken');
    // Its own numbers are no conflict.
    expect((await h.api('PATCH', `/api/customers/${first}`, { as: 'agent1', body: { phones: ['13812343836', '13900002222'] } })).status).toBe(200);
  });

  it('C1: malformed phones and emails, too many of them, or a blank name are 400 naming the field; nothing is written', async () => {
    const before = await count();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: '甲', phones: ['12ab5678'] }, 'phones.0'],
      [{ name: '甲', phones: ['13812343836', '1'] }, 'phones.1'],
      [{ name: '甲', emails: ['not-an-email'] }, 'emails.0'],
      [{ name: '甲', phones: Array.from({ length: 11 }, (_, i) => `1380000${String(i).padStart(4, '0')}`) }, 'phones'],
      [{ name: '   ' }, 'name'],
      [{ name: '甲', kind: 'robot' }, 'kind'],
      [{ name: '甲', addresses: [{ street: '' }] }, 'addresses.0.street'],
      [{ name: '甲', tags: ['x'.repeat(33)] }, 'tags.0'],
    ];
    for (const [body, field] of cases) {
      const err = expectError(await h.api('POST', '/api/customers', { as: 'agent1', body }), 400, 'request.invalid');
      expect(err.field, JSON.stringify(body)).toBe(field);
    }
    expect(await count()).toBe(before);
  });

  it('C1: an organisation counts its contacts and lists them by the organisationId filter', async () => {
    const org = await newCustomer({ kind: 'organisation', name: '华东精密机械有限公司', phones: ['021-55556666'] });
    const a = await newCustomer({ name: '采购 陈经理', organisationId: org, title: '采购经理' });
    await newCustomer({ name: '设备 刘工', organisationId: org });
    await newCustomer({ name: '散客' });

    const detail = await h.api('GET', `/api/customers/${org}`, { as: 'agent1' });
    expect(detail.body).toMatchObject({ kind: 'organisation', contactsCount: 2, organisationName: null });
    const contact = await h.api('GET', `/api/customers/${a}`, { as: 'agent1' });
    expect(contact.body).toMatchObject({ organisationId: org, organisationName: '华东精密机械有限公司', title: '采购经理', contactsCount: null });
    const contacts = await h.api('GET', `/api/customers?organisationId=${org}`, { as: 'agent1' });
    expect(contacts.body.data.map((c: { name: string }) => c.name).sort()).toEqual(['采购 陈经理', '设备 刘工'].sort());

    expectError(await h.api('POST', '/api/customers', { as: 'agent1', body: { name: '下属', organisationId: a } }), 400, 'customers.not_an_organisation');
    expectError(await h.api('POST', '/api/customers', { as: 'agent1', body: { kind: 'organisation', name: '子公司', organisationId: org } }), 400, 'customers.organisation_cannot_belong');
    expectError(await h.api('POST', '/api/customers', { as: 'agent1', body: { name: '无主', organisationId: '01900000-0000-7000-8000-000000000000' } }), 404, 'customers.organisation_not_found');
    expectError(await h.api('PATCH', `/api/customers/${org}`, { as: 'agent1', body: { kind: 'person' } }), 409, 'customers.has_contacts');
  });

  it('C1: the list finds by part of the name, a whole phone or email in any notation, tag, tier and kind', async () => {
    const zhang = await newCustomer({ name: '张三丰', phones: ['13812343836'], emails: ['zsf@example.com'], tags: ['VIP'] });
    const org = await newCustomer({ kind: 'organisation', name: '武当山文旅集团' });
    await newCustomer({ name: '李四', phones: ['13900001111'] });
    const ids = async (query: string) => (await h.api('GET', `/api/customers?${query}`, { as: 'agent1' })).body.data.map((c: { id: string }) => c.id);
    expect(await ids(`q=${encodeURIComponent('三丰')}`)).toEqual([zhang]);
    expect(await ids(`q=${encodeURIComponent('+86 138-1234-3836')}`)).toEqual([zhang]);
    expect(await ids(`q=${encodeURIComponent('ZSF@Example.com')}`)).toEqual([zhang]);
    expect(await ids('q=1381234')).toEqual([]);
    expect(await ids('tag=VIP')).toEqual([zhang]);
    expect(await ids('kind=organisation')).toEqual([org]);
    expect((await ids('tier=basic')).length).toBe(3);
    expectError(await h.api('GET', '/api/customers?tier=VIP!', { as: 'agent1' }), 400, 'request.invalid');
  });

  it('C1: a change of tags replaces them and is audited with personal data masked', async () => {
    const id = await newCustomer({ name: '周七', phones: ['13812343836'], tags: ['新客'] });
    const res = await h.api('PATCH', `/api/customers/${id}`, { as: 'agent1', body: { tags: ['复购', '华南'] } });
    expect(res.status).toBe(200);
    expect(res.body.tags).toEqual(['复购', '华南']);
    const audit = await h.api('GET', `/api/audit?entityType=customer&entityId=${id}&action=update`, { as: 'manager1' });
    expect(audit.body.data[0].diff).toEqual({ tags: { from: ['新客'], to: ['复购', '华南'] } });
    expect(audit.body.data[0].after.phones).toEqual(['138****3836']);
    expectError(await h.api('PATCH', `/api/customers/${id}`, { as: 'qa1', body: { tags: [] } }), 403, 'auth.forbidden');
    expectError(await h.api('PATCH', `/api/customers/${id}`, { as: 'agent1', body: {} }), 400, 'request.invalid');
  });

  it('C1: the phone lookup used by channels finds the archive by any notation, or creates a visitor archive', async () => {
    expect(normalisePhone('+86 138-1234-3836')).toBe('13812343836');
    expect(normalisePhone('0086 13812343836')).toBe('13812343836');
    expect(normalisePhone('+44 20 7946 0958')).toBe('+442079460958');
    expect(normaliseEmail('  Alice@Example.COM ')).toBe('alice@example.com');
    const id = await newCustomer({ name: '钱八', phones: ['13812343836'], emails: ['qian@example.com'] });
    const ctx = systemCtx(h.kefu.database.db, h.clock);
    const found = await write(ctx, (w) => findOrCreateCustomer(w, { phone: '+86 13812343836' }, 'phone'));
    expect(found).toEqual({ id, name: '钱八', tier: 'basic', created: false });
    expect((await write(ctx, (w) => findOrCreateCustomer(w, { email: 'QIAN@example.com' }, 'email'))).id).toBe(id);
    const visitor = await write(ctx, (w) => findOrCreateCustomer(w, {}, 'chat'));
    expect(visitor).toMatchObject({ name: '访客', created: true, tier: 'basic' });
    const caller = await write(ctx, (w) => findOrCreateCustomer(w, { phone: '13900001111', name: '孙九' }, 'phone'));
    expect(caller).toMatchObject({ name: '孙九', created: true });
    const [ev] = await h.kefu.database.db.select().from(events).where(eq(events.entityId, caller.id));
    expect(ev).toMatchObject({ type: 'customer.created' });
    expect((ev!.data as { phones: string[] }).phones).toEqual(['139****1111']);
  });
});

describe('C1 orders, products and notes', () => {
  it('C1: an order\'s amount is computed from its items in fen; numbers are unique; no items needs an amount', async () => {
    const id = await newCustomer({ name: '吴十' });
    const o = await order(id, { number: 'SO-1001', items: [{ sku: 'KF-01', name: '空气净化器', quantity: 2, unitPriceFen: 199_900 }, { name: '滤芯', quantity: 3, unitPriceFen: 9_900 }] });
    expect(o).toMatchObject({ number: 'SO-1001', amountFen: 429_500, status: 'paid', customerId: id });
    expect(o.items[1]).toEqual({ sku: null, name: '滤芯', quantity: 3, unitPriceFen: 9_900 });
    expectError(await h.api('POST', `/api/customers/${id}/orders`, { as: 'agent1', body: { number: 'SO-1001', status: 'paid', orderedAt: h.clock.now().toISOString(), amountFen: 100 } }), 409, 'customers.order_number_taken');
    expectError(await h.api('POST', `/api/customers/${id}/orders`, { as: 'agent1', body: { number: 'SO-1002', status: 'paid', orderedAt: h.clock.now().toISOString() } }), 400, 'customers.amount_required');
    const bad = expectError(await h.api('POST', `/api/customers/${id}/orders`, { as: 'agent1', body: { number: 'SO-1003', status: 'lost', orderedAt: h.clock.now().toISOString(), amountFen: 1 } }), 400, 'request.invalid');
    expect(bad.field).toBe('status');

    const repriced = await h.api('PATCH', `/api/orders/${o.id}`, { as: 'agent1', body: { items: [{ name: '空气净化器', quantity: 1, unitPriceFen: 199_900 }] } });
    expect(repriced.body.amountFen).toBe(199_900);
    const discounted = await h.api('PATCH', `/api/orders/${o.id}`, { as: 'agent1', body: { amountFen: 180_000, status: 'shipped' } });
    expect(discounted.body).toMatchObject({ amountFen: 180_000, status: 'shipped' });
    const list = await h.api('GET', `/api/customers/${id}/orders`, { as: 'qa1' });
    expect(list.body.data.map((x: { number: string }) => x.number)).toEqual(['SO-1001']);
    expect((await h.api('DELETE', `/api/orders/${o.id}`, { as: 'agent1' })).status).toBe(204);
    expectError(await h.api('DELETE', `/api/orders/${o.id}`, { as: 'agent1' }), 404, 'customers.order_not_found');
  });

  it('C1: orders list newest order date first and page without gaps', async () => {
    const id = await newCustomer({ name: '郑十一' });
    const base = h.clock.now().getTime();
    for (const [n, daysAgo] of [['A', 30], ['B', 1], ['C', 10], ['D', 1]] as const) {
      await order(id, { number: `SO-${n}`, amountFen: 100, orderedAt: new Date(base - daysAgo * DAY).toISOString() });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: Array<{ number: string }>; nextCursor: string | null } } = await h.api('GET', `/api/customers/${id}/orders?limit=1${cursor ? `&cursor=${cursor}` : ''}`, { as: 'agent1' });
      seen.push(...page.body.data.map((x) => x.number));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['SO-D', 'SO-B', 'SO-C', 'SO-A']);
  });

  it('C1: a product shows whether it is under warranty today in the organisation\'s time zone (Asia/Shanghai)', async () => {
    // Still 1 March in UTC, already 2 March in Shanghai.
    h.clock.set('2026-03-01T16:30:00Z');
    const id = await newCustomer({ name: '冯十二' });
    const o = await order(id, { number: 'SO-2001', amountFen: 299_900 });
    const created = await h.api('POST', `/api/customers/${id}/products`, {
      as: 'agent1',
      body: { model: 'KF-AP300', serialNumber: 'SN20250301001', purchasedOn: '2025-03-01', warrantyEndsOn: '2026-03-01', orderId: o.id },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ model: 'KF-AP300', orderId: o.id, underWarranty: false });
    const list = await h.api('GET', `/api/customers/${id}/products`, { as: 'agent1' });
    expect(list.body.data[0]).toMatchObject({ serialNumber: 'SN20250301001', underWarranty: false });

    const extended = await h.api('PATCH', `/api/customer-products/${created.body.id}`, { as: 'agent1', body: { warrantyEndsOn: '2027-03-02' } });
    expect(extended.body.underWarranty).toBe(true);
    const none = await h.api('POST', `/api/customers/${id}/products`, { as: 'agent1', body: { model: 'KF-FILTER' } });
    expect(none.body.underWarranty).toBeNull();

    expectError(await h.api('PATCH', `/api/customer-products/${created.body.id}`, { as: 'agent1', body: { warrantyEndsOn: '2025-01-01' } }), 400, 'customers.warranty_before_purchase');
    const stranger = await newCustomer({ name: '外人' });
    expectError(await h.api('POST', `/api/customers/${stranger}/products`, { as: 'agent1', body: { model: 'X', orderId: o.id } }), 400, 'customers.order_of_other_customer');
    expectError(await h.api('DELETE', `/api/orders/${o.id}`, { as: 'agent1' }), 409, 'customers.order_in_use');
    expect((await h.api('DELETE', `/api/customer-products/${created.body.id}`, { as: 'agent1' })).status).toBe(204);
    expect((await h.api('DELETE', `/api/orders/${o.id}`, { as: 'agent1' })).status).toBe(204);
  });

  it('C1: notes are added by front-line staff and listed newest first', async () => {
    const id = await newCustomer({ name: '陈十三' });
    await h.api('POST', `/api/customers/${id}/notes`, { as: 'agent1', body: { body: '客户偏好电话联系' } });
    const second = await h.api('POST', `/api/customers/${id}/notes`, { as: 'lead1', body: { body: '已升级为重点关注' } });
    expect(second.status).toBe(201);
    const notes = await h.api('GET', `/api/customers/${id}/notes`, { as: 'qa1' });
    expect(notes.body.data.map((n: { body: string }) => n.body)).toEqual(['已升级为重点关注', '客户偏好电话联系']);
    expectError(await h.api('POST', `/api/customers/${id}/notes`, { as: 'qa1', body: { body: '质检不能写' } }), 403, 'auth.forbidden');
    expectError(await h.api('POST', `/api/customers/${id}/notes`, { as: 'agent1', body: { body: '  ' } }), 400, 'request.invalid');
    expectError(await h.api('GET', '/api/customers/01900000-0000-7000-8000-000000000000/notes', { as: 'agent1' }), 404, 'customers.not_found');
  });

  it('C1: the history lists every conversation on every channel, newest first; an organisation\'s includes its contacts\'', async () => {
    const org = await newCustomer({ kind: 'organisation', name: '华东精密机械有限公司' });
    const contact = await newCustomer({ name: '陈经理', organisationId: org });
    const other = await newCustomer({ name: '路人' });
    const ctx = systemCtx(h.kefu.database.db, h.clock);
    const open = async (customerId: string, channel: string, subject: string, body?: string) => {
      h.clock.advance(60_000);
      return (await write(ctx, (w) => insertConversation(w, { channel, customerId, subject, ...(body ? { message: { body } } : {}) }, { maxChars: 5000 }))).conversation;
    };
    const email = await open(contact, 'email', '设备报修', '主轴异响，请安排工程师');
    await open(other, 'chat', '别人的问题', '你好');
    const phone = await open(org, 'phone', '合同续签');
    const chat = await open(contact, 'chat', '配件咨询', '请问 KF-200 的滤芯多少钱？'.repeat(10));

    const own = await h.api('GET', `/api/customers/${contact}/conversations`, { as: 'agent1' });
    expect(own.body.data.map((c: { id: string }) => c.id)).toEqual([chat.id, email.id]);
    expect(own.body.data[1]).toMatchObject({ channel: 'email', subject: '设备报修', status: 'new', number: email.number, lastMessagePreview: '主轴异响，请安排工程师' });
    expect([...own.body.data[0].lastMessagePreview].length).toBe(80);

    const all = await h.api('GET', `/api/customers/${org}/conversations?limit=2`, { as: 'agent1' });
    expect(all.body.data.map((c: { id: string }) => c.id)).toEqual([chat.id, phone.id]);
    expect(all.body.data[1].lastMessagePreview).toBeNull();
    const rest = await h.api('GET', `/api/customers/${org}/conversations?limit=2&cursor=${all.body.nextCursor}`, { as: 'agent1' });
    expect(rest.body).toEqual({ data: [expect.objectContaining({ id: email.id })], nextCursor: null });
  });
});

describe('C2 tiers from purchases', () => {
  it('C2: a customer who spent ¥6,000 in the last 180 days is VIP (e-commerce policy: VIP from ¥5,000 within 180 days)', async () => {
    await h.reset('ecommerce');
    const id = await newCustomer({ name: '卫十四' });
    expect(await tierOf(id)).toBe('regular');
    await order(id, { number: 'T-1', amountFen: 400_000, orderedAt: new Date(h.clock.now().getTime() - 100 * DAY).toISOString() });
    expect(await tierOf(id)).toBe('member');
    await order(id, { number: 'T-2', amountFen: 200_000 });
    expect(await tierOf(id)).toBe('vip');
    const changes = await h.kefu.database.db.select().from(events).where(eq(events.type, 'customer.tier_changed'));
    expect(changes.map((e) => (e.data as { tier: string }).tier)).toEqual(['member', 'vip']);
  });

  it('C2: only paid, shipped and completed orders count; a refund drops the tier in the same change', async () => {
    await h.reset('ecommerce');
    const id = await newCustomer({ name: '蒋十五' });
    const pending = await order(id, { number: 'P-1', amountFen: 600_000, status: 'pending' });
    await order(id, { number: 'P-2', amountFen: 600_000, status: 'cancelled' });
    expect(await tierOf(id)).toBe('regular');
    await h.api('PATCH', `/api/orders/${pending.id}`, { as: 'agent1', body: { status: 'completed' } });
    expect(await tierOf(id)).toBe('vip');
    await h.api('PATCH', `/api/orders/${pending.id}`, { as: 'agent1', body: { status: 'refunded' } });
    expect(await tierOf(id)).toBe('regular');
    await h.api('PATCH', `/api/orders/${pending.id}`, { as: 'agent1', body: { status: 'paid', amountFen: 60_000 } });
    expect(await tierOf(id)).toBe('member');
    await h.api('DELETE', `/api/orders/${pending.id}`, { as: 'agent1' });
    expect(await tierOf(id)).toBe('regular');
  });

  it('C2: the daily job lowers VIP to member once the last purchase is over 180 days old, and to regular after the window', async () => {
    await h.reset('ecommerce');
    const id = await newCustomer({ name: '沈十六' });
    const bystander = await newCustomer({ name: '韩十七' });
    await order(id, { number: 'D-1', amountFen: 600_000 });
    expect(await tierOf(id)).toBe('vip');

    // 180 days later (Shanghai calendar) the customer is still VIP; the day after, no longer.
    h.clock.advance(180 * DAY);
    await h.kefu.jobs.runDue();
    expect(await tierOf(id)).toBe('vip');
    h.clock.advance(DAY);
    await h.kefu.jobs.runDue();
    expect(await tierOf(id)).toBe('member');
    h.clock.advance(185 * DAY);
    await h.kefu.jobs.runDue();
    expect(await tierOf(id)).toBe('regular');
    expect(await tierOf(bystander)).toBe('regular');
    const updates = await h.kefu.database.db.select().from(events).where(eq(events.entityId, id));
    expect(updates.filter((e) => e.type === 'customer.tier_changed').map((e) => (e.data as { tier: string }).tier)).toEqual(['vip', 'member', 'regular']);
  });

  it('C2: the call-center policy needs ¥10,000 within 180 days for VIP and ¥1,000 for regular', async () => {
    const id = await newCustomer({ name: '杨十八' });
    expect(await tierOf(id)).toBe('basic');
    await order(id, { number: 'C-1', items: [{ name: '年度服务包', quantity: 1, unitPriceFen: 999_900 }] });
    expect(await tierOf(id)).toBe('regular');
    await order(id, { number: 'C-2', amountFen: 100 });
    expect(await tierOf(id)).toBe('vip');
  });
});

describe('C3 referrals', () => {
  it('C3: a referral is recorded once, shows on both customers with their names; self-referral is refused', async () => {
    const old = await newCustomer({ name: '老客户 朱' });
    const fresh = await newCustomer({ name: '新客户 秦' });
    const third = await newCustomer({ name: '新客户 许' });
    const body = { referrerId: old, referredId: fresh, referredOn: '2026-03-01', relationship: '同事', need: '想了解企业采购方案', note: '电话介绍' };
    const res = await h.api('POST', '/api/referrals', { as: 'agent1', body });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ referrerName: '老客户 朱', referredName: '新客户 秦', relationship: '同事', referredOn: '2026-03-01' });
    await h.api('POST', '/api/referrals', { as: 'agent1', body: { ...body, referredId: third } });

    expectError(await h.api('POST', '/api/referrals', { as: 'agent1', body }), 409, 'customers.referral_exists');
    expectError(await h.api('POST', '/api/referrals', { as: 'agent1', body: { ...body, referredId: old } }), 400, 'customers.self_referral');
    expect(expectError(await h.api('POST', '/api/referrals', { as: 'agent1', body: { ...body, referredId: '01900000-0000-7000-8000-000000000000' } }), 404, 'customers.not_found').field).toBe('referredId');
    expectError(await h.api('POST', '/api/referrals', { as: 'agent1', body: { ...body, referredId: third, referrerId: fresh, referredOn: '2026-03-03' } }), 400, 'customers.referral_in_future');

    const made = await h.api('GET', `/api/customers/${old}/referrals`, { as: 'agent1' });
    expect(made.body.data.map((r: { referredName: string }) => r.referredName)).toEqual(['新客户 许', '新客户 秦']);
    const received = await h.api('GET', `/api/customers/${fresh}/referrals`, { as: 'agent1' });
    expect(received.body.data).toEqual([expect.objectContaining({ referrerId: old, referrerName: '老客户 朱', referredId: fresh })]);
  });
});
