import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectError } from '../../../test/support/errors.ts';
import { createHarness, type Harness } from '../../../test/support/kefu.ts';
import { newId } from '../../db/columns.ts';
import { events } from '../../platform/events/schema.ts';
import { jobs } from '../../platform/jobs/schema.ts';
import { callRecords } from '../channels/schema.ts';
import { attachments } from '../conversations/schema.ts';
import { callCenter } from '../../presets/call-center.ts';
import { actionDueKey } from './record.ts';

let h: Harness;
beforeAll(async () => {
  // The response deadline is a day: sessions must outlive the clock moving past it.
  h = await createHarness({ config: { sessionTtlMs: 30 * 86_400_000 } });
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const HOUR = 3_600_000;
const APOLOGY = callCenter.policy.complaints.apologyMessage.value;
const AGREED_AT = '2026-03-05T18:00:00+08:00';

async function staffId(username: string): Promise<string> {
  return (await h.api('GET', '/api/auth/me', { as: username })).body.id;
}

let phoneSeq = 0;
async function customer(name = '王先生'): Promise<string> {
  const res = await h.api('POST', '/api/customers', { as: 'agent1', body: { kind: 'person', name, phones: [`1391234${String(1000 + ++phoneSeq)}`] } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

async function conversation(customerId: string, channel = 'chat'): Promise<{ id: string; number: number }> {
  const res = await h.api('POST', '/api/conversations', { as: 'agent1', body: { channel, customerId, message: { body: '你们的快递员把包裹扔在门口，东西摔坏了' }, assignToSelf: true } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function order(customerId: string, number: string, amountFen = 129_900) {
  const res = await h.api('POST', `/api/customers/${customerId}/orders`, { as: 'agent1', body: { number, amountFen, status: 'completed', orderedAt: '2026-02-20T10:00:00+08:00' } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const acceptance = (customerId: string, extra: Record<string, unknown> = {}) => ({
  customerId,
  complainantName: '王建国',
  contact: '13812343836',
  channel: 'phone',
  matter: '快递员未送货上门，包裹破损，要求赔偿',
  ...extra,
});

async function complaint(customerId: string, extra: Record<string, unknown> = {}, as = 'agent1') {
  const res = await h.api('POST', '/api/complaints', { as, body: acceptance(customerId, extra) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** A complaint under investigation: one order linked as evidence. */
async function investigating(customerId?: string) {
  const cid = customerId ?? (await customer());
  const c = await complaint(cid);
  const o = await order(cid, `DD${newId().slice(-8)}`);
  expect((await h.api('POST', `/api/complaints/${c.id}/evidence`, { as: 'agent1', body: { kind: 'order', refId: o.id } })).status).toBe(201);
  return c;
}

const propose = (id: string, as = 'agent1', solution = '补发同款商品并赔偿 50 元优惠券') =>
  h.api('POST', `/api/complaints/${id}/proposals`, { as, body: { solution, agreedMethod: '顺丰补发，优惠券发至账户', agreedAt: AGREED_AT } });
const decide = (approvalId: string, as: string, decision: 'approved' | 'rejected', comment?: string) =>
  h.api('POST', `/api/complaint-approvals/${approvalId}/decisions`, { as, body: { decision, ...(comment ? { comment } : {}) } });

/** call-center's chain: 服务运营部 (manager1 leads it), then 质检部 (qa1). */
async function approved(customerId?: string) {
  const c = await investigating(customerId);
  const p = (await propose(c.id)).body;
  expect((await decide(p.approvals[0].id, 'manager1', 'approved')).status).toBe(200);
  expect((await decide(p.approvals[1].id, 'qa1', 'approved')).status).toBe(200);
  return c;
}

const get = async (id: string, as = 'agent1') => (await h.api('GET', `/api/complaints/${id}`, { as })).body;
const inbox = async (as: string) => (await h.api('GET', '/api/notifications', { as })).body.data as Array<{ kind: string; entityId: string; body: string; data: Record<string, unknown> }>;
const kinds = async (as: string, kind: string) => (await inbox(as)).filter((n) => n.kind === kind).map((n) => n.entityId);
const newAction = async (complaintId: string, body: Record<string, unknown>, as = 'agent1') => {
  const res = await h.api('POST', `/api/complaints/${complaintId}/actions`, { as, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
};
const completeAction = (id: string, as = 'agent1', result = '已完成') => h.api('POST', `/api/complaint-actions/${id}/completions`, { as, body: { result } });
const cancelAction = (id: string, body: Record<string, unknown>, as = 'agent1') => h.api('POST', `/api/complaint-actions/${id}/cancellations`, { as, body });
const iso = (ms: number) => new Date(ms).toISOString();

describe('CP1 acceptance', () => {
  it('CP1: time, complainant, matter, contact and channel are required; the owner is whoever accepted it', async () => {
    const cid = await customer();
    for (const field of ['complainantName', 'contact', 'channel', 'matter']) {
      const body: Record<string, unknown> = acceptance(cid);
      delete body[field];
      expect(expectError(await h.api('POST', '/api/complaints', { as: 'agent1', body }), 400, 'request.invalid').field, field).toBe(field);
    }
    expect(expectError(await h.api('POST', '/api/complaints', { as: 'agent1', body: acceptance(cid, { matter: '   ' }) }), 400).field).toBe('matter');
    expect(expectError(await h.api('POST', '/api/complaints', { as: 'agent1', body: acceptance(cid, { contact: '打电话给我' }) }), 400).field).toBe('contact');
    expectError(await h.api('POST', '/api/complaints', { as: 'agent1', body: acceptance(newId()) }), 404, 'complaint.customer_not_found');
    expectError(await h.api('POST', '/api/complaints', { as: 'agent1', body: acceptance(cid, { receivedAt: '2026-03-02T10:00:00+08:00' }) }), 400, 'complaint.received_in_future');
    expectError(await h.api('POST', '/api/complaints', { as: 'qa1', body: acceptance(cid) }), 403, 'auth.forbidden');

    const c = await complaint(cid, { receivedAt: '2026-03-02T08:30:00+08:00', category: '物流' });
    const agent1 = await staffId('agent1');
    expect(c).toMatchObject({ status: 'accepted', customerId: cid, complainantName: '王建国', channel: 'phone', severity: 'normal', acceptedBy: agent1, ownerId: agent1, category: '物流', apologySentAt: null });
    expect(c.receivedAt).toBe(new Date('2026-03-02T08:30:00+08:00').toISOString());
    expect(typeof c.number).toBe('number');
  });

  it('CP1: accepting on a conversation sends the policy apology to the customer there and records when', async () => {
    const cid = await customer();
    const conv = await conversation(cid);
    const c = await complaint(cid, { conversationId: conv.id, channel: 'chat' });
    expect(c.apologySentAt).toBe(h.clock.now().toISOString());
    expect(c.conversationId).toBe(conv.id);
    const msgs = (await h.api('GET', `/api/conversations/${conv.id}/messages`, { as: 'agent1' })).body.data;
    expect(msgs.at(-1)).toMatchObject({ author: 'system', body: APOLOGY });

    const other = await conversation(await customer('李女士'));
    expectError(await h.api('POST', '/api/complaints', { as: 'agent1', body: acceptance(cid, { conversationId: other.id }) }), 422, 'complaint.conversation_other_customer');
    // A conversation the caller cannot see is not found, whoever's it is.
    expectError(await h.api('POST', '/api/complaints', { as: 'agent2', body: acceptance(cid, { conversationId: conv.id }) }), 404, 'conversation.not_found');
  });

  it('CP1: past the response time with no progress, the owner and their team lead are notified; a complaint under investigation is not', async () => {
    const cid = await customer();
    const idle = await complaint(cid);
    const worked = await investigating(cid);
    h.clock.advance(23 * HOUR);
    await h.kefu.jobs.runDue();
    expect((await h.api('GET', '/api/notifications', { as: 'agent1' })).body.data).toEqual([]);
    h.clock.advance(HOUR);
    await h.kefu.jobs.runDue();
    for (const who of ['agent1', 'lead1']) {
      const inbox = (await h.api('GET', '/api/notifications', { as: who })).body.data;
      expect(inbox.map((n: { kind: string; entityId: string }) => [n.kind, n.entityId]), who).toEqual([['complaint_response_overdue', idle.id]]);
    }
    expect(worked.id).not.toBe(idle.id);
    expect((await h.api('GET', '/api/notifications', { as: 'agent2' })).body.data).toEqual([]);
  });

  it('CP1: the response deadline is fixed at acceptance from the policy, shown with whether it is overdue, and the reminder reads it', async () => {
    const cid = await customer();
    const start = h.clock.now().getTime();
    const day = await complaint(cid);
    expect(day).toMatchObject({ respondBy: iso(start + 24 * HOUR), responseOverdue: false });
    // Accepted late: received yesterday morning, its 24 hours are already over.
    const late = await complaint(cid, { receivedAt: '2026-03-01T08:00:00+08:00' });
    expect(late).toMatchObject({ respondBy: new Date('2026-03-02T08:00:00+08:00').toISOString(), responseOverdue: true });

    // A new policy applies to complaints accepted from then on; a deadline already promised stays.
    await h.publishPolicy('投诉响应时限改为 2 小时', (doc) => {
      doc.complaints.responseHours.value = 2;
    });
    const quick = await complaint(cid);
    expect(quick.respondBy).toBe(iso(start + 2 * HOUR));
    expect((await get(day.id)).respondBy).toBe(iso(start + 24 * HOUR));

    h.clock.advance(2 * HOUR);
    await h.kefu.jobs.runDue();
    const overdue = (await inbox('agent1')).filter((n) => n.kind === 'complaint_response_overdue');
    expect(overdue.map((n) => n.entityId).sort()).toEqual([late.id, quick.id].sort());
    expect(overdue.find((n) => n.entityId === quick.id)).toMatchObject({ data: { respondBy: quick.respondBy }, body: expect.stringContaining('2026年3月2日 11:00') });
    expect(await get(quick.id)).toMatchObject({ responseOverdue: true });
    expect(await get(day.id)).toMatchObject({ responseOverdue: false });

    // Taking it up answers the deadline, even late.
    const o = await order(cid, 'DD-LATE-1');
    expect((await h.api('POST', `/api/complaints/${late.id}/evidence`, { as: 'agent1', body: { kind: 'order', refId: o.id } })).status).toBe(201);
    expect(await get(late.id)).toMatchObject({ status: 'investigating', respondBy: late.respondBy, responseOverdue: false });

    const list = async (q: string) => (await h.api('GET', `/api/complaints?${q}`, { as: 'agent1' })).body.data.map((c: { id: string }) => c.id).sort();
    expect(await list('overdue=true')).toEqual([quick.id]);
    expect(await list('overdue=false')).toEqual([day.id, late.id].sort());
    expect(await list('overdue=true&status=investigating')).toEqual([]);
    expectError(await h.api('GET', '/api/complaints?overdue=maybe', { as: 'agent1' }), 400, 'request.invalid');

    h.clock.advance(22 * HOUR);
    await h.kefu.jobs.runDue();
    expect(await kinds('agent1', 'complaint_response_overdue')).toContain(day.id);
    expect(await list('overdue=true')).toEqual([day.id, quick.id].sort());
  });
});

describe('CP2 investigation with evidence from the system itself', () => {
  it('CP2: a transcript, a call recording and an order are linked with a snapshot that survives later edits', async () => {
    const cid = await customer();
    const conv = await conversation(cid);
    const c = await complaint(cid);
    const o = await order(cid, 'DD20260220001');

    // A recorded phone call on the customer's conversation, as the CTI leaves it.
    const db = h.kefu.database.db;
    const now = h.clock.now();
    const recordingId = newId();
    await db.insert(attachments).values({ id: recordingId, conversationId: conv.id, messageId: null, fileName: 'call.wav', contentType: 'audio/wav', size: 46, sha256: 'a'.repeat(64), storageKey: 'aa/aaaa', uploadedBy: null, createdAt: now });
    const callId = newId();
    await db.insert(callRecords).values({
      id: callId,
      conversationId: conv.id,
      callId: 'PBX-1',
      direction: 'inbound',
      fromNumber: '13912341001',
      toNumber: '4008001234',
      agentId: await staffId('agent1'),
      status: 'wrapped_up',
      ringingAt: new Date(now.getTime() - 600_000),
      answeredAt: new Date(now.getTime() - 590_000),
      endedAt: new Date(now.getTime() - 290_000),
      talkSeconds: 300,
      holdSeconds: 0,
      events: [],
      recordingId,
      createdAt: now,
      updatedAt: now,
    });

    const add = (kind: string, refId: string, as = 'agent1') => h.api('POST', `/api/complaints/${c.id}/evidence`, { as, body: { kind, refId, note: '调查取证' } });
    const transcript = await add('conversation', conv.id);
    expect(transcript.status, JSON.stringify(transcript.body)).toBe(201);
    expect(transcript.body.snapshot.transcript[0]).toMatchObject({ author: 'customer', body: '你们的快递员把包裹扔在门口，东西摔坏了' });
    expect(transcript.body.link).toBe(`/api/conversations/${conv.id}`);
    expect((await get(c.id)).status).toBe('investigating');

    const call = await add('call_recording', callId);
    expect(call.status, JSON.stringify(call.body)).toBe(201);
    expect(call.body.snapshot).toMatchObject({ callId: 'PBX-1', talkSeconds: 300, agentName: '张伟', fromNumber: '139****1001', recording: { fileName: 'call.wav' } });
    expect(call.body.link).toBe(`/api/attachments/${recordingId}`);

    const ord = await add('order', o.id);
    expect(ord.body.snapshot).toMatchObject({ number: 'DD20260220001', amountFen: 129_900, status: 'completed' });
    expect(ord.body.link).toBe(`/api/customers/${cid}/orders`);
    expect((await h.api('PATCH', `/api/orders/${o.id}`, { as: 'agent1', body: { amountFen: 1, status: 'refunded' } })).status).toBe(200);

    const list = (await h.api('GET', `/api/complaints/${c.id}/evidence`, { as: 'trainer1' })).body.data;
    expect(list.map((e: { kind: string }) => e.kind)).toEqual(['conversation', 'call_recording', 'order']);
    expect(list[2].snapshot).toMatchObject({ amountFen: 129_900, status: 'completed' });
    expect((await get(c.id)).evidence).toHaveLength(3);

    expectError(await add('order', o.id), 409, 'complaint.evidence_exists');
    expectError(await add('order', newId()), 404, 'complaint.evidence_not_found');
    // An ordinary message is not an email.
    const firstMessage = (await h.api('GET', `/api/conversations/${conv.id}/messages`, { as: 'agent1' })).body.data[0].id;
    expectError(await add('email', firstMessage), 422, 'complaint.not_email');
  });

  it('CP2: records of another customer are refused, and a conversation the caller cannot see is not found', async () => {
    const cid = await customer();
    const c = await complaint(cid);
    const stranger = await customer('李女士');
    const theirOrder = await order(stranger, 'DD-OTHER-1');
    const theirConv = await conversation(stranger);
    expectError(await h.api('POST', `/api/complaints/${c.id}/evidence`, { as: 'agent1', body: { kind: 'order', refId: theirOrder.id } }), 422, 'complaint.evidence_other_customer');
    expectError(await h.api('POST', `/api/complaints/${c.id}/evidence`, { as: 'agent1', body: { kind: 'conversation', refId: theirConv.id } }), 422, 'complaint.evidence_other_customer');
    expectError(await h.api('POST', `/api/complaints/${c.id}/evidence`, { as: 'agent2', body: { kind: 'conversation', refId: (await conversation(cid)).id } }), 404, 'complaint.evidence_not_found');
    expect((await get(c.id)).evidence).toEqual([]);
    expect((await get(c.id)).status).toBe('accepted');
  });
});

describe('CP3 solution approved by the configured departments in order', () => {
  it('CP3: steps follow the policy chain and are decided strictly in order, only by the step’s department', async () => {
    const c = await investigating();
    const res = await propose(c.id);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const p = res.body;
    expect(p.approvals.map((a: { departmentCode: string; decision: string }) => [a.departmentCode, a.decision])).toEqual([
      ['service_operations', 'pending'],
      ['quality', 'waiting'],
    ]);
    expect((await get(c.id)).status).toBe('proposed');
    const [first, second] = p.approvals;

    // 服务运营部 is asked through its manager; 质检部 only when its step opens.
    expect((await h.api('GET', '/api/notifications', { as: 'manager1' })).body.data.map((n: { kind: string }) => n.kind)).toEqual(['complaint_approval']);
    expect((await h.api('GET', '/api/complaint-approvals', { as: 'manager1' })).body.data.map((a: { id: string }) => a.id)).toEqual([first.id]);
    expect((await h.api('GET', '/api/complaint-approvals', { as: 'qa1' })).body.data).toEqual([]);

    expectError(await decide(second.id, 'qa1', 'approved'), 409, 'complaint.approval_waiting');
    expectError(await decide(first.id, 'qa1', 'approved'), 403, 'complaint.not_approver');
    expectError(await decide(first.id, 'engineer1', 'approved'), 403, 'complaint.not_approver');
    // Management of other departments does not override the department's own decision.
    expectError(await decide(first.id, 'admin', 'approved'), 403, 'complaint.not_approver');
    expectError(await decide(first.id, 'agent1', 'approved'), 403, 'complaint.own_proposal');

    const afterFirst = await decide(first.id, 'lead1', 'approved');
    expect(afterFirst.status).toBe(200);
    expect(afterFirst.body.approvals.map((a: { decision: string }) => a.decision)).toEqual(['approved', 'pending']);
    expectError(await decide(first.id, 'manager1', 'approved'), 409, 'complaint.approval_decided');
    const task = (await h.api('GET', '/api/complaint-approvals', { as: 'qa1' })).body.data;
    expect(task).toHaveLength(1);
    expect(task[0]).toMatchObject({ id: second.id, stepsTotal: 2, complaint: { id: c.id, matter: c.matter }, proposal: { solution: '补发同款商品并赔偿 50 元优惠券' } });
    expect(JSON.stringify(task)).not.toContain('3836');
    expect((await h.api('GET', '/api/notifications', { as: 'qa1' })).body.data.map((n: { kind: string }) => n.kind)).toEqual(['complaint_approval']);

    const done = await decide(second.id, 'qa1', 'approved', '同意');
    expect(done.body.status).toBe('approved');
    const after = await get(c.id);
    expect(after).toMatchObject({ status: 'approved', agreedMethod: '顺丰补发，优惠券发至账户', agreedAt: new Date(AGREED_AT).toISOString() });
    expect(after.proposals[0].approvals.map((a: { decidedByName: string }) => a.decidedByName)).toEqual(['李强', '陈静']);
  });

  it('CP3: a rejection needs a comment, ends the proposal and returns the complaint to the investigation with it', async () => {
    const c = await investigating();
    const p = (await propose(c.id)).body;
    await decide(p.approvals[0].id, 'manager1', 'approved');
    expectError(await decide(p.approvals[1].id, 'qa1', 'rejected'), 400, 'complaint.comment_required');
    const rejected = await decide(p.approvals[1].id, 'qa1', 'rejected', '赔偿标准不符合制度，请按订单金额 10% 重新核定');
    expect(rejected.body.status).toBe('rejected');

    const after = await get(c.id);
    expect(after.status).toBe('investigating');
    expect(after.agreedMethod).toBeNull();
    expect(after.proposals[0].approvals[1]).toMatchObject({ decision: 'rejected', comment: '赔偿标准不符合制度，请按订单金额 10% 重新核定' });
    const back = after.timeline.filter((t: { entityType: string; changes: { status?: { from: string; to: string } } | null }) => t.entityType === 'complaint' && t.changes?.status?.from === 'proposed');
    expect(back.map((t: { changes: { status: { to: string } } }) => t.changes.status.to)).toEqual(['investigating']);
    expect(back[0].reason).toBe('第 1 版方案被质检部驳回：赔偿标准不符合制度，请按订单金额 10% 重新核定');
    expect((await h.api('GET', '/api/notifications', { as: 'agent1' })).body.data.map((n: { kind: string; body: string }) => [n.kind, n.body])).toContainEqual([
      'complaint_rejected',
      expect.stringContaining('质检部驳回'),
    ]);

    // The next version starts the chain again.
    const v2 = (await propose(c.id, 'agent1', '按订单金额 10% 赔偿并补发')).body;
    expect(v2.version).toBe(2);
    expect(v2.approvals.map((a: { decision: string }) => a.decision)).toEqual(['pending', 'waiting']);
  });

  it('CP3: a proposal needs an investigation first and an agreed time ahead; an unknown department in the chain is refused', async () => {
    const cid = await customer();
    const fresh = await complaint(cid);
    expectError(await propose(fresh.id), 409, 'complaint.invalid_transition');
    const c = await investigating(cid);
    expectError(
      await h.api('POST', `/api/complaints/${c.id}/proposals`, { as: 'agent1', body: { solution: '补发', agreedMethod: '快递', agreedAt: '2026-03-01T09:00:00+08:00' } }),
      400,
      'complaint.agreed_in_past',
    );
    // The chain names a department that no longer exists: the policy must be fixed first.
    const quality = (await h.api('GET', '/api/departments?limit=200', { as: 'admin' })).body.data.find((d: { code: string }) => d.code === 'quality');
    await h.api('PATCH', `/api/departments/${quality.id}`, { as: 'admin', body: { code: 'quality_control' } });
    const err = expectError(await propose(c.id), 422, 'complaint.unknown_department');
    expect(err.message).toContain('quality');
    expect((await get(c.id)).status).toBe('investigating');
  });
});

describe('CP4 implementation, revisit and closure', () => {
  it('CP4: implementation tasks are tracked and the customer is told when it starts and when it is done', async () => {
    const cid = await customer();
    const conv = await conversation(cid);
    const c = await complaint(cid, { conversationId: conv.id });
    expectError(await h.api('POST', `/api/complaints/${c.id}/actions`, { as: 'agent1', body: { title: '补发' } }), 409, 'complaint.actions_not_allowed');
    await h.api('POST', `/api/complaints/${c.id}/evidence`, { as: 'agent1', body: { kind: 'conversation', refId: conv.id } });
    const p = (await propose(c.id)).body;
    await decide(p.approvals[0].id, 'manager1', 'approved');
    await decide(p.approvals[1].id, 'qa1', 'approved');
    const agent2 = await staffId('agent2');
    const reship = await h.api('POST', `/api/complaints/${c.id}/actions`, { as: 'agent1', body: { title: '顺丰补发同款商品', assigneeId: agent2, dueAt: '2026-03-04T18:00:00+08:00' } });
    expect(reship.status, JSON.stringify(reship.body)).toBe(201);
    const coupon = (await h.api('POST', `/api/complaints/${c.id}/actions`, { as: 'agent1', body: { title: '发放 50 元优惠券' } })).body;
    expect((await get(c.id)).status).toBe('implementing');
    expect((await h.api('GET', '/api/notifications', { as: 'agent2' })).body.data.map((n: { kind: string }) => n.kind)).toContain('complaint_action');
    const messages = async () => (await h.api('GET', `/api/conversations/${conv.id}/messages`, { as: 'agent1' })).body.data.map((m: { body: string }) => m.body);
    expect((await messages()).at(-1)).toBe(`您好，关于您的投诉（编号 ${c.number}），我们已按约定开始处理：顺丰补发，优惠券发至账户，预计 2026年3月5日 18:00 前完成。`);

    expect((await h.api('POST', `/api/complaint-actions/${reship.body.id}/completions`, { as: 'agent1', body: { result: '已补发，单号 SF123' } })).body).toMatchObject({ status: 'done', result: '已补发，单号 SF123' });
    expect((await get(c.id)).status).toBe('implementing');
    expectError(await h.api('POST', `/api/complaint-actions/${reship.body.id}/completions`, { as: 'agent1', body: { result: '再次' } }), 409, 'complaint.action_not_open');
    await h.api('POST', `/api/complaint-actions/${coupon.id}/completions`, { as: 'agent1', body: { result: '已发放' } });
    const after = await get(c.id);
    expect(after.status).toBe('revisiting');
    expect(after.actions.map((a: { status: string }) => a.status)).toEqual(['done', 'done']);
    expect((await messages()).at(-1)).toContain('处理已完成。我们会尽快回访');
  });

  it('CP4: closure is refused until a revisit confirms satisfaction; an unsatisfied revisit reopens the work', async () => {
    const c = await approved();
    const act = async (title: string) => {
      const a = (await h.api('POST', `/api/complaints/${c.id}/actions`, { as: 'agent1', body: { title } })).body;
      await h.api('POST', `/api/complaint-actions/${a.id}/completions`, { as: 'agent1', body: { result: '完成' } });
    };
    const close = () => h.api('POST', `/api/complaints/${c.id}/closures`, { as: 'agent1', body: { note: '客户满意，结案' } });
    const revisit = (outcome: string, note: string) => h.api('POST', `/api/complaints/${c.id}/revisits`, { as: 'agent1', body: { outcome, note } });

    expectError(await revisit('satisfied', '太早'), 409, 'complaint.revisit_not_due');
    await act('补发');
    expect((await get(c.id)).status).toBe('revisiting');
    expectError(await close(), 409, 'complaint.revisit_required');

    const unhappy = await revisit('unsatisfied', '补发的商品颜色不对');
    expect(unhappy.body).toMatchObject({ status: 'implementing', revisitOutcome: 'unsatisfied' });
    expectError(await close(), 409, 'complaint.invalid_transition');
    await act('换发正确颜色');
    expect((await get(c.id)).revisitOutcome).toBeNull();
    expectError(await close(), 409, 'complaint.revisit_required');

    expect((await revisit('satisfied', '客户表示满意')).body).toMatchObject({ status: 'revisiting', revisitOutcome: 'satisfied' });
    const closed = await close();
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: 'closed', closedAt: h.clock.now().toISOString(), archivedAt: h.clock.now().toISOString() });
    const timeline = (await get(c.id)).timeline.map((t: { reason: string | null }) => t.reason).filter(Boolean);
    expect(timeline).toEqual(expect.arrayContaining(['回访（不满意）：补发的商品颜色不对', '回访（满意）：客户表示满意', '客户满意，结案']));
  });

  it('CP4: a closed complaint is archived and read-only: every write answers 409 complaint.archived', async () => {
    const c = await approved();
    const a = (await h.api('POST', `/api/complaints/${c.id}/actions`, { as: 'agent1', body: { title: '补发' } })).body;
    await h.api('POST', `/api/complaint-actions/${a.id}/completions`, { as: 'agent1', body: { result: '完成' } });
    await h.api('POST', `/api/complaints/${c.id}/revisits`, { as: 'agent1', body: { outcome: 'satisfied', note: '满意' } });
    expect((await h.api('POST', `/api/complaints/${c.id}/closures`, { as: 'agent1', body: {} })).status).toBe(200);
    const before = await get(c.id);

    const writes: Array<[string, string, unknown]> = [
      ['PATCH', `/api/complaints/${c.id}`, { category: '改' }],
      ['POST', `/api/complaints/${c.id}/evidence`, { kind: 'order', refId: newId() }],
      ['POST', `/api/complaints/${c.id}/proposals`, { solution: '再来', agreedMethod: '电话', agreedAt: AGREED_AT }],
      ['POST', `/api/complaints/${c.id}/actions`, { title: '追加' }],
      ['POST', `/api/complaint-actions/${a.id}/completions`, { result: '再次' }],
      ['POST', `/api/complaints/${c.id}/revisits`, { outcome: 'unsatisfied', note: '又不满意' }],
      ['POST', `/api/complaints/${c.id}/closures`, {}],
    ];
    for (const [method, url, body] of writes) expectError(await h.api(method as 'POST', url, { as: 'manager1', body }), 409, 'complaint.archived');
    expect(await get(c.id)).toEqual(before);
  });
});

describe('CP4 implementation tasks: cancellation, partners, reminders', () => {
  it('CP4: an open action is cancelled with a reason, recorded and audited, and no longer blocks the revisit', async () => {
    const cid = await customer();
    const conv = await conversation(cid);
    const c = await complaint(cid, { conversationId: conv.id });
    await h.api('POST', `/api/complaints/${c.id}/evidence`, { as: 'agent1', body: { kind: 'conversation', refId: conv.id } });
    const p = (await propose(c.id)).body;
    await decide(p.approvals[0].id, 'manager1', 'approved');
    await decide(p.approvals[1].id, 'qa1', 'approved');
    const agent2 = await staffId('agent2');
    const reship = await newAction(c.id, { title: '顺丰补发同款商品', assigneeId: agent2, dueAt: iso(h.clock.now().getTime() + 2 * HOUR) });
    const coupon = await newAction(c.id, { title: '发放 50 元优惠券' });

    expect(expectError(await cancelAction(reship.id, {}), 400, 'request.invalid').field).toBe('reason');
    expect(expectError(await cancelAction(reship.id, { reason: '   ' }), 400, 'request.invalid').field).toBe('reason');
    expect(expectError(await cancelAction(reship.id, { reason: '长'.repeat(501) }), 400, 'request.invalid').field).toBe('reason');
    expectError(await cancelAction(reship.id, { reason: '不需要' }, 'qa1'), 403, 'auth.forbidden');
    expectError(await cancelAction(reship.id, { reason: '不需要' }, 'partner1'), 403, 'auth.forbidden');
    expectError(await cancelAction(newId(), { reason: '不需要' }), 404, 'complaint.action_not_found');

    expect((await completeAction(coupon.id)).status).toBe(200);
    expectError(await cancelAction(coupon.id, { reason: '已发放，无法取消' }), 409, 'complaint.action_not_open');
    expect((await get(c.id)).status).toBe('implementing');

    const cancelled = await cancelAction(reship.id, { reason: '  客户改为退款，不再补发  ' });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelledAt: h.clock.now().toISOString(), cancelledBy: await staffId('agent1'), cancelReason: '客户改为退款，不再补发', doneAt: null });
    expectError(await cancelAction(reship.id, { reason: '再次' }), 409, 'complaint.action_not_open');
    expectError(await completeAction(reship.id), 409, 'complaint.action_not_open');

    // The last open task is gone and one was done: the implementation is finished and the customer told.
    const after = await get(c.id);
    expect(after.status).toBe('revisiting');
    expect(after.actions.map((a: { status: string }) => a.status)).toEqual(['cancelled', 'done']);
    const messages = (await h.api('GET', `/api/conversations/${conv.id}/messages`, { as: 'agent1' })).body.data.map((m: { body: string }) => m.body);
    expect(messages.at(-1)).toContain('处理已完成');
    const entry = after.timeline.find((t: { entityId: string; changes: { status?: { to: string } } | null }) => t.entityId === reship.id && t.changes?.status?.to === 'cancelled');
    expect(entry).toMatchObject({ reason: '客户改为退款，不再补发', actorName: '张伟' });
    const [event] = await h.kefu.database.db.select().from(events).where(eq(events.type, 'complaint.action_cancelled'));
    expect(event!.data).toMatchObject({ id: reship.id, status: 'cancelled', cancelReason: '客户改为退款，不再补发' });
    expect(await kinds('agent2', 'complaint_action_cancelled')).toEqual([reship.id]);

    // Its due reminder was called off with it.
    h.clock.advance(3 * HOUR);
    await h.kefu.jobs.runDue();
    expect(await kinds('agent2', 'complaint_action_due')).toEqual([]);
  });

  it('CP4: cancelling the only open task of a round keeps the complaint in implementation for a replacement', async () => {
    const c = await approved();
    const first = await newAction(c.id, { title: '上门取件' });
    expect((await cancelAction(first.id, { reason: '客户自行寄回' })).status).toBe(200);
    expect((await get(c.id)).status).toBe('implementing');
    const replacement = await newAction(c.id, { title: '寄送退货面单' });
    expect((await completeAction(replacement.id)).status).toBe(200);
    expect((await get(c.id)).status).toBe('revisiting');

    // An unsatisfied revisit starts a new round: the earlier done task does not finish it.
    h.clock.advance(HOUR);
    await h.api('POST', `/api/complaints/${c.id}/revisits`, { as: 'agent1', body: { outcome: 'unsatisfied', note: '面单地址错误' } });
    h.clock.advance(HOUR);
    const redo = await newAction(c.id, { title: '重新寄送面单' });
    expect((await cancelAction(redo.id, { reason: '改为电子面单' })).status).toBe(200);
    expect((await get(c.id)).status).toBe('implementing');
    expect((await completeAction((await newAction(c.id, { title: '发送电子面单' })).id)).status).toBe(200);
    expect((await get(c.id)).status).toBe('revisiting');
  });

  it('CP4: the assignee or the staff of the action’s department complete it; anyone else gets 403 complaint.not_action_assignee', async () => {
    const c = await approved();
    const departments = (await h.api('GET', '/api/departments?limit=200', { as: 'admin' })).body.data as Array<{ id: string; code: string }>;
    const dept = (code: string) => departments.find((d) => d.code === code)!.id;
    const qa1 = await staffId('qa1');
    const logistics = await newAction(c.id, { title: '物流部核实签收记录', departmentId: dept('logistics') });
    const finance = await newAction(c.id, { title: '财务部退运费', departmentId: dept('finance') });
    const review = await newAction(c.id, { title: '质检复核通话录音', assigneeId: qa1 });
    const extra = await newAction(c.id, { title: '补发赠品', assigneeId: await staffId('agent2') });

    // The partner department hears of its task (nobody was named) and completes it itself.
    expect(await kinds('partner1', 'complaint_action')).toEqual([logistics.id]);
    const byPartner = await completeAction(logistics.id, 'partner1', '签收记录为快递柜代收');
    expect(byPartner.status, JSON.stringify(byPartner.body)).toBe(200);
    expect(byPartner.body).toMatchObject({ status: 'done', doneBy: await staffId('partner1'), result: '签收记录为快递柜代收' });
    expect(await kinds('qa1', 'complaint_action')).toEqual([review.id]);
    expect((await completeAction(review.id, 'qa1', '录音显示坐席已提示验货')).status).toBe(200);

    // Outside the department, not the assignee and not a complaint handler.
    expectError(await completeAction(finance.id, 'partner1'), 403, 'complaint.not_action_assignee');
    expectError(await completeAction(finance.id, 'qa1'), 403, 'complaint.not_action_assignee');
    expectError(await completeAction(extra.id, 'trainer1'), 403, 'complaint.not_action_assignee');
    expectError(await completeAction(extra.id, 'partner1'), 403, 'complaint.not_action_assignee');
    // Completing is theirs; cancelling stays with complaint handlers.
    const reopened = await newAction(c.id, { title: '物流部回访快递员', departmentId: dept('logistics') });
    expectError(await cancelAction(reopened.id, { reason: '不需要' }, 'partner1'), 403, 'auth.forbidden');
    expect((await get(c.id)).actions.map((a: { status: string }) => a.status)).toEqual(['done', 'open', 'done', 'open', 'open']);

    // Whoever handles the complaint may still record any task's result.
    for (const id of [finance.id, extra.id, reopened.id]) expect((await completeAction(id, 'agent1')).status).toBe(200);
    expect((await get(c.id)).status).toBe('revisiting');
  });

  it('CP4: an open action past its due time reminds its assignee and the complaint owner', async () => {
    const c = await approved();
    const departments = (await h.api('GET', '/api/departments?limit=200', { as: 'admin' })).body.data as Array<{ id: string; code: string }>;
    const due = iso(h.clock.now().getTime() + 2 * HOUR);
    const agent2 = await staffId('agent2');
    const assigned = await newAction(c.id, { title: '顺丰补发', assigneeId: agent2, dueAt: due });
    const departmental = await newAction(c.id, { title: '物流部核实', departmentId: departments.find((d) => d.code === 'logistics')!.id, dueAt: due });
    const unassigned = await newAction(c.id, { title: '致电客户确认地址', dueAt: due });
    const finished = await newAction(c.id, { title: '发放优惠券', assigneeId: agent2, dueAt: due });
    const withdrawn = await newAction(c.id, { title: '上门取件', assigneeId: agent2, dueAt: due });
    const undated = await newAction(c.id, { title: '登记回访', assigneeId: agent2 });
    expect((await completeAction(finished.id, 'agent2')).status).toBe(200);
    expect((await cancelAction(withdrawn.id, { reason: '客户自行寄回' })).status).toBe(200);
    expect(undated.dueAt).toBeNull();
    // Completion and cancellation call the pending reminder off.
    const reminders = async (id: string) => (await h.kefu.database.db.select({ status: jobs.status }).from(jobs).where(eq(jobs.dedupeKey, actionDueKey(id)))).map((j) => j.status);
    expect(await reminders(assigned.id)).toEqual(['pending']);
    expect(await reminders(finished.id)).toEqual(['cancelled']);
    expect(await reminders(withdrawn.id)).toEqual(['cancelled']);
    expect(await reminders(undated.id)).toEqual([]);

    h.clock.advance(2 * HOUR - 60_000);
    await h.kefu.jobs.runDue();
    expect(await kinds('agent2', 'complaint_action_due')).toEqual([]);
    expect(await kinds('agent1', 'complaint_action_due')).toEqual([]);

    h.clock.advance(60_000);
    await h.kefu.jobs.runDue();
    expect(await kinds('agent2', 'complaint_action_due')).toEqual([assigned.id]);
    expect(await kinds('partner1', 'complaint_action_due')).toEqual([departmental.id]);
    // The owner hears of every late task; of one with nobody named, only the owner does.
    expect((await kinds('agent1', 'complaint_action_due')).sort()).toEqual([assigned.id, departmental.id, unassigned.id].sort());
    expect(await kinds('lead1', 'complaint_action_due')).toEqual([]);
    const reminder = (await inbox('agent2')).find((n) => n.kind === 'complaint_action_due')!;
    expect(reminder.body).toBe('「顺丰补发」已于 2026年3月2日 11:00 到期，仍未完成。');
    expect(reminder.data).toMatchObject({ complaintId: c.id, dueAt: due });
    const emitted = await h.kefu.database.db.select().from(events).where(eq(events.type, 'complaint.action_due'));
    expect(emitted.map((e) => e.entityId).sort()).toEqual([assigned.id, departmental.id, unassigned.id].sort());
    expect(emitted.find((e) => e.entityId === assigned.id)!.data).toMatchObject({ id: assigned.id, status: 'open', notified: [agent2, await staffId('agent1')] });

    // Once only.
    h.clock.advance(HOUR);
    await h.kefu.jobs.runDue();
    expect(await kinds('agent2', 'complaint_action_due')).toEqual([assigned.id]);
  });
});

describe('CP5 attribution and analysis', () => {
  it('CP5: attribution is set during the investigation only, and kept for the fines ledger', async () => {
    const c = await complaint(await customer());
    const agent2 = await staffId('agent2');
    const set = await h.api('PATCH', `/api/complaints/${c.id}`, { as: 'lead1', body: { cause: '未按规范提醒客户验货', attributedStaffId: agent2, attributionNote: '未执行验货提醒话术' } });
    expect(set.body).toMatchObject({ status: 'investigating', cause: '未按规范提醒客户验货', attributedStaffId: agent2 });
    expectError(await h.api('PATCH', `/api/complaints/${c.id}`, { as: 'lead1', body: { attributedStaffId: newId() } }), 400, 'complaint.staff_not_found');

    const done = await approved();
    expectError(await h.api('PATCH', `/api/complaints/${done.id}`, { as: 'lead1', body: { attributedStaffId: agent2 } }), 409, 'complaint.attribution_closed');
    // Category, severity and owner stay editable until closure; a new owner is told.
    expect((await h.api('PATCH', `/api/complaints/${done.id}`, { as: 'lead1', body: { severity: 'major', ownerId: agent2 } })).body).toMatchObject({ severity: 'major', ownerId: agent2 });
    expect((await h.api('GET', '/api/notifications', { as: 'agent2' })).body.data.map((n: { kind: string; entityId: string }) => [n.kind, n.entityId])).toEqual([['complaint_assigned', done.id]]);
  });

  it('CP5: counts by cause, category, product and agent, and repeat complainants, within the period', async () => {
    const zhang = await customer('张三');
    const li = await customer('李四');
    const wang = await customer('王五');
    const agent1 = await staffId('agent1');
    const agent2 = await staffId('agent2');
    const file = async (cid: string, receivedAt: string, category: string, productModel: string, cause: string | null, staff: string | null) => {
      const c = await complaint(cid, { receivedAt, category, productModel });
      if (cause || staff) await h.api('PATCH', `/api/complaints/${c.id}`, { as: 'lead1', body: { cause, attributedStaffId: staff } });
      return c;
    };
    // Outside the period: received in February.
    await file(wang, '2026-02-20T10:00:00+08:00', '物流', 'KF-100', '快递延误', agent1);
    await file(wang, '2026-03-01T10:00:00+08:00', '物流', 'KF-100', '快递延误', agent1);
    await file(zhang, '2026-03-01T11:00:00+08:00', '物流', 'KF-100', '快递延误', agent1);
    await file(zhang, '2026-03-01T12:00:00+08:00', '服务态度', 'KF-200', '服务用语不规范', agent2);
    await file(li, '2026-03-02T08:00:00+08:00', '产品质量', 'KF-200', null, null);

    const analyse = async (by: string) => {
      const res = await h.api('GET', `/api/complaints/analysis?by=${by}&from=${encodeURIComponent('2026-03-01T00:00:00+08:00')}&to=${encodeURIComponent('2026-04-01T00:00:00+08:00')}`, { as: 'qa1' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.total).toBe(4);
      return res.body.rows.map((r: { label: string; count: number }) => [r.label, r.count]);
    };
    expect(await analyse('category')).toEqual([
      ['物流', 2],
      ['产品质量', 1],
      ['服务态度', 1],
    ]);
    expect(await analyse('cause')).toEqual([
      ['快递延误', 2],
      ['服务用语不规范', 1],
      ['未填写原因', 1],
    ]);
    expect(await analyse('product')).toEqual([
      ['KF-100', 2],
      ['KF-200', 2],
    ]);
    expect(await analyse('agent')).toEqual([
      ['张伟', 2],
      ['刘洋', 1],
      ['未归责', 1],
    ]);
    // Repeat complainants in March: only 张三; 王五's second complaint came in February.
    expect(await analyse('complainant')).toEqual([['张三', 2]]);
    const all = (await h.api('GET', '/api/complaints/analysis?by=complainant', { as: 'qa1' })).body;
    expect(all.rows.map((r: { key: string; count: number }) => [r.key, r.count]).sort()).toEqual([
      [wang, 2],
      [zhang, 2],
    ].sort());
    expect(agent1).not.toBe(agent2);
    expectError(await h.api('GET', '/api/complaints/analysis?by=category', { as: 'agent1' }), 403, 'auth.forbidden');
  });
});

describe('CP1 personal data', () => {
  it('CP1: the contact is masked for an agent, in lists, details and history; a team lead reveals it with a reason, audited', async () => {
    const c = await complaint(await customer());
    expect(c.contact).toBe('138****3836');
    const detail = await get(c.id, 'agent1');
    expect(detail.contact).toBe('138****3836');
    expect(JSON.stringify(detail)).not.toContain('13812343836');
    expect((await h.api('GET', '/api/complaints', { as: 'agent1' })).body.data[0].contact).toBe('138****3836');
    const body = { entityType: 'complaint', entityId: c.id, field: 'contact', reason: '回访客户确认处理结果' };
    expectError(await h.api('POST', '/api/reveals', { as: 'agent1', body }), 403, 'auth.forbidden');
    expect((await h.api('POST', '/api/reveals', { as: 'lead1', body })).body).toEqual({ value: '13812343836' });
    // Who saw it and why is recorded on the complaint, never the value itself.
    const audit = (await h.api('GET', `/api/audit?entityType=complaint&entityId=${c.id}&action=reveal`, { as: 'manager1' })).body;
    expect(audit.data).toEqual([expect.objectContaining({ actorId: await staffId('lead1'), after: { field: 'contact' }, reason: '回访客户确认处理结果' })]);
    expect(JSON.stringify(audit)).not.toContain('13812343836');
    // Webhooks and consoles receive the event as the API shows the complaint: masked.
    const [created] = await h.kefu.database.db.select().from(events).where(eq(events.type, 'complaint.created'));
    expect(created!.data).toMatchObject({ id: c.id, contact: '138****3836' });
  });
});
