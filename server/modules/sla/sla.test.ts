import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signedEvent, type CtiEvent } from '../../../scripts/replay-call.ts';
import { expectError } from '../../../test/support/errors.ts';
import { createHarness, testConfig, type Harness } from '../../../test/support/kefu.ts';
import { buildKefu } from '../../app.ts';
import { newId } from '../../db/columns.ts';
import type { DomainEvent } from '../../platform/events/outbox.ts';
import { jobs } from '../../platform/jobs/schema.ts';
import { systemCtx } from '../../platform/context.ts';
import { write } from '../../platform/write.ts';
import { conversations } from '../conversations/schema.ts';
import { addCustomerMessage } from '../conversations/service.ts';
import { customers } from '../customers/schema.ts';
import { notifications } from '../notifications/schema.ts';

const SECRET = 'cti-sla-secret';
let h: Harness;
const events: DomainEvent[] = [];
beforeAll(async () => {
  h = await createHarness({ bus: true, config: { ctiSecret: SECRET } });
  h.kefu.bus.subscribe((e) => events.push(e));
});
afterAll(() => h.close());
beforeEach(async () => {
  await h.reset();
  events.length = 0;
});

const db = () => h.kefu.database.db;
const seconds = (n: number) => h.clock.advance(n * 1000);

async function staffId(username: string): Promise<string> {
  return (await h.api('GET', '/api/auth/me', { as: username })).body.id;
}

async function customer(tier: string | null = null): Promise<string> {
  const id = newId();
  const now = h.clock.now();
  await db().insert(customers).values({ id, kind: 'person', name: '王先生', phones: ['13812343836'], emails: [], addresses: [], tags: [], tier, createdAt: now, updatedAt: now });
  return id;
}

