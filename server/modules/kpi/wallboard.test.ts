import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectError } from '../../../test/support/errors.ts';
import { createHarness, type Harness } from '../../../test/support/kefu.ts';

let h: Harness;
beforeAll(async () => {
  // Sessions outlast the day the test jumps across.
  h = await createHarness({ bus: true, config: { sessionTtlMs: 2 * 86_400_000 } });
});
afterAll(() => h.close());
beforeEach(() => h.reset());

async function customer(): Promise<string> {
  const res = await h.api('POST', '/api/customers', { as: 'lead1', body: { kind: 'person', name: '王先生', phones: ['13812343836'] } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

async function chat(customerId: string): Promise<{ id: string; createdAt: string }> {
  const res = await h.api('POST', '/api/conversations', { as: 'lead1', body: { channel: 'chat', customerId, message: { body: '你好，我的订单还没发货' } } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

describe('R1 wallboard', () => {
  it('R1: waiting work per queue with the longest wait, breaches since midnight; supervisors only', async () => {
    const empty = await h.api('GET', '/api/wallboard', { as: 'lead1' });
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ waiting: 0, oldestWaitingSince: null, breachesToday: 0, timezone: 'Asia/Shanghai' });
    expect(empty.body.queues.length).toBeGreaterThan(0);
    expect(empty.body.queues.every((q: { waiting: number }) => q.waiting === 0)).toBe(true);

    // Nobody is online, so both chats wait; the first has waited longest.
    const who = await customer();
    const first = await chat(who);
    h.clock.advance(20_000);
    await chat(who);
    const board = (await h.api('GET', '/api/wallboard', { as: 'lead1' })).body;
    expect(board.waiting).toBe(2);
    expect(board.oldestWaitingSince).toBe(first.createdAt);
    expect(board.queues.reduce((n: number, q: { waiting: number }) => n + q.waiting, 0)).toBe(2);

    // The chat first-response target (30 s, business hours) breaches while they wait.
    h.clock.advance(60_000);
    await h.kefu.jobs.runDue();
    expect((await h.api('GET', '/api/wallboard', { as: 'manager1' })).body.breachesToday).toBe(2);

    // Tomorrow's board starts from zero breaches; the waiting work is still there.
    h.clock.set('2026-03-03T09:00:00+08:00');
    expect((await h.api('GET', '/api/wallboard', { as: 'manager1' })).body).toMatchObject({ waiting: 2, breachesToday: 0 });

    expectError(await h.api('GET', '/api/wallboard', { as: 'agent1' }), 403, 'auth.forbidden');
  });
});
