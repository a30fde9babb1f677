import type { AddressInfo, Socket } from 'node:net';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, DEMO_PASSWORD, type Harness } from '../../../test/support/kefu.ts';
import { guarded } from '../../../test/support/guard.ts';


let h: Harness;
let base: string;
let origin: string;
const sockets: WebSocket[] = [];
/** The server's side of every connection, to check none is left open. */
const serverSockets = new Set<Socket>();

beforeAll(async () => {
  h = await createHarness({ bus: true });
  h.kefu.app.server.on('connection', (s: Socket) => {
    serverSockets.add(s);
    s.on('close', () => serverSockets.delete(s));
  });
  await h.kefu.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = h.kefu.app.server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  base = `ws://127.0.0.1:${port}/api/realtime`;
});
afterAll(async () => {
  // A connection left open would keep the server from closing (see the refused-upgrade test).
  for (const s of serverSockets) s.destroy();
  await h.close();
});
beforeEach(() => h.reset());
afterEach(() => {
  for (const s of sockets.splice(0)) s.terminate();
});

type Message = { type: string; [k: string]: any };


class Client {
  readonly messages: Message[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      this.messages.push(JSON.parse(String(raw)) as Message);
      for (const w of this.waiters) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  /** The first message at or after index `from` that `accept` takes, already received or still to come. */
  next(accept: (m: Message) => boolean, from = 0): Promise<Message> {
    return guarded('a realtime message', (resolve) => {
      const check = () => {
        const m = this.messages.slice(from).find(accept);
        if (!m) return;
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(m);
      };
      this.waiters.push(check);
      check();
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /**
   * A ping/pong round trip. The server writes to a socket in order, so anything it pushed
   * before answering has arrived when the pong does: a barrier for "nothing was sent".
   */
  async barrier(): Promise<void> {
    const from = this.messages.length;
    this.send({ type: 'ping' });
    await this.next((m) => m.type === 'pong', from);
  }

  events(type?: string): Message[] {
    return this.messages.filter((m) => m.type === 'event' && (!type || m.event === type));
  }
}

/** Opens a socket and waits for the server's `ready`. */
async function connect(auth: { token?: string; headers?: Record<string, string>; origin?: string }): Promise<Client> {
  const headers: Record<string, string> = { ...(auth.headers ?? {}) };
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  const ws = new WebSocket(base, { headers, ...(auth.origin ? { origin: auth.origin } : {}) });
  sockets.push(ws);
  const client = new Client(ws);
  await guarded<void>('the upgrade', (resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
  await client.next((m) => m.type === 'ready');
  return client;
}

async function connectAs(username: string): Promise<Client> {
  return connect({ token: await h.login(username) });
}

/** Attempts an upgrade that should be refused; returns the HTTP status and error body. */
function refused(auth: { token?: string; headers?: Record<string, string>; origin?: string }): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { ...(auth.headers ?? {}) };
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  const ws = new WebSocket(base, { headers, ...(auth.origin ? { origin: auth.origin } : {}) });
  sockets.push(ws);
  return guarded('the refusal', (resolve, reject) => {
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
    ws.once('unexpected-response', (req, res) => {
      let raw = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (raw += c));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode!, body: raw ? JSON.parse(raw) : null });
      });
    });
    ws.once('error', () => {});
  });
}

/** A fresh session (not the harness's cached token), so a test may end it. */
async function freshLogin(username: string): Promise<{ token: string; cookie: string }> {
  const res = await h.kefu.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: DEMO_PASSWORD } });
  expect(res.statusCode).toBe(200);
  const cookie = [res.headers['set-cookie']].flat().find((c) => String(c).startsWith('kefu_session='));
  return { token: (res.json() as { token: string }).token, cookie: String(cookie).split(';')[0]! };
}

async function me(username: string) {
  return (await h.api('GET', '/api/auth/me', { as: username })).body as { id: string; role: string };
}