async function chat(body: Record<string, unknown> = {}) {
  await h.api('PUT', '/api/agent-states/me', { as: 'agent1', body: { status: 'online' } });
  const res = await h.api('POST', '/api/conversations', { as: 'lead1', body: { channel: 'chat', customerId: await customer(), message: { body: '你好，我的订单还没发货' }, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; number: number };
}

async function targets(conversationId: string, as = 'agent1'): Promise<Record<string, any>[]> {
  const res = await h.api('GET', `/api/conversations/${conversationId}/sla-targets`, { as });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data;
}
const target = async (conversationId: string, metric: string, seq = 1) => (await targets(conversationId)).find((t) => t.metric === metric && t.seq === seq);

async function runJobs() {
  await h.kefu.jobs.runDue();
  await h.kefu.bus.drain();
}

async function customerSays(id: string, body: string) {
  await write(systemCtx(db(), h.clock), async (w) => {
    const [c] = await w.tx.select().from(conversations).where(eq(conversations.id, id));
    await addCustomerMessage(w, c!, { body }, { maxChars: 5000 });
  });
}

const say = (id: string, body: string, extra: Record<string, unknown> = {}) => h.api('POST', `/api/conversations/${id}/messages`, { as: 'agent1', body: { body, ...extra } });

describe('S1 targets from the policy', () => {
  it('S1: chat first response within 30 s is met; elapsed and remaining are shown', async () => {
    const conv = await chat();
    seconds(12);
    const running = await target(conv.id, 'first_response');
    expect(running).toMatchObject({ status: 'running', targetSeconds: 30, elapsedSeconds: 12, remainingSeconds: 18, calendar: 'business', label: '首次响应' });
    seconds(8);
    expect((await say(conv.id, '您好，我来帮您查询')).status).toBe(201);
    expect(await target(conv.id, 'first_response')).toMatchObject({ status: 'met', elapsedSeconds: 20, metAt: h.clock.now().toISOString(), staffId: await staffId('agent1') });
    expect(await target(conv.id, 'resolution')).toMatchObject({ status: 'running', targetSeconds: 48 * 3600 });
  });

  it('S1: a chat that arrives before opening hours starts its clock at 09:00', async () => {
    h.clock.set('2026-03-02T07:00:00+08:00');
    const conv = await chat();
    expect(await target(conv.id, 'first_response')).toMatchObject({ startedAt: '2026-03-01T23:00:00.000Z', dueAt: '2026-03-02T01:00:30.000Z', elapsedSeconds: 0 });
  });

  it('S1: each customer message after a reply starts a next-response clock; the reply meets it', async () => {
    const conv = await chat();
    await say(conv.id, '您好');
    expect(await target(conv.id, 'next_response')).toBeUndefined();
    seconds(5);
    await customerSays(conv.id, '订单号是 A123');
    seconds(40);
    expect(await target(conv.id, 'next_response')).toMatchObject({ status: 'running', targetSeconds: 60, elapsedSeconds: 40 });
    await say(conv.id, '查到了，明天发货');
    await customerSays(conv.id, '好的，谢谢');
    seconds(61);
    await runJobs();
    expect(await target(conv.id, 'next_response', 1)).toMatchObject({ status: 'met', elapsedSeconds: 40 });
    expect(await target(conv.id, 'next_response', 2)).toMatchObject({ status: 'breached', elapsedSeconds: 61 });
  });

  it('S1: urgent priority and the VIP tier take the override targets; a later change moves the deadline', async () => {
    const vip = await chat({ customerId: await customer('vip') });
    expect(await target(vip.id, 'resolution')).toMatchObject({ targetSeconds: 12 * 3600 });
    const conv = await chat();
    seconds(600);
    expect((await h.api('PATCH', `/api/conversations/${conv.id}`, { as: 'agent1', body: { priority: 'urgent' } })).status).toBe(200);
    const res = await target(conv.id, 'resolution');
    expect(res).toMatchObject({ targetSeconds: 4 * 3600, elapsedSeconds: 600, remainingSeconds: 4 * 3600 - 600 });
    expect(res!.dueAt).toBe(new Date(h.clock.now().getTime() + (4 * 3600 - 600) * 1000).toISOString());
    // Urgent chat: first response 15 s (the chat-only urgent rule), already overdue after 600 s.
    expect(await target(conv.id, 'first_response')).toMatchObject({ targetSeconds: 15, remainingSeconds: -585 });
  });

  it('S1: the resolution clock pauses while pending on the customer and resumes when they answer', async () => {
    const conv = await chat();
    seconds(100);
    await say(conv.id, '请提供订单号', { status: 'pending_customer' });
    expect(await target(conv.id, 'resolution')).toMatchObject({ status: 'paused', elapsedSeconds: 100, dueAt: null });
    seconds(3600);
    expect(await target(conv.id, 'resolution')).toMatchObject({ status: 'paused', elapsedSeconds: 100 });
    // The customer answers: the conversation is open again and the clock runs on from 100 s.
    await customerSays(conv.id, '订单号 A123');
    seconds(50);
    const resumed = await target(conv.id, 'resolution');
    expect(resumed).toMatchObject({ status: 'running', elapsedSeconds: 150, remainingSeconds: 48 * 3600 - 150 });
  });
});

describe('S1 phone: answer within N rings, greeting within 30 s, problem understood within 1 min', () => {
  const CALLER = '13912345678';
  function send(e: Omit<CtiEvent, 'from' | 'to' | 'direction' | 'callId'> & Partial<CtiEvent>) {
    const event: CtiEvent = { callId: 'sla-call', from: CALLER, to: '4008001234', direction: 'inbound', ...e };
    const { body, headers } = signedEvent(SECRET, event, h.clock.now());
    return h.api('POST', '/api/cti/events', { body, headers });
  }

  async function answeredCall(ringFor: number) {
    const start = h.clock.now();
    expect((await send({ type: 'ringing', at: start.toISOString(), eventId: 'e1' })).status).toBe(200);
    seconds(ringFor);
    const answered = await send({ type: 'answered', at: h.clock.now().toISOString(), agent: 'agent1', eventId: 'e2' });
    expect(answered.status, JSON.stringify(answered.body)).toBe(200);
    return (answered.body as { call: { conversationId: string } }).call.conversationId;
  }

  it('S1: greeting after 31 s is breached; the problem confirmed at 50 s is met', async () => {
    const id = await answeredCall(10);
    // 3 rings of 5 s: answered after 10 s is within target.
    expect(await target(id, 'first_response')).toMatchObject({ status: 'met', targetSeconds: 15, elapsedSeconds: 10, calendar: 'calendar' });
    seconds(31);
    await runJobs();
    expect(await target(id, 'greeting')).toMatchObject({ status: 'breached', elapsedSeconds: 31, remainingSeconds: -1 });
    const greeted = await h.api('POST', `/api/conversations/${id}/milestones`, { as: 'agent1', body: { milestone: 'greeted' } });
    expect(greeted.status).toBe(200);
    expect(greeted.body.greetedAt).toBe(h.clock.now().toISOString());
    seconds(19);
    expect((await h.api('POST', `/api/conversations/${id}/milestones`, { as: 'agent1', body: { milestone: 'problem_confirmed' } })).status).toBe(200);
    expect(await target(id, 'greeting')).toMatchObject({ status: 'breached', metAt: expect.any(String) });
    expect(await target(id, 'problem_understood')).toMatchObject({ status: 'met', elapsedSeconds: 50, targetSeconds: 60 });
    // Marking again changes nothing; a chat has no such milestone; a colleague may not mark another's call.
    expect((await h.api('POST', `/api/conversations/${id}/milestones`, { as: 'agent1', body: { milestone: 'greeted' } })).body.greetedAt).toBe(greeted.body.greetedAt);
    const c = await chat();
    expectError(await h.api('POST', `/api/conversations/${c.id}/milestones`, { as: 'agent1', body: { milestone: 'greeted' } }), 409, 'sla.milestone_not_applicable');
    expectError(await h.api('POST', `/api/conversations/${id}/milestones`, { as: 'agent1', body: { milestone: 'smiled' } }), 400);
  });

  it('S1: answered after the third ring breaches the answer target; a caller who hangs up early is not a breach', async () => {
    const late = await answeredCall(16);
    expect(await target(late, 'first_response')).toMatchObject({ status: 'breached', elapsedSeconds: 16 });
    const start = h.clock.now();
    expect((await send({ callId: 'short', type: 'ringing', at: start.toISOString(), eventId: 's1' })).status).toBe(200);
    seconds(6);
    const ended = await send({ callId: 'short', type: 'ended', at: h.clock.now().toISOString(), eventId: 's2' });
    const id = (ended.body as { call: { conversationId: string } }).call.conversationId;
    expect(await target(id, 'first_response')).toMatchObject({ status: 'cancelled' });
  });
});

describe('S2 timers: warning, breach, escalation; once across nodes; survive restarts', () => {
  it('S2: a warning at 80 % tells the agent; the breach tells the agent and the team lead, over realtime and webhooks', async () => {
    const conv = await chat();
    seconds(24);
    await runJobs();
    const warning = events.find((e) => e.type === 'sla.warning');
    expect(warning?.data).toMatchObject({ metric: 'first_response', conversationNumber: conv.number, status: 'running', remainingSeconds: 6 });
    expect(warning?.audience.staffIds).toContain(await staffId('agent1'));
    seconds(6);
    await runJobs();
    const breach = events.find((e) => e.type === 'sla.breached');
    expect(breach?.data).toMatchObject({ metric: 'first_response', status: 'breached', breachedAt: h.clock.now().toISOString() });
    expect(breach?.audience.staffIds).toEqual(expect.arrayContaining([await staffId('agent1'), await staffId('lead1')]));
    const leadInbox = await h.api('GET', '/api/notifications?unread=true', { as: 'lead1' });
    expect(leadInbox.body.data).toHaveLength(1);
    expect(leadInbox.body.data[0]).toMatchObject({ kind: 'sla_breach', title: `会话 #${conv.number} 首次响应已超时`, entityId: conv.id });
    const agentInbox = await h.api('GET', '/api/notifications', { as: 'agent1' });
    expect(agentInbox.body.data.map((n: { kind: string }) => n.kind)).toEqual(['sla_breach', 'sla_warning']);
    // Read once; another's notification is not found.
    expect((await h.api('POST', '/api/notifications/reads', { as: 'lead1', body: { ids: [leadInbox.body.data[0].id] } })).body).toEqual({ marked: 1 });
    expect((await h.api('GET', '/api/notifications?unread=true', { as: 'lead1' })).body.data).toHaveLength(0);
    expectError(await h.api('POST', '/api/notifications/reads', { as: 'agent2', body: { ids: [leadInbox.body.data[0].id] } }), 404, 'notification.not_found');
    // Nothing fires twice.
    seconds(600);
    await runJobs();
    expect(events.filter((e) => e.type === 'sla.breached')).toHaveLength(1);
  });

  it('S2: a reply before the warning cancels both timers', async () => {
    const conv = await chat();
    seconds(10);
    await say(conv.id, '您好');
    seconds(60);
    await runJobs();
    expect(events.filter((e) => e.type.startsWith('sla.'))).toHaveLength(0);
    const pending = await db().select().from(jobs).where(and(eq(jobs.kind, 'sla.breach'), eq(jobs.status, 'pending')));
    // Only the resolution clock is still armed.
    expect(pending).toHaveLength(1);
  });

  it('S2: two nodes share the timers — a breach fires once; a node started later (a restart) fires what is due', async () => {
    const conv = await chat();
    const second = await buildKefu({ config: testConfig({ nodeId: 'node-2', ctiSecret: SECRET }), database: h.db.database, clock: h.clock, logger: false });
    try {
      seconds(30);
      await Promise.all([h.kefu.jobs.runDue(), second.jobs.runDue(), h.kefu.jobs.runDue(), second.jobs.runDue()]);
      const rows = await db().select().from(notifications).where(eq(notifications.kind, 'sla_breach'));
      expect(rows.map((r) => r.entityId)).toEqual([conv.id, conv.id]); // agent + lead, once each
      // A conversation whose clock fell due while "no node ran" is caught up by the next one.
      const other = await chat();
      seconds(120);
      await second.jobs.runDue();
      expect((await target(other.id, 'first_response'))?.status).toBe('breached');
    } finally {
      await second.close();
    }
  });
});

describe('S1/S5 callback within 24 h across a holiday', () => {
  it('S1: a conversation closed before National Day gets its callback due in 24 open hours, skipping the holiday', async () => {
    await h.reset('manufacturing-b2b');
    // The manufacturer tightens its callback promise from 48 h to 24 h (a published policy version).
    await h.publishPolicy('回访时限 24 小时', (doc) => {
      doc.callbacks.withinHours = { value: 24, source: 'default' };
    });
    // Mon–Sat 08:30–17:30, China's holidays: Wed 30 Sep 16:30 → 1 h, Thu 8 Oct 9 h, Fri 9 Oct 9 h, Sat 10 Oct (调休) 5 h.
    h.clock.set('2026-09-30T16:30:00+08:00');
    const conv = await h.api('POST', '/api/conversations', {
      as: 'lead1',
      body: { channel: 'email', customerId: await customer(), subject: '货物到哪了', problemType: 'shipment_tracking', intake: { orderNumber: 'SO-2026-0930', contact: '13812343836' } },
    });
    expect(conv.status).toBe(201);
    for (const status of ['resolved', 'closed']) expect((await h.api('POST', `/api/conversations/${conv.body.id}/status`, { as: 'lead1', body: { status } })).status).toBe(200);
    const callback = (await targets(conv.body.id, 'lead1')).find((t) => t.metric === 'callback');
    // The closure callback task carries the same due time.
    const tasks = await h.api('GET', `/api/tasks?conversationId=${conv.body.id}&kind=callback`, { as: 'lead1' });
    expect(tasks.body.data).toMatchObject([{ origin: 'closure', dueAt: new Date('2026-10-10T13:30:00+08:00').toISOString() }]);
    expect(callback).toMatchObject({ status: 'running', targetSeconds: 24 * 3600, calendar: 'business', dueAt: new Date('2026-10-10T13:30:00+08:00').toISOString() });
    // Contact clocks stop with the closure; they no longer apply.
    expect((await targets(conv.body.id, 'lead1')).find((t) => t.metric === 'first_response')).toMatchObject({ status: 'cancelled' });
  });
});
