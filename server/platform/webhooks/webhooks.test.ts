import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../../test/support/kefu.ts';
import { jobs } from '../jobs/schema.ts';
import { DELIVER_JOB } from './service.ts';

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: any;
}

let h: Harness;
let server: Server;
let url: string;
const received: Received[] = [];
/** What the receiver answers, in order (a status, or a status and body); 200 "ok" once they run out. */
let answers: Array<number | { status: number; body: string; endless?: boolean }> = [];
/** Answers the receiver never finished; ended after each test. */
const unfinished: ServerResponse[] = [];

beforeAll(async () => {
  h = await createHarness({ bus: true });
  server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      received.push({ method: req.method!, path: req.url!, headers: req.headers, raw, body: JSON.parse(raw) });
      const answer = answers.shift() ?? 200;
      const { status, body, endless } = typeof answer === 'number' ? { status: answer, body: answer < 300 ? 'ok' : 'receiver error' } : answer;
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      if (endless) {
        res.write(body);
        unfinished.push(res);
      } else res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/kefu`;
});
afterAll(async () => {
  for (const res of unfinished.splice(0)) res.end();
  await h.close();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(async () => {
  for (const res of unfinished.splice(0)) res.end();
  await h.reset();
  received.length = 0;
  answers = [];
});

/** What the platform does by itself in production: events become delivery jobs, jobs run. */
async function deliver(): Promise<number> {
  await h.kefu.bus.drain();
  return h.kefu.jobs.runDue();
}

async function createHook(eventTypes: string[], extra: Record<string, unknown> = {}) {
  const res = await h.api('POST', '/api/webhooks', { as: 'admin', body: { name: '工单系统', url, eventTypes, ...extra } });
  expect(res.status).toBe(201);
  return res.body as { id: string; secret: string; secretPreview: string; eventTypes: string[]; active: boolean };
}

async function createDepartment(code = 'after_sales') {
  const res = await h.api('POST', '/api/departments', { as: 'admin', body: { code, name: '售后部', kind: 'customer_service' } });
  expect(res.status).toBe(201);
  return res.body as { id: string; code: string };
}

/** The receiver's check, as docs/webhooks.md shows it. */
function verify(secret: string, r: Received): boolean {
  const { t, v1 } = Object.fromEntries(String(r.headers['x-kefu-signature']).split(',').map((p) => p.split('='))) as { t: string; v1: string };
  const expected = createHmac('sha256', secret).update(`${t}.${r.raw}`).digest('hex');
  return expected.length === v1.length && timingSafeEqual(Buffer.from(expected), Buffer.from(v1));
}

const deliveries = async (hookId: string, query = '') => (await h.api('GET', `/api/webhooks/${hookId}/deliveries${query}`, { as: 'admin' })).body;

describe('X3 webhooks: delivery', () => {
  it('X3: a department.* webhook gets department.created once, signed with its secret', async () => {
    const hook = await createHook(['department.*']);
    expect(hook.secret).toMatch(/^whsec_/);
    const dept = await createDepartment();
    const admin = (await h.api('GET', '/api/auth/me', { as: 'admin' })).body;

    expect(await deliver()).toBe(1);
    expect(received).toHaveLength(1);
    const [r] = received;
    expect(r!.method).toBe('POST');
    expect(r!.path).toBe('/hooks/kefu');
    expect(r!.headers['content-type']).toBe('application/json');
    expect(r!.headers['user-agent']).toMatch(/^Kefu-Webhooks\//);
    expect(r!.headers['x-kefu-event']).toBe('department.created');
    expect(r!.headers['x-kefu-attempt']).toBe('1');
    expect(r!.headers['x-kefu-delivery']).toBe(`${r!.body.id}:${hook.id}`);
    expect(r!.headers['x-kefu-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(r!.headers['x-kefu-signature']).toContain(`t=${Math.floor(h.clock.now().getTime() / 1000)},`);
    expect(verify(hook.secret, r!)).toBe(true);
    expect(verify('whsec_someone-else', r!)).toBe(false);
    expect(r!.body).toMatchObject({
      type: 'department.created',
      occurredAt: h.clock.now().toISOString(),
      entity: { type: 'department', id: dept.id },
      actorId: admin.id,
      data: { id: dept.id, code: 'after_sales', name: '售后部' },
    });

    // Each event becomes one delivery: draining and running again sends nothing more.
    expect(await deliver()).toBe(0);
    expect(received).toHaveLength(1);

    const log = await deliveries(hook.id);
    expect(log.data).toHaveLength(1);
    expect(log.data[0]).toMatchObject({
      webhookId: hook.id,
      eventId: Number(r!.body.id),
      eventType: 'department.created',
      attempt: 1,
      outcome: 'succeeded',
      responseStatus: 200,
      responseBody: 'ok',
      error: null,
    });
  });

  it('X3/C4: personal data in a delivery is masked as in every API response', async () => {
    const hook = await createHook(['staff.*']);
    const created = await h.api('POST', '/api/staff', {
      as: 'admin',
      body: { username: 'agent3', password: 'a-long-secret', displayName: '周敏', role: 'agent', phone: '13912345678' },
    });
    expect(created.status).toBe(201);
    expect(await deliver()).toBe(1);
    const [r] = received;
    expect(r!.body.type).toBe('staff.created');
    expect(r!.body.data).toMatchObject({ username: 'agent3', phone: '139****5678' });
    expect(r!.raw).not.toContain('13912345678');
    expect(r!.raw).not.toContain('a-long-secret');
    expect(verify(hook.secret, r!)).toBe(true);
  });

  it('X3: a failed delivery is logged and retried 10 s later as attempt 2 with the same delivery id', async () => {
    const hook = await createHook(['department.*']);
    answers = [500];
    await createDepartment();
    expect(await deliver()).toBe(1);
    expect(received).toHaveLength(1);

    let log = await deliveries(hook.id);
    expect(log.data).toEqual([
      expect.objectContaining({ attempt: 1, outcome: 'failed', responseStatus: 500, responseBody: 'receiver error', error: 'HTTP 500', eventType: 'department.created' }),
    ]);
    const [job] = await h.db.database.db.select().from(jobs).where(eq(jobs.kind, DELIVER_JOB));
    expect(job).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 500' });
    expect(job!.runAt.getTime()).toBe(h.clock.now().getTime() + 10_000);

    h.clock.advance(9_999);
    expect(await h.kefu.jobs.runDue()).toBe(0);
    h.clock.advance(1);
    expect(await h.kefu.jobs.runDue()).toBe(1);
    expect(received).toHaveLength(2);
    const [first, second] = received;
    expect(second!.headers['x-kefu-attempt']).toBe('2');
    expect(second!.headers['x-kefu-delivery']).toBe(first!.headers['x-kefu-delivery']);
    expect(second!.raw).toBe(first!.raw);
    expect(verify(hook.secret, second!)).toBe(true);

    log = await deliveries(hook.id);
    expect(log.data.map((d: { attempt: number; outcome: string }) => [d.attempt, d.outcome])).toEqual([
      [2, 'succeeded'],
      [1, 'failed'],
    ]);
    expect((await h.db.database.db.select().from(jobs).where(eq(jobs.kind, DELIVER_JOB)))[0]).toMatchObject({ status: 'done', attempts: 2 });
  });

  it('X3: the log keeps the first 2 KB of a long answer, and an answer with NUL bytes still counts as a success', async () => {
    const hook = await createHook(['department.*']);
    answers = [{ status: 200, body: `收到\0${'x'.repeat(1_000_000)}` }];
    await createDepartment();
    expect(await deliver()).toBe(1);
    const [entry] = (await deliveries(hook.id)).data;
    expect(entry).toMatchObject({ outcome: 'succeeded', attempt: 1, responseStatus: 200 });
    expect(entry.responseBody.startsWith('收到x')).toBe(true);
    expect(Buffer.byteLength(entry.responseBody)).toBeLessThanOrEqual(2048);
    expect(entry.responseBody.length).toBeGreaterThan(2000);
  });

  it('X3: a 2xx answer whose body never ends is a success, its first 2 KB logged', async () => {
    const hook = await createHook(['department.*']);
    answers = [{ status: 202, body: 'y'.repeat(4096), endless: true }];
    await createDepartment();
    expect(await deliver()).toBe(1);
    const [entry] = (await deliveries(hook.id)).data;
    expect(entry).toMatchObject({ outcome: 'succeeded', responseStatus: 202, error: null });
    expect(entry.responseBody).toBe('y'.repeat(2048));
  });

  it('X3: a receiver that cannot be reached is logged as a failed attempt with the error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/gone`;
    await new Promise((resolve) => closed.close(resolve));
    const hook = await createHook(['department.*'], { url: deadUrl });
    await createDepartment();
    expect(await deliver()).toBe(1);
    const log = await deliveries(hook.id);
    expect(log.data).toHaveLength(1);
    expect(log.data[0]).toMatchObject({ attempt: 1, outcome: 'failed', responseStatus: null });
    expect(log.data[0].error).toBeTruthy();
  });

  it('X3: events a webhook did not ask for, and inactive webhooks, get nothing', async () => {
    const staffOnly = await createHook(['staff.*']);
    const paused = await createHook(['department.*'], { active: false });
    expect(paused.active).toBe(false);
    const updatesOnly = await createHook(['department.updated']);
    const dept = await createDepartment();
    expect(await deliver()).toBe(0);
    expect(received).toEqual([]);

    expect((await h.api('PATCH', `/api/webhooks/${paused.id}`, { as: 'admin', body: { active: true } })).status).toBe(200);
    expect((await h.api('PATCH', `/api/departments/${dept.id}`, { as: 'admin', body: { name: '售后服务部' } })).status).toBe(200);
    expect(await deliver()).toBe(2);
    expect(received.map((r) => r.body.type)).toEqual(['department.updated', 'department.updated']);
    expect(received.map((r) => String(r.headers['x-kefu-delivery']).split(':')[1]).sort()).toEqual([paused.id, updatesOnly.id].sort());
    expect((await deliveries(staffOnly.id)).data).toEqual([]);
  });

  it('X3: a webhook deleted before its delivery ran sends nothing', async () => {
    const hook = await createHook(['department.*']);
    await createDepartment();
    await h.kefu.bus.drain();
    expect((await h.api('DELETE', `/api/webhooks/${hook.id}`, { as: 'admin' })).status).toBe(204);
    await h.kefu.jobs.runDue();
    expect(received).toEqual([]);
    expect((await h.api('GET', `/api/webhooks/${hook.id}`, { as: 'admin' })).status).toBe(404);
  });

  it('X3: a logged delivery is sent again on request: a new job, attempt 1, the same delivery id and body', async () => {
    const hook = await createHook(['department.*']);
    await createDepartment();
    expect(await deliver()).toBe(1);
    const [logged] = (await deliveries(hook.id)).data as Array<{ id: string }>;

    const res = await h.api('POST', `/api/webhooks/${hook.id}/deliveries/${logged!.id}/redeliveries`, { as: 'admin' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ queued: true });
    expect(await h.kefu.jobs.runDue()).toBe(1);
    expect(received).toHaveLength(2);
    const [first, again] = received;
    expect(again!.headers['x-kefu-delivery']).toBe(first!.headers['x-kefu-delivery']);
    expect(again!.headers['x-kefu-attempt']).toBe('1');
    expect(again!.raw).toBe(first!.raw);
    expect(verify(hook.secret, again!)).toBe(true);
    expect((await deliveries(hook.id)).data).toHaveLength(2);

    // Another webhook's delivery, or none at all, is not found; a paused webhook says why it sends nothing.
    const other = await createHook(['*']);
    const wrong = await h.api('POST', `/api/webhooks/${other.id}/deliveries/${logged!.id}/redeliveries`, { as: 'admin' });
    expect(wrong.status).toBe(404);
    expect(wrong.body.error.code).toBe('webhooks.delivery_not_found');
    await h.api('PATCH', `/api/webhooks/${hook.id}`, { as: 'admin', body: { active: false } });
    // Only this webhook's jobs: the bus fans the PATCH's own event out to `other` (subscribed to '*') at its own pace.
    const jobsOfHook = async () => (await h.db.database.db.select().from(jobs).where(and(eq(jobs.kind, DELIVER_JOB), sql`${jobs.payload}->>'webhookId' = ${hook.id}`))).length;
    const jobsBefore = await jobsOfHook();
    const paused = await h.api('POST', `/api/webhooks/${hook.id}/deliveries/${logged!.id}/redeliveries`, { as: 'admin' });
    expect(paused.status).toBe(409);
    expect(paused.body.error.code).toBe('webhooks.inactive');
    expect(await jobsOfHook()).toBe(jobsBefore);
  });

  it('X3: a ping delivers webhook.ping, signed, whatever the event types', async () => {
    const hook = await createHook(['staff.level_changed']);
    const res = await h.api('POST', `/api/webhooks/${hook.id}/pings`, { as: 'admin' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ queued: true });
    expect(await h.kefu.jobs.runDue()).toBe(1);
    expect(received).toHaveLength(1);
    const [r] = received;
    expect(r!.headers['x-kefu-event']).toBe('webhook.ping');
    expect(r!.body).toMatchObject({ type: 'webhook.ping', entity: { type: 'webhook', id: hook.id }, data: {} });
    expect(verify(hook.secret, r!)).toBe(true);
    expect((await deliveries(hook.id)).data).toEqual([expect.objectContaining({ eventType: 'webhook.ping', eventId: null, outcome: 'succeeded' })]);

    const missing = await h.api('POST', '/api/webhooks/01900000-0000-7000-8000-000000000000/pings', { as: 'admin' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('webhooks.not_found');
  });
});

