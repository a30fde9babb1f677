import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { newId } from '../../db/columns.ts';
import type { DomainEvent } from '../../platform/events/outbox.ts';
import { expectError } from '../../../test/support/errors.ts';
import { createHarness, type Harness } from '../../../test/support/kefu.ts';
import { customerOrders, customers } from '../customers/schema.ts';

let h: Harness;
const events: DomainEvent[] = [];
beforeAll(async () => {
  h = await createHarness({ bus: true });
  h.kefu.bus.subscribe((e) => events.push(e));
});
afterAll(() => h.close());
beforeEach(async () => {
  await h.reset();
  events.length = 0;
});

const ids: Record<string, string> = {};
async function staffId(username: string): Promise<string> {
  const res = await h.api('GET', '/api/auth/me', { as: username });
  ids[username] = res.body.id ?? res.body.staff?.id;
  return ids[username]!;
}

async function customer(name = '王先生', tier: string | null = null): Promise<string> {
  const id = newId();
  const now = h.clock.now();
  await h.kefu.database.db.insert(customers).values({ id, kind: 'person', name, phones: ['13812343836'], emails: [], addresses: [], tags: [], tier, createdAt: now, updatedAt: now });
  return id;
}

async function online(...usernames: string[]) {
  for (const u of usernames) expect((await h.api('PUT', '/api/agent-states/me', { as: u, body: { status: 'online' } })).status).toBe(200);
}