describe('X2 realtime: connecting', () => {
  it('X2: without valid credentials the upgrade is answered 401 with the error body', async () => {
    const none = await refused({});
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('auth.required');
    const forged = await refused({ token: 'kfs_not-a-real-session' });
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('auth.invalid_token');
    expect(h.kefu.hub.size).toBe(0);
  });

  it('X2: a refused upgrade does not leave its connection open on the server', async () => {
    const before = new Set(serverSockets);
    expect((await refused({ token: 'kfs_forged' })).status).toBe(401);
    const left = [...serverSockets].filter((s) => !before.has(s));
    // The client has gone; the server closes its side at once (5 s only guards against waiting forever).
    await Promise.all(left.map((s) => guarded<void>('the server to close the refused connection', (resolve) => s.once('close', () => resolve()), 5_000)));
  });

  it('X2: a plain HTTP GET is answered 426 realtime.upgrade_required', async () => {
    const res = await h.api('GET', '/api/realtime', { as: 'agent1' });
    expect(res.status).toBe(426);
    expect(res.body.error.code).toBe('realtime.upgrade_required');
  });

  it('X2: with a token the first message is ready; ping gets pong; anything else gets an error', async () => {
    const agent = await connectAs('agent1');
    const { id } = await me('agent1');
    expect(agent.messages[0]).toEqual({ type: 'ready', staffId: id, role: 'agent', at: h.clock.now().toISOString() });

    agent.send({ type: 'ping' });
    expect(await agent.next((m) => m.type === 'pong')).toEqual({ type: 'pong', at: h.clock.now().toISOString() });

    for (const bad of [{ type: 'subscribe', channel: 'all' }, 'not json', { hello: 1 }]) {
      const from = agent.messages.length;
      agent.send(bad);
      const answer = await agent.next(() => true, from);
      expect(answer).toMatchObject({ type: 'error', code: 'realtime.unknown_message' });
      expect(answer.message).toEqual(expect.any(String));
    }
    await agent.barrier(); // still open
  });

  it('X2: a cookie-authenticated upgrade is accepted from the same origin and refused (403) from another', async () => {
    const { cookie } = await freshLogin('agent1');
    const foreign = await refused({ headers: { cookie }, origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('auth.cross_origin');

    const same = await connect({ headers: { cookie }, origin });
    expect(same.messages[0]).toMatchObject({ type: 'ready', role: 'agent' });
  });

  it('X2: an API token authenticates a socket as its staff member', async () => {
    const { id } = await me('agent2');
    const created = await h.api('POST', '/api/api-tokens', { as: 'admin', body: { name: '大屏', staffId: id } });
    expect(created.status).toBe(201);
    const client = await connect({ token: created.body.token });
    expect(client.messages[0]).toMatchObject({ type: 'ready', staffId: id, role: 'agent' });
  });
});

describe('X2 realtime: who receives what', () => {
  it('X2: a department created by admin reaches agent1 (org.read) and not partner1', async () => {
    const agent = await connectAs('agent1');
    const partner = await connectAs('partner1');
    const admin = await me('admin');

    const created = await h.api('POST', '/api/departments', { as: 'admin', body: { code: 'after_sales', name: '售后部', kind: 'customer_service' } });
    expect(created.status).toBe(201);
    await h.kefu.bus.drain();

    const pushed = await agent.next((m) => m.type === 'event' && m.event === 'department.created');
    expect(pushed).toMatchObject({
      type: 'event',
      id: expect.any(Number),
      event: 'department.created',
      entity: { type: 'department', id: created.body.id },
      actorId: admin.id,
      occurredAt: h.clock.now().toISOString(),
      data: { id: created.body.id, code: 'after_sales', name: '售后部' },
    });
    expect(agent.events('department.created')).toHaveLength(1);

    await partner.barrier();
    expect(partner.events()).toEqual([]);
  });

  it('X2: webhook events reach administrators only', async () => {
    const admin = await connectAs('admin');
    const agent = await connectAs('agent1');
    const hook = await h.api('POST', '/api/webhooks', { as: 'admin', body: { name: 'crm', url: 'http://127.0.0.1:9/hook', eventTypes: ['staff.*'] } });
    expect(hook.status).toBe(201);
    await h.kefu.bus.drain();

    const pushed = await admin.next((m) => m.type === 'event' && m.event === 'webhook.created');
    expect(pushed.entity).toEqual({ type: 'webhook', id: hook.body.id });
    expect(JSON.stringify(pushed)).not.toContain(hook.body.secret);
    await agent.barrier();
    expect(agent.events()).toEqual([]);
  });

  it('X2/C4: personal data in a pushed event is masked', async () => {
    const agent = await connectAs('agent1');
    const created = await h.api('POST', '/api/staff', {
      as: 'admin',
      body: { username: 'agent3', password: 'a-long-secret', displayName: '周敏', role: 'agent', phone: '13912345678' },
    });
    expect(created.status).toBe(201);
    await h.kefu.bus.drain();
    const pushed = await agent.next((m) => m.type === 'event' && m.event === 'staff.created');
    expect(pushed.data).toMatchObject({ username: 'agent3', phone: '139****5678' });
    expect(JSON.stringify(agent.messages)).not.toContain('13912345678');
  });

  it('X2: every open console of a user receives the event once', async () => {
    const first = await connectAs('agent1');
    const second = await connectAs('agent1');
    expect(h.kefu.hub.size).toBe(2);
    await h.api('POST', '/api/departments', { as: 'admin', body: { code: 'after_sales', name: '售后部', kind: 'customer_service' } });
    await h.kefu.bus.drain();
    await h.kefu.bus.drain();
    for (const c of [first, second]) {
      await c.next((m) => m.event === 'department.created');
      await c.barrier();
      expect(c.events('department.created')).toHaveLength(1);
    }
  });
});

describe('X2/O5 realtime: the session behind a socket', () => {
  it('O5: logging out closes that session’s socket with 4401; the user’s other session stays and is told', async () => {
    const ending = await freshLogin('agent2');
    const staying = await freshLogin('agent2');
    const closing = await connect({ token: ending.token });
    const other = await connect({ token: staying.token });

    const out = await h.api('POST', '/api/auth/logout', { token: ending.token });
    expect(out.status).toBe(204);
    await h.kefu.bus.drain();

    const { code } = await closing.closed;
    expect(code).toBe(4401);
    const told = await other.next((m) => m.type === 'event' && m.event === 'session.revoked');
    expect(told.entity.type).toBe('session');
    await other.barrier();
    expect(other.ws.readyState).toBe(WebSocket.OPEN);
    // The revoked token cannot open a new socket.
    expect((await refused({ token: ending.token })).body.error.code).toBe('auth.session_revoked');
  });

  it('O5: disabling a staff member closes their sockets', async () => {
    const { token } = await freshLogin('agent2');
    const client = await connect({ token });
    const { id } = await me('agent2');
    expect((await h.api('PATCH', `/api/staff/${id}`, { as: 'admin', body: { status: 'disabled' } })).status).toBe(200);
    await h.kefu.bus.drain();
    expect((await client.closed).code).toBe(4401);
    expect((await refused({ token })).status).toBe(401);
  });

  it('O2: a role change closes the socket with 4409; on reconnecting the new permissions apply', async () => {
    const { token } = await freshLogin('partner1');
    const client = await connect({ token });
    const { id } = await me('partner1');
    expect((await h.api('PATCH', `/api/staff/${id}`, { as: 'admin', body: { role: 'agent' } })).status).toBe(200);
    await h.kefu.bus.drain();
    expect((await client.closed).code).toBe(4409);

    const again = await connect({ token });
    expect(again.messages[0]).toMatchObject({ type: 'ready', role: 'agent' });
    await h.api('POST', '/api/departments', { as: 'admin', body: { code: 'after_sales', name: '售后部', kind: 'customer_service' } });
    await h.kefu.bus.drain();
    await again.next((m) => m.event === 'department.created');
  });

  it('O2: an update that leaves role, placement and status alone keeps the socket open', async () => {
    const client = await connectAs('agent1');
    const { id } = await me('agent1');
    expect((await h.api('PATCH', `/api/staff/${id}`, { as: 'admin', body: { displayName: '张三丰', phone: '13912345678' } })).status).toBe(200);
    await h.kefu.bus.drain();
    const pushed = await client.next((m) => m.event === 'staff.updated');
    expect(pushed.data).toMatchObject({ id, displayName: '张三丰', phone: '139****5678' });
    await client.barrier();
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('O5: a socket whose session has expired is closed with 4401 instead of being sent the next event', async () => {
    const { token } = await freshLogin('agent1');
    const client = await connect({ token });
    h.clock.advance(13 * 3_600_000); // past the 12 h session
    const admin = await freshLogin('admin');
    const res = await h.api('POST', '/api/departments', { token: admin.token, body: { code: 'after_sales', name: '售后部', kind: 'customer_service' } });
    expect(res.status).toBe(201);
    await h.kefu.bus.drain();
    expect((await client.closed).code).toBe(4401);
    expect(client.events()).toEqual([]);
  });
});