describe('X3 webhooks: administration', () => {
  it('X3: unknown event types are refused with the field that holds them', async () => {
    const bad = await h.api('POST', '/api/webhooks', { as: 'admin', body: { name: 'x', url, eventTypes: ['department.*', 'nosuch.*'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'webhooks.unknown_event_type', field: 'eventTypes.1' });
    expect(bad.body.error.message).toContain('nosuch.*');
    for (const pattern of ['depart*', 'department', '*.created', 'department.created.x']) {
      const res = await h.api('POST', '/api/webhooks', { as: 'admin', body: { name: 'x', url, eventTypes: [pattern] } });
      expect(res.status, pattern).toBe(400);
      expect(res.body.error.code).toBe('webhooks.unknown_event_type');
    }
    const hook = await createHook(['*']);
    const patch = await h.api('PATCH', `/api/webhooks/${hook.id}`, { as: 'admin', body: { eventTypes: ['staff.created', 'bogus'] } });
    expect(patch.status).toBe(400);
    expect(patch.body.error).toMatchObject({ code: 'webhooks.unknown_event_type', field: 'eventTypes.1' });
    expect((await h.api('GET', '/api/webhooks', { as: 'admin' })).body.data).toHaveLength(1);
  });

  it('X3: the event-type catalogue lists every declared type with its description, sorted, for choosing subscriptions', async () => {
    const res = await h.api('GET', '/api/event-types', { as: 'admin' });
    expect(res.status).toBe(200);
    const types = (res.body.data as Array<{ type: string; description: string }>).map((e) => e.type);
    expect(types).toEqual([...types].sort((a, b) => a.localeCompare(b)));
    expect(res.body.data).toContainEqual({ type: 'department.created', description: expect.any(String) });
    expect(res.body.data).toContainEqual({ type: 'policy.published', description: expect.stringContaining('发布') });
    // Every listed type is accepted as a subscription.
    const hook = await createHook(types);
    expect(hook.eventTypes).toEqual(types);
  });

  it('X3: the secret is shown only on create and rotate; list and detail show its preview', async () => {
    const hook = await createHook(['department.*']);
    expect(hook.secretPreview).toBe(`${hook.secret.slice(0, 10)}…`);

    const list = await h.api('GET', '/api/webhooks', { as: 'admin' });
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).not.toHaveProperty('secret');
    expect(list.body.data[0].secretPreview).toBe(hook.secretPreview);
    expect(JSON.stringify(list.body)).not.toContain(hook.secret);
    const detail = await h.api('GET', `/api/webhooks/${hook.id}`, { as: 'admin' });
    expect(detail.body).not.toHaveProperty('secret');
    expect(detail.body).toMatchObject({ id: hook.id, url, eventTypes: ['department.*'], active: true });

    const renamed = await h.api('PATCH', `/api/webhooks/${hook.id}`, { as: 'admin', body: { name: '新名字' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).not.toHaveProperty('secret');
    expect(renamed.body.name).toBe('新名字');

    const rotated = await h.api('PATCH', `/api/webhooks/${hook.id}`, { as: 'admin', body: { rotateSecret: true } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(hook.secret);
    expect(rotated.body.secretPreview).toBe(`${rotated.body.secret.slice(0, 10)}…`);

    // Deliveries are signed with the new secret from now on.
    await h.api('POST', `/api/webhooks/${hook.id}/pings`, { as: 'admin' });
    await h.kefu.jobs.runDue();
    expect(verify(rotated.body.secret, received[0]!)).toBe(true);
    expect(verify(hook.secret, received[0]!)).toBe(false);

    // The secret never appears in the webhook's own events or audit entries either.
    const audit = await h.api('GET', `/api/audit?entityType=webhook&limit=200`, { as: 'admin' });
    expect(JSON.stringify(audit.body)).not.toContain(hook.secret);
    expect(JSON.stringify(audit.body)).not.toContain(rotated.body.secret);
  });

  it('X3: the delivery log pages newest first', async () => {
    const hook = await createHook(['department.*']);
    for (let i = 0; i < 3; i++) await h.api('POST', `/api/webhooks/${hook.id}/pings`, { as: 'admin' });
    expect(await h.kefu.jobs.runDue()).toBe(3);
    const first = await deliveries(hook.id, '?limit=2');
    expect(first.data).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await deliveries(hook.id, `?limit=2&cursor=${first.nextCursor}`);
    expect(second.data).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    const ids = [...first.data, ...second.data].map((d: { id: string }) => d.id);
    expect(new Set(ids).size).toBe(3);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect((await h.api('GET', `/api/webhooks/${hook.id}/deliveries?limit=201`, { as: 'admin' })).status).toBe(400);
  });

  it('X3: only administrators manage webhooks', async () => {
    const hook = await createHook(['department.*']);
    const body = { name: 'x', url, eventTypes: ['*'] };
    for (const as of ['manager1', 'agent1', 'partner1']) {
      for (const [method, path] of [
        ['GET', '/api/webhooks'],
        ['POST', '/api/webhooks'],
        ['GET', `/api/webhooks/${hook.id}`],
        ['PATCH', `/api/webhooks/${hook.id}`],
        ['DELETE', `/api/webhooks/${hook.id}`],
        ['GET', `/api/webhooks/${hook.id}/deliveries`],
        ['POST', `/api/webhooks/${hook.id}/pings`],
        ['POST', `/api/webhooks/${hook.id}/deliveries/${hook.id}/redeliveries`],
        ['GET', '/api/event-types'],
      ] as const) {
        const res = await h.api(method, path, { as, ...(method === 'POST' || method === 'PATCH' ? { body } : {}) });
        expect(res.status, `${as} ${method} ${path}`).toBe(403);
        expect(res.body.error.code).toBe('auth.forbidden');
      }
    }
    expect((await h.api('GET', '/api/webhooks')).status).toBe(401);
    expect((await h.api('GET', '/api/webhooks', { as: 'admin' })).body.data).toHaveLength(1);
  });
});