async function open(body: Record<string, unknown> = {}, as = 'lead1') {
  const res = await h.api('POST', '/api/conversations', { as, body: { channel: 'chat', customerId: body.customerId ?? (await customer()), message: { body: '你好，我的订单还没发货' }, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

describe('CH1 one conversation model with a server-enforced status machine', () => {
  it('CH1: a reply opens a new conversation, stamps the first response and enforces transitions', async () => {
    await online('agent1');
    const conv = await open();
    expect(conv.status).toBe('new');
    expect(conv.assigneeId).toBe(await staffId('agent1'));
    const reply = await h.api('POST', `/api/conversations/${conv.id}/messages`, { as: 'agent1', body: { body: '您好，我来帮您查询' } });
    expect(reply.status).toBe(201);
    const after = (await h.api('GET', `/api/conversations/${conv.id}`, { as: 'agent1' })).body;
    expect(after.status).toBe('open');
    expect(after.firstResponseAt).toBe(h.clock.now().toISOString());
    expectError(await h.api('POST', `/api/conversations/${conv.id}/status`, { as: 'agent1', body: { status: 'closed' } }), 409, 'conversation.invalid_transition');
    expectError(await h.api('POST', `/api/conversations/${conv.id}/status`, { as: 'agent1', body: { status: 'archived' } }), 400);
  });

  it('CH5: resolving needs the problem type and the fields the policy requires for it', async () => {
    await online('agent1');
    const conv = await open();
    const resolve = () => h.api('POST', `/api/conversations/${conv.id}/status`, { as: 'agent1', body: { status: 'resolved' } });
    expectError(await resolve(), 422, 'conversation.problem_type_required');
    // call-center: 业务办理 requires the problem description and the order number.
    expect((await h.api('PATCH', `/api/conversations/${conv.id}`, { as: 'agent1', body: { problemType: 'business', intake: { problemDescription: '查询发货' } } })).status).toBe(200);
    const err = expectError(await resolve(), 422, 'conversation.intake_incomplete');
    expect(err.field).toBe('intake.orderNumber');
    expect(err.message).toContain('业务办理');
    expectError(await h.api('PATCH', `/api/conversations/${conv.id}`, { as: 'agent1', body: { problemType: 'no_such_type' } }), 400, 'conversation.unknown_problem_type');
    const patched = await h.api('PATCH', `/api/conversations/${conv.id}`, { as: 'agent1', body: { intake: { orderNumber: 'DD20260302001' } } });
    expect(patched.body.intake).toEqual({ problemDescription: '查询发货', orderNumber: 'DD20260302001' });
    expect(patched.body.businessDomain).toBe('hotline');
    const resolved = await resolve();
    expect(resolved.status).toBe(200);
    expect(resolved.body.status).toBe('resolved');
  });

  it('CH5: a problem-record field sent as "" is cleared and the others kept; resolving then asks for it again', async () => {
    await online('agent1');
    const conv = await open({ problemType: 'business', intake: { orderNumber: 'DD20260302001', problemDescription: '查询发货', productModel: 'KF-1' } });
    const patch = (intake: Record<string, string>) => h.api('PATCH', `/api/conversations/${conv.id}`, { as: 'agent1', body: { intake } });
    const cleared = await patch({ orderNumber: '', productModel: '' });
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    expect(cleared.body.intake).toEqual({ problemDescription: '查询发货' });
    expect((await h.api('GET', `/api/conversations/${conv.id}`, { as: 'agent1' })).body.intake).toEqual({ problemDescription: '查询发货' });
    const err = expectError(await h.api('POST', `/api/conversations/${conv.id}/status`, { as: 'agent1', body: { status: 'resolved' } }), 422, 'conversation.intake_incomplete');
    expect(err.field).toBe('intake.orderNumber');
    // The limits still hold for what is written.
    expect(expectError(await patch({ orderNumber: 'x'.repeat(65) }), 400, 'request.invalid').field).toBe('intake.orderNumber');
  });

  it('CH1: a customer reply to a resolved conversation reopens it and counts the reopen', async () => {
    await online('agent1');
    const conv = await open({ problemType: 'consultation', intake: { problemDescription: '咨询' } });
    await h.api('POST', `/api/conversations/${conv.id}/messages`, { as: 'agent1', body: { body: '已处理', status: 'resolved' } });
    expect((await h.api('GET', `/api/conversations/${conv.id}`, { as: 'agent1' })).body.status).toBe('resolved');
    const { addCustomerMessage } = await import('./service.ts');
    const { write } = await import('../../platform/write.ts');
    const { systemCtx } = await import('../../platform/context.ts');
    const { findVisible } = await import('./record.ts');
    const ctx = systemCtx(h.kefu.database.db, h.clock);
    await write(ctx, async (w) => addCustomerMessage(w, await findVisible(w.tx, ctx.actor, conv.id, { lock: true }), { body: '还是没收到' }, { maxChars: 5000 }));
    const after = (await h.api('GET', `/api/conversations/${conv.id}`, { as: 'agent1' })).body;
    expect(after.status).toBe('open');
    expect(after.reopenCount).toBe(1);
    expect(after.resolvedAt).toBeNull();
  });

  it('CH1: an internal note never reaches the customer channel and is marked as a note', async () => {
    await online('agent1');
    const conv = await open();
    await h.api('POST', `/api/conversations/${conv.id}/messages`, { as: 'agent1', body: { body: '客户语气激动，注意安抚', internal: true } });
    const list = (await h.api('GET', `/api/conversations/${conv.id}/messages`, { as: 'agent1' })).body.data;
    expect(list.map((m: { author: string }) => m.author)).toEqual(['customer', 'note']);
    await h.kefu.bus.drain();
    const created = events.filter((e) => e.type === 'message.created').map((e) => e.data);
    expect(created.at(-1)).toMatchObject({ author: 'note', visitorId: null });
    // A note does not count as the first response.
    expect((await h.api('GET', `/api/conversations/${conv.id}`, { as: 'agent1' })).body.firstResponseAt).toBeNull();
  });

  it('CH1: an agent sees only their own and their queues’ work; QA sees all; partners nothing', async () => {
    await online('agent1');
    const conv = await open();
    expect(conv.assigneeId).toBe(await staffId('agent1'));
    expectError(await h.api('GET', `/api/conversations/${conv.id}`, { as: 'agent2' }), 404, 'conversation.not_found');
    expect((await h.api('GET', '/api/conversations', { as: 'agent2' })).body.data).toEqual([]);
    expect((await h.api('GET', `/api/conversations/${conv.id}`, { as: 'qa1' })).status).toBe(200);
    expect((await h.api('GET', `/api/conversations/${conv.id}`, { as: 'lead1' })).status).toBe(200);
    expectError(await h.api('GET', `/api/conversations/${conv.id}`, { as: 'partner1' }), 403);
    expectError(await h.api('POST', `/api/conversations/${conv.id}/messages`, { as: 'qa1', body: { body: '你好' } }), 403);
  });

  it('CH1: filtered listing pages newest first', async () => {
    await online('agent1');
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      h.clock.advance(1000);
      made.push((await open({ priority: i % 2 ? 'high' : 'normal' })).id);
    }
    const first = await h.api('GET', '/api/conversations?limit=2&assignee=me', { as: 'agent1' });
    expect(first.body.data.map((c: { id: string }) => c.id)).toEqual([made[4], made[3]]);
    const second = await h.api('GET', `/api/conversations?limit=2&assignee=me&cursor=${first.body.nextCursor}`, { as: 'agent1' });
    expect(second.body.data.map((c: { id: string }) => c.id)).toEqual([made[2], made[1]]);
    const high = await h.api('GET', '/api/conversations?priority=high', { as: 'agent1' });
    expect(high.body.data.map((c: { id: string }) => c.id)).toEqual([made[3], made[1]]);
    expectError(await h.api('GET', '/api/conversations?sort=oldest', { as: 'agent1' }), 400);
  });
});

describe('CH6 routing', () => {
  it('CH6: round-robin among online agents, each assignment with its reason', async () => {
    await online('agent1', 'agent2');
    const a = await open();
    const b = await open();
    const c = await open();
    expect(new Set([a.assigneeId, b.assigneeId])).toEqual(new Set([await staffId('agent1'), await staffId('agent2')]));
    expect(c.assigneeId).toBe(a.assigneeId);
    const why = (await h.api('GET', `/api/conversations/${b.id}/assignments`, { as: 'lead1' })).body;
    expect(why).toHaveLength(1);
    expect(why[0].reason.code).toBe('round_robin');
    expect(why[0].reason.text).toContain('在线客服');
  });

  it('CH6: nobody online → the conversation waits in its queue and goes to the first agent who comes online', async () => {
    const conv = await open();
    expect(conv.assigneeId).toBeNull();
    expect(conv.queueId).not.toBeNull();
    await online('agent2');
    const after = (await h.api('GET', `/api/conversations/${conv.id}`, { as: 'agent2' })).body;
    expect(after.assigneeId).toBe(await staffId('agent2'));
  });

  it('CH6: capacity per channel is respected and least-busy spreads email', async () => {
    const agent1 = await staffId('agent1');
    await h.api('PUT', `/api/agent-states/${agent1}`, { as: 'lead1', body: { status: 'online', capacity: { chat: 1 } } });
    const first = await open();
    const second = await open();
    expect(first.assigneeId).toBe(agent1);
    expect(second.assigneeId).toBeNull();
    const agents = (await h.api('GET', '/api/agent-states', { as: 'lead1' })).body;
    expect(agents.find((a: { staffId: string }) => a.staffId === agent1)).toMatchObject({ status: 'online', load: { chat: 1 }, capacity: { chat: 1 } });
    await online('agent2');
    const e1 = await open({ channel: 'email' });
    const e2 = await open({ channel: 'email' });
    expect(new Set([e1.assigneeId, e2.assigneeId]).size).toBe(2);
    const why = (await h.api('GET', `/api/conversations/${e2.id}/assignments`, { as: 'lead1' })).body;
    expect(why[0].reason.code).toBe('least_busy');
  });

  it('CH6: a VIP customer is routed to the top tier’s priority line', async () => {
    await online('agent1');
    const vip = await customer('李总', 'vip');
    const conv = await open({ customerId: vip });
    const queues = (await h.api('GET', '/api/queues', { as: 'agent1' })).body;
    const line = queues.find((q: { code: string }) => q.code === 'priority_line');
    expect(line.tiers).toEqual(['vip']);
    expect(conv.queueId).toBe(line.id);
    const regular = await open();
    expect(regular.queueId).toBe(queues.find((q: { code: string }) => q.code === 'online').id);
  });

  it('CH6: a conversation needing a skill goes to the queue of that skill and its members', async () => {
    await online('agent1', 'agent2');
    const agent2 = await staffId('agent2');
    const refunds = await h.api('POST', '/api/queues', { as: 'lead1', body: { code: 'refunds', name: '退款专席', channels: ['chat', 'email'], skills: ['refund'], strategy: 'least_busy', memberIds: [agent2] } });
    expect(refunds.status).toBe(201);
    const skilled = await open({ skill: 'refund' });
    expect(skilled).toMatchObject({ queueId: refunds.body.id, assigneeId: agent2 });
    const plain = await open();
    expect(plain.queueId).not.toBe(refunds.body.id);
    expectError(await h.api('POST', '/api/queues', { as: 'agent1', body: { code: 'mine', name: '我的', channels: ['chat'] } }), 403);
    expectError(await h.api('POST', '/api/queues', { as: 'lead1', body: { code: 'refunds', name: '重复', channels: ['chat'] } }), 409, 'routing.queue_code_taken');
  });

  it('CH6: an agent going offline hands their chats to an online colleague, with the reason', async () => {
    await online('agent1');
    const conv = await open();
    await online('agent2');
    expect(conv.assigneeId).toBe(await staffId('agent1'));
    await h.api('PUT', '/api/agent-states/me', { as: 'agent1', body: { status: 'offline' } });
    const after = (await h.api('GET', `/api/conversations/${conv.id}`, { as: 'lead1' })).body;
    expect(after.assigneeId).toBe(await staffId('agent2'));
    const why = (await h.api('GET', `/api/conversations/${conv.id}/assignments`, { as: 'lead1' })).body;
    expect(why.map((a: { reason: { code: string } }) => a.reason.code)).toEqual(['round_robin', 'reassigned_offline']);
    expect(why[0].endReason).toBe('agent_offline');
    expect(why[1].reason.text).toContain('张伟');
  });

  it('CH6: the assigned agent’s console is told at once over /api/realtime', async () => {
    await online('agent1');
    await h.kefu.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.kefu.app.server.address() as { port: number };
    const token = await h.login('agent1');
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/realtime`, { headers: { authorization: `Bearer ${token}` } });
    const frames: Array<{ type: string; event?: string; data?: Record<string, unknown> }> = [];
    ws.on('message', (raw) => frames.push(JSON.parse(String(raw))));
    await new Promise((resolve) => ws.once('open', resolve));
    await expect.poll(() => frames.some((f) => f.type === 'ready')).toBe(true);
    const conv = await open();
    await h.kefu.bus.drain();
    await expect.poll(() => frames.find((f) => f.event === 'conversation.assigned')?.data?.id).toBe(conv.id);
    ws.close();
  });

  it('CH6: a lead assigns by hand; an agent may not', async () => {
    const conv = await open();
    const agent2 = await staffId('agent2');
    const res = await h.api('POST', `/api/conversations/${conv.id}/assignments`, { as: 'lead1', body: { staffId: agent2, note: '熟悉该客户' } });
    expect(res.body.assigneeId).toBe(agent2);
    const why = (await h.api('GET', `/api/conversations/${conv.id}/assignments`, { as: 'lead1' })).body;
    expect(why.at(-1).reason).toEqual({ code: 'manual', text: '由 李强 指派：熟悉该客户' });
    expectError(await h.api('POST', `/api/conversations/${conv.id}/assignments`, { as: 'agent1', body: { staffId: agent2 } }), 403);
  });

  it('CH6 (issue 5 §3): an agent claims waiting work of their queue; a claimed one is not taken twice; the inbox counts follow', async () => {
    const conv = await open({ subject: '空调不制冷', intake: { orderNumber: 'SO-7788' } });
    const before = (await h.api('GET', '/api/conversations/counts', { as: 'agent1' })).body;
    expect(before).toMatchObject({ mine: 0, unassigned: 1, active: 1, pending: 0, byStatus: { new: 1, open: 0 } });
    const claimed = await h.api('POST', `/api/conversations/${conv.id}/claims`, { as: 'agent1' });
    expect(claimed.status).toBe(200);
    expect(claimed.body.assigneeId).toBe(await staffId('agent1'));
    const why = (await h.api('GET', `/api/conversations/${conv.id}/assignments`, { as: 'lead1' })).body;
    expect(why.at(-1).reason.code).toBe('claimed');
    expect((await h.api('POST', `/api/conversations/${conv.id}/claims`, { as: 'agent1' })).status).toBe(200);
    expectError(await h.api('POST', `/api/conversations/${conv.id}/claims`, { as: 'lead1' }), 409, 'routing.already_assigned');
    expect((await h.api('GET', '/api/conversations/counts', { as: 'agent1' })).body).toMatchObject({ mine: 1, unassigned: 0, active: 1 });
    // agent2 no longer sees it once it is agent1's.
    expect((await h.api('GET', '/api/conversations/counts', { as: 'agent2' })).body).toMatchObject({ mine: 0, unassigned: 0, active: 0 });

    // Search: by number, by words of the subject, by order number; LIKE wildcards are literal.
    const search = async (q: string) => (await h.api('GET', `/api/conversations?q=${encodeURIComponent(q)}`, { as: 'agent1' })).body.data.map((c: { id: string }) => c.id);
    expect(await search(String(conv.number))).toEqual([conv.id]);
    expect(await search('不制冷')).toEqual([conv.id]);
    expect(await search('so-7788')).toEqual([conv.id]);
    expect(await search('%')).toEqual([]);
  });

  it('CH6 (issue 5 §3): the inbox counts each queue’s waiting and unresolved work, only as far as the agent may see it', async () => {
    const agent2 = await staffId('agent2');
    const refunds = (await h.api('POST', '/api/queues', { as: 'lead1', body: { code: 'refunds', name: '退款专席', channels: ['chat'], skills: ['refund'], memberIds: [agent2] } })).body;
    // Nobody online: both wait, one in the refunds queue, one in the online queue.
    const skilled = await open({ skill: 'refund' });
    const plain = await open();
    expect(skilled).toMatchObject({ queueId: refunds.id, assigneeId: null });
    const countsOf = async (as: string) => (await h.api('GET', '/api/conversations/counts', { as })).body.byQueue;
    expect(await countsOf('agent2')).toMatchObject({ [refunds.id]: { waiting: 1, active: 1 }, [plain.queueId]: { waiting: 1, active: 1 } });
    // agent1 is no member of the refunds queue: its waiting work is not theirs to see or count.
    expect((await countsOf('agent1'))[refunds.id]).toBeUndefined();

    expect((await h.api('POST', `/api/conversations/${skilled.id}/claims`, { as: 'agent2' })).status).toBe(200);
    expect((await countsOf('agent2'))[refunds.id]).toEqual({ waiting: 0, active: 1 });
  });
});

describe('CH7 transfer, escalation, partner hand-off', () => {
  it('CH7: transfer to a colleague with a note moves the conversation and leaves a note', async () => {
    await online('agent1');
    const conv = await open();
    const agent2 = await staffId('agent2');
    const res = await h.api('POST', `/api/conversations/${conv.id}/transfers`, { as: 'agent1', body: { toStaffId: agent2, note: '涉及退款，转刘洋' } });
    expect(res.status).toBe(200);
    expect(res.body.assigneeId).toBe(agent2);
    const msgs = (await h.api('GET', `/api/conversations/${conv.id}/messages`, { as: 'agent2' })).body.data;
    expect(msgs.at(-1)).toMatchObject({ author: 'note', body: expect.stringContaining('涉及退款，转刘洋') });
    expectError(await h.api('POST', `/api/conversations/${conv.id}/transfers`, { as: 'agent1', body: { note: '无目标' } }), 400, 'task.no_target');
  });

  it('CH7: escalation raises the support level, gives an engineer a task, and the agent keeps the case', async () => {
    await online('agent1');
    const conv = await open();
    const res = await h.api('POST', `/api/conversations/${conv.id}/escalations`, { as: 'agent1', body: { note: '设备反复重启，需工程师远程诊断' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'escalation', assigneeId: await staffId('engineer1'), status: 'open' });
    const after = (await h.api('GET', `/api/conversations/${conv.id}`, { as: 'agent1' })).body;
    expect(after.supportLevel).toBe(2);
    expect(after.assigneeId).toBe(await staffId('agent1'));
    // The engineer can now read the case to work the task.
    expect((await h.api('GET', `/api/conversations/${conv.id}`, { as: 'engineer1' })).status).toBe(200);
  });

  it('CH7: a partner department sees only its hand-off, never the customer, and its answer returns to the owner', async () => {
    await online('agent1');
    const conv = await open({ intake: { orderNumber: 'DD001', problemDescription: '物流停滞三天', contact: '13912345678' } });
    const departments = (await h.api('GET', '/api/departments', { as: 'admin' })).body.data;
    const logistics = departments.find((d: { kind: string }) => d.kind === 'logistics');
    const service = departments.find((d: { kind: string }) => d.kind === 'service_operations');
    expectError(await h.api('POST', `/api/conversations/${conv.id}/handoffs`, { as: 'agent1', body: { departmentId: service.id, title: '查件', dueAt: '2026-03-03T09:00:00+08:00' } }), 400, 'task.not_partner_department');
    expectError(await h.api('POST', `/api/conversations/${conv.id}/handoffs`, { as: 'agent1', body: { departmentId: logistics.id, title: '查件', dueAt: '2026-03-01T09:00:00+08:00' } }), 400, 'task.due_in_past');
    const task = await h.api('POST', `/api/conversations/${conv.id}/handoffs`, { as: 'agent1', body: { departmentId: logistics.id, title: '查询物流停滞原因', dueAt: '2026-03-03T09:00:00+08:00' } });
    expect(task.status).toBe(201);
    expect((await h.api('GET', `/api/conversations/${conv.id}`, { as: 'agent1' })).body.status).toBe('pending_internal');

    const mine = (await h.api('GET', '/api/tasks', { as: 'partner1' })).body.data;
    expect(mine.map((t: { id: string }) => t.id)).toEqual([task.body.id]);
    const detail = (await h.api('GET', `/api/tasks/${task.body.id}`, { as: 'partner1' })).body;
    expect(detail.brief.intake).toEqual({ orderNumber: 'DD001', problemDescription: '物流停滞三天' });
    expect(JSON.stringify(detail)).not.toContain('1391234');
    expect(detail.brief.ownerName).toBe('张伟');
    expectError(await h.api('GET', `/api/conversations/${conv.id}/messages`, { as: 'partner1' }), 403);

    const done = await h.api('POST', `/api/tasks/${task.body.id}/completions`, { as: 'partner1', body: { result: '快递公司中转延误，预计明日送达' } });
    expect(done.body.status).toBe('done');
    const after = (await h.api('GET', `/api/conversations/${conv.id}`, { as: 'agent1' })).body;
    expect(after.status).toBe('open');
    expect(after.assigneeId).toBe(await staffId('agent1'));
    const msgs = (await h.api('GET', `/api/conversations/${conv.id}/messages`, { as: 'agent1' })).body.data;
    expect(msgs.at(-1).body).toContain('预计明日送达');
    expectError(await h.api('POST', `/api/tasks/${task.body.id}/completions`, { as: 'partner1', body: { result: '再次' } }), 409, 'task.not_open');
  });
});

describe('CH9 follow-ups', () => {
  it('CH9: at the due time the conversation is flagged, the online owner told, and the customer gets the progress message', async () => {
    await online('agent1');
    const conv = await open();
    const due = new Date(h.clock.now().getTime() + 2 * 3600_000).toISOString();
    const task = await h.api('POST', `/api/conversations/${conv.id}/follow-ups`, { as: 'agent1', body: { dueAt: due, note: '两小时后回复维修进度', customerMessage: '您好，您的维修单正在处理中，我们会尽快给您答复。' } });
    expect(task.status).toBe(201);
    await h.kefu.jobs.runDue();
    expect((await h.api('GET', `/api/conversations/${conv.id}`, { as: 'agent1' })).body.followUpDueAt).toBeNull();
    h.clock.advance(2 * 3600_000);
    await h.kefu.jobs.runDue();
    await h.kefu.bus.drain();
    const after = (await h.api('GET', `/api/conversations/${conv.id}`, { as: 'agent1' })).body;
    expect(after.followUpDueAt).toBe(due.replace('Z', '.000Z').replace('.000.000Z', '.000Z'));
    const flagged = (await h.api('GET', '/api/conversations?flagged=true', { as: 'agent1' })).body.data;
    expect(flagged.map((c: { id: string }) => c.id)).toEqual([conv.id]);
    const dueEvent = events.find((e) => e.type === 'task.due');
    expect(dueEvent?.audience.staffIds).toContain(await staffId('agent1'));
    expect(dueEvent?.data.notifiedTeam).toBe(false);
    const msgs = (await h.api('GET', `/api/conversations/${conv.id}/messages`, { as: 'agent1' })).body.data;
    expect(msgs.at(-1)).toMatchObject({ author: 'system', body: expect.stringContaining('维修单正在处理中') });
    await h.api('POST', `/api/tasks/${task.body.id}/completions`, { as: 'agent1', body: { result: '已告知客户进度' } });
    expect((await h.api('GET', `/api/conversations/${conv.id}`, { as: 'agent1' })).body.followUpDueAt).toBeNull();
  });

  it('CH9: when the owner is offline at the due time, their team is told', async () => {
    await online('agent1');
    const conv = await open();
    await h.api('POST', `/api/conversations/${conv.id}/messages`, { as: 'agent1', body: { body: '稍后回复您', status: 'pending_customer' } });
    await h.api('POST', `/api/conversations/${conv.id}/follow-ups`, { as: 'agent1', body: { dueAt: '2026-03-02T18:00:00+08:00', note: '下班前确认' } });
    await h.api('PUT', '/api/agent-states/me', { as: 'agent1', body: { status: 'offline' } });
    h.clock.set('2026-03-02T18:00:00+08:00');
    await h.kefu.jobs.runDue();
    await h.kefu.bus.drain();
    const dueEvent = events.find((e) => e.type === 'task.due');
    expect(dueEvent?.data.notifiedTeam).toBe(true);
    const me = (await h.api('GET', '/api/auth/me', { as: 'lead1' })).body;
    expect(dueEvent?.audience.teamIds).toContain(me.teamId ?? me.staff?.teamId);
  });
});

describe('CH8 canned replies', () => {
  it('CH8: personal and shared replies, variables filled from the conversation, search', async () => {
    await online('agent1');
    const cid = await customer('陈女士');
    const now = h.clock.now();
    await h.kefu.database.db.insert(customerOrders).values({ id: newId(), customerId: cid, number: 'DD88', items: [], amountFen: 100, status: 'paid', orderedAt: now, createdAt: now, updatedAt: now });
    const conv = await open({ customerId: cid });
    expectError(await h.api('POST', '/api/canned-replies', { as: 'agent1', body: { scope: 'shared', title: '问候', body: '您好' } }), 403, 'canned_reply.shared_forbidden');
    const shared = await h.api('POST', '/api/canned-replies', { as: 'trainer1', body: { scope: 'shared', title: '订单查询', body: '{customer.name}您好，我是{agent.name}，您的订单{order.number}正在处理。', category: '订单', shortcut: 'order' } });
    expect(shared.status).toBe(201);
    const mine = await h.api('POST', '/api/canned-replies', { as: 'agent1', body: { scope: 'personal', title: '结束语', body: '感谢您的耐心，祝您生活愉快！{unknown.var}' } });
    expect(mine.status).toBe(201);
    expect((await h.api('GET', '/api/canned-replies', { as: 'agent2' })).body.map((r: { title: string }) => r.title)).toEqual(['订单查询']);
    expect((await h.api('GET', '/api/canned-replies?q=订单', { as: 'agent1' })).body.map((r: { title: string }) => r.title)).toEqual(['订单查询']);
    const rendered = await h.api('POST', `/api/canned-replies/${shared.body.id}/renderings`, { as: 'agent1', body: { conversationId: conv.id } });
    expect(rendered.body).toEqual({ text: '陈女士您好，我是张伟，您的订单DD88正在处理。', missing: [] });
    const partial = await h.api('POST', `/api/canned-replies/${mine.body.id}/renderings`, { as: 'agent1', body: { conversationId: conv.id } });
    expect(partial.body.missing).toEqual(['unknown.var']);
    expectError(await h.api('PATCH', `/api/canned-replies/${mine.body.id}`, { as: 'agent2', body: { title: '改' } }), 404);
    expectError(await h.api('POST', '/api/canned-replies', { as: 'lead1', body: { scope: 'shared', title: '重复', body: 'x', shortcut: 'order' } }), 409, 'canned_reply.shortcut_taken');
  });
});

describe('CH11 handling time', () => {
  it('CH11: chat handling time counts agent-active time and excludes time pending on the customer', async () => {
    await online('agent1');
    const conv = await open({ problemType: 'consultation', intake: { problemDescription: '咨询' } });
    h.clock.advance(30_000); // waiting before the agent answers is not handling time
    await h.api('POST', `/api/conversations/${conv.id}/messages`, { as: 'agent1', body: { body: '您好' } });
    h.clock.advance(120_000);
    await h.api('POST', `/api/conversations/${conv.id}/messages`, { as: 'agent1', body: { body: '请提供订单号', status: 'pending_customer' } });
    h.clock.advance(600_000);
    await h.api('POST', `/api/conversations/${conv.id}/status`, { as: 'agent1', body: { status: 'open' } });
    h.clock.advance(60_000);
    const live = (await h.api('GET', `/api/conversations/${conv.id}`, { as: 'agent1' })).body;
    expect(live.handlingSeconds).toBe(180);
    await h.api('POST', `/api/conversations/${conv.id}/status`, { as: 'agent1', body: { status: 'resolved' } });
    h.clock.advance(3600_000);
    expect((await h.api('GET', `/api/conversations/${conv.id}`, { as: 'agent1' })).body.handlingSeconds).toBe(180);
  });
});

describe('CH1 attachments and bad input', () => {
  const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

  function multipart(name: string, bytes: Buffer) {
    const boundary = '----kefu' + Math.random().toString(16).slice(2);
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    return { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
  }

  async function upload(convId: string, name: string, bytes: Buffer, as = 'agent1') {
    const { body, headers } = multipart(name, bytes);
    const token = await h.login(as);
    const res = await h.kefu.app.inject({ method: 'POST', url: `/api/conversations/${convId}/attachments`, headers: { ...headers, authorization: `Bearer ${token}` }, payload: body });
    return { status: res.statusCode, body: res.json(), headers: res.headers };
  }

  it('CH1: an attachment is stored under the data dir with the type the server sniffed, and sent with a message', async () => {
    await online('agent1');
    const conv = await open();
    const up = await upload(conv.id, '截图.txt', PNG);
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({ fileName: '截图.txt', contentType: 'image/png', size: PNG.length });
    const msg = await h.api('POST', `/api/conversations/${conv.id}/messages`, { as: 'agent1', body: { body: '请看截图', attachmentIds: [up.body.id] } });
    expect(msg.body.attachments.map((a: { id: string }) => a.id)).toEqual([up.body.id]);
    const token = await h.login('agent1');
    const file = await h.kefu.app.inject({ method: 'GET', url: `/api/attachments/${up.body.id}`, headers: { authorization: `Bearer ${token}` } });
    expect(file.headers['content-type']).toBe('image/png');
    expect(file.rawPayload.equals(PNG)).toBe(true);
    expectError(await h.api('GET', `/api/attachments/${up.body.id}`, { as: 'agent2' }), 404, 'conversation.attachment_not_found');
    expectError(await h.api('POST', `/api/conversations/${conv.id}/messages`, { as: 'agent1', body: { body: '再发一次', attachmentIds: [up.body.id] } }), 409, 'conversation.attachment_in_use');
  });

  it('CH1: executables are refused, oversize files are 413, and nothing is recorded', async () => {
    await online('agent1');
    const conv = await open();
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(64)]);
    const bad = await upload(conv.id, 'photo.jpg', elf);
    expect(bad.status).toBe(415);
    expect(bad.body.error.code).toBe('file.type_not_allowed');
    const big = await upload(conv.id, 'big.txt', Buffer.alloc(h.kefu.config.attachmentMaxBytes + 10, 0x61));
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('file.too_large');
    const audit = (await h.api('GET', '/api/audit?entityType=attachment', { as: 'admin' })).body.data;
    expect(audit).toEqual([]);
  });

  it('CH1: unknown ids, oversize messages and unknown fields are clear 4xx and change nothing', async () => {
    await online('agent1');
    const conv = await open();
    expectError(await h.api('GET', `/api/conversations/${newId()}`, { as: 'agent1' }), 404, 'conversation.not_found');
    expectError(await h.api('GET', '/api/conversations/not-a-uuid', { as: 'agent1' }), 400);
    const long = 'a'.repeat(h.kefu.config.messageMaxChars + 1);
    expectError(await h.api('POST', `/api/conversations/${conv.id}/messages`, { as: 'agent1', body: { body: long } }), 413, 'conversation.message_too_long');
    expectError(await h.api('POST', `/api/conversations/${conv.id}/messages`, { as: 'agent1', body: { body: '   ' } }), 400, 'conversation.message_empty');
    expectError(await h.api('POST', `/api/conversations/${conv.id}/messages`, { as: 'agent1', body: { body: 'hi', colour: 'red' } }), 400);
    expectError(await h.api('POST', '/api/conversations', { as: 'agent1', body: { channel: 'fax', customerId: await customer() } }), 400);
    expectError(await h.api('POST', '/api/conversations', { as: 'agent1', body: { channel: 'chat', customerId: newId() } }), 404, 'conversation.customer_not_found');
    const msgs = (await h.api('GET', `/api/conversations/${conv.id}/messages`, { as: 'agent1' })).body.data;
    expect(msgs).toHaveLength(1);
  });

  it('CH1: an API client resending with the same clientId gets the stored message, not a second one', async () => {
    await online('agent1');
    const conv = await open();
    const send = () => h.api('POST', `/api/conversations/${conv.id}/messages`, { as: 'agent1', body: { body: '您好', clientId: 'c-1' } });
    const a = await send();
    const b = await send();
    expect(b.body.id).toBe(a.body.id);
    expect((await h.api('GET', `/api/conversations/${conv.id}/messages`, { as: 'agent1' })).body.data).toHaveLength(2);
  });
});
