import { and, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectError } from '../../../test/support/errors.ts';
import { createHarness, type Harness } from '../../../test/support/kefu.ts';
import { slaTargets } from '../sla/schema.ts';
import { surveys } from './schema.ts';

const HOUR = 3_600_000;
let h: Harness;
beforeAll(async () => {
  // Sessions outlast the days these tests jump across.
  h = await createHarness({ config: { sessionTtlMs: 30 * 24 * HOUR } });
});
afterAll(() => h.close());
const ids = new Map<string, string>();
beforeEach(async () => {
  await h.reset();
  ids.clear();
});

const db = () => h.kefu.database.db;
async function staffId(username: string): Promise<string> {
  if (!ids.has(username)) ids.set(username, (await h.api('GET', '/api/auth/me', { as: username })).body.id);
  return ids.get(username)!;
}

async function setState(status: 'online' | 'offline', ...usernames: string[]): Promise<void> {
  for (const u of usernames) expect((await h.api('PUT', '/api/agent-states/me', { as: u, body: { status } })).status).toBe(200);
}

let phones = 0;
async function newCustomer(contact: { phones?: string[]; emails?: string[] } = { phones: [`1390000${String(++phones).padStart(4, '0')}`] }): Promise<string> {
  const res = await h.api('POST', '/api/customers', { as: 'lead1', body: { kind: 'person', name: '周女士', ...contact } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

/** A case routed to its queue (and to whoever is online there), resolved by its owner. */
async function resolvedCase(customerId?: string): Promise<{ id: string; number: number; assigneeId: string }> {
  const created = await h.api('POST', '/api/conversations', { as: 'lead1', body: { channel: 'email', customerId: customerId ?? (await newCustomer()), subject: '净水器漏水' } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const owner = created.body.assigneeId ? ((await h.api('GET', `/api/staff/${created.body.assigneeId}`, { as: 'admin' })).body.username as string) : 'lead1';
  expect((await h.api('PATCH', `/api/conversations/${created.body.id}`, { as: owner, body: { problemType: 'consultation', intake: { problemDescription: '净水器漏水' } } })).status).toBe(200);
  const resolved = await h.api('POST', `/api/conversations/${created.body.id}/status`, { as: owner, body: { status: 'resolved' } });
  expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
  return resolved.body;
}

async function close(id: string, as = 'lead1') {
  const res = await h.api('POST', `/api/conversations/${id}/status`, { as, body: { status: 'closed' } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function callbacksOf(conversationId: string) {
  const res = await h.api('GET', `/api/tasks?kind=callback&conversationId=${conversationId}`, { as: 'manager1' });
  expect(res.status).toBe(200);
  return res.body.data as Array<Record<string, any>>;
}

const outcome = (taskId: string, body: Record<string, unknown>, as = 'agent1') => h.api('POST', `/api/callbacks/${taskId}/outcomes`, { as, body });
const conversation = async (id: string) => (await h.api('GET', `/api/conversations/${id}`, { as: 'manager1' })).body;

describe('S5 closure callbacks', () => {
  it('S5: closing a resolved case gives its owner a 回访 due by the callback promise; the generic completion cannot skip its outcome', async () => {
    await setState('online', 'agent1');
    const conv = await resolvedCase();
    expect(conv.assigneeId).toBe(await staffId('agent1'));
    h.clock.advance(HOUR);
    const closed = await close(conv.id, 'agent1');

    const [task] = await callbacksOf(conv.id);
    expect(task).toMatchObject({ kind: 'callback', origin: 'closure', status: 'open', title: '结案回访', assigneeId: await staffId('agent1'), outcome: null, overdue: false });
    expect(task!.note).toContain('由负责人 张伟 回访');
    // Due when the SLA engine's callback clock (24 h in the policy's service hours) says.
    const [clock] = await db().select().from(slaTargets).where(and(eq(slaTargets.conversationId, conv.id), eq(slaTargets.metric, 'callback'))).orderBy(desc(slaTargets.seq)).limit(1);
    expect(clock, 'the SLA engine starts a callback clock at closure').toBeDefined();
    expect(task!.dueAt).toBe(clock!.dueAt!.toISOString());
    expect(new Date(task!.dueAt).getTime()).toBeGreaterThanOrEqual(new Date(closed.closedAt).getTime() + 24 * HOUR);
    const inbox = await h.api('GET', '/api/notifications', { as: 'agent1' });
    expect(inbox.body.data).toContainEqual(expect.objectContaining({ kind: 'callback.assigned', title: `结案回访：会话 #${conv.number}`, entityId: task!.id }));

    expectError(await h.api('POST', `/api/tasks/${task!.id}/completions`, { as: 'agent1', body: { result: '已回访' } }), 422, 'task.outcome_required');
    expectError(await outcome(task!.id, { result: '已回访', outcome: 'satisfied', rating: { satisfied: false } }), 400, 'callback.outcome_conflict');
    expectError(await outcome(task!.id, { result: '已回访', outcome: 'reached' }, 'qa1'), 403, 'auth.forbidden');

    h.clock.advance(2 * HOUR);
    const done = await outcome(task!.id, { result: '客户确认已不漏水，表示满意', outcome: 'satisfied', rating: { csat: 5, comment: '师傅很专业' } });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toMatchObject({ status: 'done', outcome: 'satisfied', overdue: false, completedBy: await staffId('agent1') });
    const [survey] = await db().select().from(surveys).where(eq(surveys.conversationId, conv.id));
    expect(survey).toMatchObject({ recordedBy: await staffId('agent1'), satisfied: true, csat: 5, comment: '师傅很专业', counted: true });
    const [met] = await db().select().from(slaTargets).where(eq(slaTargets.id, clock!.id));
    expect(met!.metAt).toEqual(h.clock.now());
    expect((await conversation(conv.id)).status).toBe('closed');
  });

  it('S5: the 回访 goes to the owner while available, else the online queue member with the fewest callbacks, else the team lead', async () => {
    await setState('online', 'agent1');
    const cases = [await resolvedCase(), await resolvedCase(), await resolvedCase(), await resolvedCase()];
    for (const c of cases) expect(c.assigneeId).toBe(await staffId('agent1'));
    await close(cases[0]!.id);
    expect((await callbacksOf(cases[0]!.id))[0]!.assigneeId).toBe(await staffId('agent1'));

    await setState('offline', 'agent1');
    await setState('online', 'agent2', 'lead1');
    await close(cases[1]!.id);
    await close(cases[2]!.id);
    const second = (await callbacksOf(cases[1]!.id))[0]!;
    const third = (await callbacksOf(cases[2]!.id))[0]!;
    // Each goes to whoever has fewer open callbacks, so the two online members get one each.
    expect(new Set([second.assigneeId, third.assigneeId])).toEqual(new Set([await staffId('agent2'), await staffId('lead1')]));
    expect(third.note).toContain('回访任务最少的在线坐席');

    await setState('offline', 'agent2', 'lead1');
    await close(cases[3]!.id);
    const fourth = (await callbacksOf(cases[3]!.id))[0]!;
    expect(fourth.assigneeId).toBe(await staffId('lead1'));
    expect(fourth.note).toContain('由主管 李强 安排回访');
  });

  it('S5: not satisfied on the callback reopens the case from the callback with the reason; a reopen cancels a pending 回访', async () => {
    await setState('online', 'agent1');
    const conv = await resolvedCase();
    await close(conv.id);
    const [task] = await callbacksOf(conv.id);
    expectError(await outcome(task!.id, { result: '无人接听', outcome: 'unreached', rating: { csat: 1 } }), 400, 'callback.rating_needs_contact');
    const res = await outcome(task!.id, { result: '客户反映仍在漏水', outcome: 'not_satisfied', rating: { solved: false, csat: 2, comment: '更换滤芯后仍漏水' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'done', outcome: 'not_satisfied' });
    expect(await conversation(conv.id)).toMatchObject({ status: 'open', reopenCount: 1 });
    const chain = await h.api('GET', `/api/conversations/${conv.id}/reopens`, { as: 'agent1' });
    expect(chain.body).toEqual([expect.objectContaining({ seq: 1, source: 'callback', fromStatus: 'closed', reason: '客户反馈问题未解决：更换滤芯后仍漏水', actorId: await staffId('agent1') })]);
    const [survey] = await db().select().from(surveys).where(eq(surveys.conversationId, conv.id));
    expect(survey).toMatchObject({ recordedBy: await staffId('agent1'), solved: false, satisfied: false, csat: 2 });

    // Resolved and closed again: a new 回访; not satisfied without a rating reopens with the call notes.
    await h.api('POST', `/api/conversations/${conv.id}/status`, { as: 'agent1', body: { status: 'resolved' } });
    await close(conv.id);
    const again = (await callbacksOf(conv.id)).find((t) => t.status === 'open')!;
    expect((await outcome(again.id, { result: '客户仍不满意处理时效', outcome: 'not_satisfied' })).status).toBe(200);
    expect((await h.api('GET', `/api/conversations/${conv.id}/reopens`, { as: 'agent1' })).body[1]).toMatchObject({ source: 'callback', reason: '回访客户不满意：客户仍不满意处理时效' });

    // The customer comes back before anyone called: the 回访 of that closure is cancelled.
    await h.api('POST', `/api/conversations/${conv.id}/status`, { as: 'agent1', body: { status: 'resolved' } });
    await close(conv.id);
    const pending = (await callbacksOf(conv.id)).find((t) => t.status === 'open')!;
    await h.api('POST', `/api/conversations/${conv.id}/status`, { as: 'agent1', body: { status: 'open' } });
    expect((await callbacksOf(conv.id)).find((t) => t.id === pending.id)).toMatchObject({ status: 'cancelled', overdue: false });
  });

  it('S5: unreached before the due time keeps the 回访 open; not reached by then it is missed, shown overdue and counted', async () => {
    await setState('online', 'agent1');
    const [a, b, c] = [await resolvedCase(), await resolvedCase(), await resolvedCase()];
    for (const x of [a, b, c]) await close(x!.id);
    const task = async (conv: { id: string }) => (await callbacksOf(conv.id))[0]!;
    const due = new Date((await task(a!)).dueAt).getTime();

    h.clock.advance(HOUR);
    const tried = await outcome((await task(a!)).id, { result: '无人接听', outcome: 'unreached' });
    expect(tried.body).toMatchObject({ status: 'open', outcome: 'unreached', overdue: false });
    expect((await outcome((await task(b!)).id, { result: '客户确认已解决', outcome: 'reached' })).body).toMatchObject({ status: 'done', overdue: false });

    h.clock.set(new Date(due + 60_000));
    // Reached, but a day late: still a missed promise.
    expect((await outcome((await task(c!)).id, { result: '客户确认已解决', outcome: 'reached' })).body).toMatchObject({ status: 'done', overdue: true });
    const missed = await h.api('GET', '/api/tasks?kind=callback&origin=closure&missed=true', { as: 'lead1' });
    expect(missed.body.data.map((t: { conversationId: string; overdue: boolean }) => [t.conversationId, t.overdue])).toEqual([
      [a!.id, true],
      [c!.id, true],
    ]);
    expect((await h.api('GET', '/api/tasks?kind=callback&missed=false', { as: 'lead1' })).body.data.map((t: { conversationId: string }) => t.conversationId)).toEqual([b!.id]);
    const stats = await h.api('GET', '/api/callbacks/statistics?origin=closure', { as: 'lead1' });
    expect(stats.body).toEqual({
      created: 3,
      open: 1,
      cancelled: 0,
      due: 3,
      missed: 2,
      overdueOpen: 1,
      outcomes: { reached: 2, unreached: 0, satisfied: 0, notSatisfied: 0 },
    });

    // Still unreached after the due time: the 回访 ends, counted as missed.
    expect((await outcome((await task(a!)).id, { result: '三次未接通，结束回访', outcome: 'unreached' })).body).toMatchObject({ status: 'done', outcome: 'unreached', overdue: true });
    expect((await h.api('GET', '/api/callbacks/statistics?origin=closure', { as: 'lead1' })).body).toMatchObject({ open: 0, missed: 2, overdueOpen: 0, outcomes: { reached: 2, unreached: 1 } });
    expect((await h.api('GET', '/api/callbacks/statistics', { as: 'agent2' })).body).toMatchObject({ created: 0, due: 0 });
  });

  it('S5: a customer without a phone number gets no 回访, nor does a case closed without being resolved', async () => {
    await setState('online', 'agent1');
    const emailOnly = await resolvedCase(await newCustomer({ emails: ['only.mail@example.com'] }));
    await close(emailOnly.id);
    expect(await callbacksOf(emailOnly.id)).toEqual([]);
    const spam = await h.api('POST', '/api/conversations', { as: 'lead1', body: { channel: 'email', customerId: await newCustomer(), subject: '广告' } });
    await close(spam.body.id);
    expect(await callbacksOf(spam.body.id)).toEqual([]);
  });
});
