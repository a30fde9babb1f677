import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { asc, eq, sql } from 'drizzle-orm';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/support/errors.ts';
import { createHarness, testConfig, type Harness } from '../../../../test/support/kefu.ts';
import { buildKefu, type Kefu } from '../../../app.ts';
import { systemCtx } from '../../../platform/context.ts';
import { write } from '../../../platform/write.ts';
import { customers } from '../../customers/schema.ts';
import { conversations, messages } from '../../conversations/schema.ts';
import { addSystemMessage } from '../../conversations/service.ts';
import { visitorIdOf } from './service.ts';
import { guarded } from '../../../../test/support/guard.ts';
import { Peer, type Frame } from '../../../../test/support/socket.ts';

const ATTACHMENT_MAX = 200_000;
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

let h: Harness;
let chatUrl: string;
let realtimeUrl: string;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  h = await createHarness({ bus: true, config: { attachmentMaxBytes: ATTACHMENT_MAX } });
  await h.kefu.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = h.kefu.app.server.address() as AddressInfo;
  chatUrl = `ws://127.0.0.1:${port}/api/chat/ws`;
  realtimeUrl = `ws://127.0.0.1:${port}/api/realtime`;
});
afterAll(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await h.close();
});
beforeEach(() => h.reset());
afterEach(() => {
  for (const s of sockets.splice(0)) s.terminate();
});

async function open(url = chatUrl, headers: Record<string, string> = {}): Promise<Peer> {
  const ws = new WebSocket(url, { headers });
  sockets.push(ws);
  const peer = new Peer(ws);
  await guarded<void>('the upgrade', (resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return peer;
}

async function greet(hello: Record<string, unknown> = {}, url = chatUrl): Promise<{ v: Peer; welcome: Frame; token: string }> {
  const v = await open(url);
  v.send({ type: 'hello', ...hello });
  const welcome = await v.next((f) => f.type === 'welcome' || f.type === 'error');
  expect(welcome.type, JSON.stringify(welcome)).toBe('welcome');
  return { v, welcome, token: welcome.visitorToken };
}

/** Sends a message and returns the server's answer to it: its ack or its error. */
async function say(v: Peer, body: string, clientId: string = randomUUID(), extra: Record<string, unknown> = {}): Promise<Frame> {
  const from = v.frames.length;
  v.send({ type: 'message', clientId, body, ...extra });
  return v.next((f) => (f.type === 'ack' || f.type === 'error') && f.clientId === clientId, from);
}

async function staffSocket(username: string): Promise<Peer> {
  const peer = await open(realtimeUrl, { authorization: `Bearer ${await h.login(username)}` });
  await peer.next((f) => f.type === 'ready');
  return peer;
}

async function staffId(username: string): Promise<string> {
  return (await h.api('GET', '/api/auth/me', { as: username })).body.id;
}

async function online(...usernames: string[]): Promise<void> {
  for (const u of usernames) expect((await h.api('PUT', '/api/agent-states/me', { as: u, body: { status: 'online' } })).status).toBe(200);
}

async function reply(conversationId: string, body: string, opts: { as?: string; internal?: boolean; attachmentIds?: string[] } = {}) {
  const res = await h.api('POST', `/api/conversations/${conversationId}/messages`, { as: opts.as ?? 'agent1', body: { body, internal: opts.internal, attachmentIds: opts.attachmentIds } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const db = () => h.kefu.database.db;

async function conversationsOf(token: string) {
  return db().select().from(conversations).where(eq(conversations.visitorId, visitorIdOf(token)!)).orderBy(asc(conversations.id));
}

async function stored(conversationId: string) {
  return db().select().from(messages).where(eq(messages.conversationId, conversationId)).orderBy(asc(messages.id));
}

function multipart(fileName: string, bytes: Buffer): { body: Buffer; contentType: string } {
  const boundary = `----kefu${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  return { body: Buffer.concat([head, bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

function upload(token: string | null, fileName: string, bytes: Buffer) {
  const { body, contentType } = multipart(fileName, bytes);
  return h.api('POST', '/api/chat/attachments', { body, headers: { 'content-type': contentType, ...(token ? { 'x-kefu-visitor': token } : {}) } });
}

describe('CH2 web chat: nothing acknowledged is lost, nothing is stored twice', () => {
  it('CH2 acceptance: a client that cuts the socket mid-send 100 times ends with every message exactly once, in order', async () => {
    let token: string | undefined;
    /** What the client has written and not yet seen acknowledged, oldest first — its outbox. */
    let outbox: { clientId: string; body: string }[] = [];
    const written: string[] = [];
    let duplicates = 0;
    for (let round = 0; round < 100; round++) {
      const { v, token: t } = await greet(token ? { visitorToken: token } : {});
      token = t;
      const from = v.frames.length;
      for (let i = 0; i <= round % 3; i++) {
        const m = { clientId: `c${round}-${i}`, body: `第 ${round + 1} 轮第 ${i + 1} 条` };
        outbox.push(m);
        written.push(m.body);
      }
      // Resend everything unacknowledged, then cut: before reading anything, after the first ack, or after half of them.
      const batch = [...outbox];
      for (const m of batch) v.send({ type: 'message', ...m });
      const acks = () => v.frames.slice(from).filter((f) => f.type === 'ack');
      const wanted = [0, 1, Math.ceil(batch.length / 2)][round % 3]!;
      if (wanted > 0) await v.until(`${wanted} acks`, () => acks().length >= wanted);
      if (round % 2 === 0) v.ws.terminate();
      else v.ws.close();
      const acked = new Set(acks().map((f) => f.clientId as string));
      duplicates += acks().filter((f) => f.duplicate).length;
      outbox = outbox.filter((m) => !acked.has(m.clientId));
      expect(v.of('error')).toEqual([]);
    }

    const { v } = await greet({ visitorToken: token });
    const from = v.frames.length;
    for (const m of outbox) v.send({ type: 'message', ...m });
    await v.until('the last acks', () => outbox.every((m) => v.frames.slice(from).some((f) => f.type === 'ack' && f.clientId === m.clientId)));

    const [conv, ...others] = await conversationsOf(token!);
    expect(others).toEqual([]);
    const rows = await stored(conv!.id);
    expect(rows.map((r) => r.body)).toEqual(written);
    expect(new Set(rows.map((r) => r.clientId)).size).toBe(written.length);
    // Some acknowledgements really were lost and the resends dropped, or the test proved nothing.
    expect(duplicates).toBeGreaterThan(0);
    const again = await greet({ visitorToken: token });
    expect(again.welcome.messages.map((m: { body: string }) => m.body)).toEqual(written);
  }, 240_000);

  it('CH2: the ack is sent only after the commit; a transaction that fails at commit gets an error, no ack, and stores nothing', async () => {
    const { v, token } = await greet();
    expect(await say(v, '第一条')).toMatchObject({ type: 'ack', duplicate: false });
    // Deferred: it fires at COMMIT, after every statement of the transaction has succeeded.
    await db().execute(sql.raw(`create function kefu_test_refuse() returns trigger language plpgsql as $$
      begin if new.body = '提交时失败' then raise exception 'refused at commit'; end if; return null; end $$`));
    await db().execute(sql.raw(`create constraint trigger kefu_test_refuse after insert on messages deferrable initially deferred for each row execute function kefu_test_refuse()`));
    try {
      const failed = await say(v, '提交时失败', 'c-fail');
      expect(failed).toMatchObject({ type: 'error', code: 'server.internal', clientId: 'c-fail', retry: true });
      await v.barrier();
      expect(v.frames.filter((f) => f.type === 'ack' && f.clientId === 'c-fail')).toEqual([]);
      const [conv] = await conversationsOf(token);
      expect((await stored(conv!.id)).map((m) => m.body)).toEqual(['第一条']);

      // The first message of a new visitor opens the conversation: refused at commit, neither exists.
      const other = await greet();
      expect(await say(other.v, '提交时失败', 'c-first')).toMatchObject({ type: 'error', clientId: 'c-first', retry: true });
      expect(await conversationsOf(other.token)).toEqual([]);
    } finally {
      await db().execute(sql.raw('drop trigger kefu_test_refuse on messages'));
      await db().execute(sql.raw('drop function kefu_test_refuse()'));
    }
    // The client resends with the same id: stored once, now acknowledged.
    expect(await say(v, '提交时失败', 'c-fail')).toMatchObject({ type: 'ack', duplicate: false });
    const [conv] = await conversationsOf(token);
    expect((await stored(conv!.id)).map((m) => m.body)).toEqual(['第一条', '提交时失败']);
  });

  it('CH2: a resend after the conversation was closed is still recognised; a reused client id with other text is refused', async () => {
    await online('agent1');
    const { v, token } = await greet();
    const first = await say(v, '你好', 'c-1');
    // The agent resolves and closes the case; the acknowledgement of "你好" was lost meanwhile.
    const id = first.conversationId;
    expect((await h.api('PATCH', `/api/conversations/${id}`, { as: 'agent1', body: { problemType: 'consultation', intake: { problemDescription: '问候' } } })).status).toBe(200);
    for (const status of ['resolved', 'closed']) expect((await h.api('POST', `/api/conversations/${id}/status`, { as: 'agent1', body: { status } })).status).toBe(200);
    expect(await v.next((f) => f.type === 'conversation' && f.conversation.status === 'closed')).toMatchObject({ conversation: { id } });
    expect(await say(v, '你好', 'c-1')).toMatchObject({ type: 'ack', messageId: first.messageId, conversationId: first.conversationId, duplicate: true });
    expect(await say(v, '另一句话', 'c-1')).toMatchObject({ type: 'error', code: 'conversation.client_id_conflict', retry: false });
    // A new message after closing opens a new conversation.
    const next = await say(v, '还有一个问题', 'c-2');
    expect(next.conversationId).not.toBe(first.conversationId);
    expect((await conversationsOf(token)).map((c) => c.id)).toEqual([first.conversationId, next.conversationId]);
  });
});

describe('CH2 web chat: what the visitor sees', () => {
  it('CH2: an agent reply and a system message reach the visitor at once; internal notes never do', async () => {
    await online('agent1');
    const { v, token } = await greet({ name: '李女士', phone: '13900001111' });
    const ack = await say(v, '我的订单还没发货');
    const assigned = await v.next((f) => f.type === 'conversation' && f.conversation.assigned);
    expect(assigned.conversation).toMatchObject({ id: ack.conversationId, status: 'new', assigned: true, leftMessage: false });

    await reply(ack.conversationId, '内部备注：客户很着急，优先处理', { internal: true });
    await reply(ack.conversationId, '您好，我来帮您查询');
    const [row] = await db().select().from(conversations).where(eq(conversations.id, ack.conversationId));
    await write(systemCtx(db(), h.clock), async (w) => {
      await addSystemMessage(w, row!, '系统备注：已同步订单', { toCustomer: false });
      await addSystemMessage(w, row!, '客服已为您加急处理', { toCustomer: true });
    });
    const system = await v.next((f) => f.type === 'message' && f.message.author === 'system');
    expect(system.message.body).toBe('客服已为您加急处理');
    const pushed = v.of('message').map((f) => f.message);
    expect(pushed.map((m) => [m.author, m.body])).toEqual([
      ['customer', '我的订单还没发货'],
      ['agent', '您好，我来帮您查询'],
      ['system', '客服已为您加急处理'],
    ]);
    expect(Object.keys(pushed[1]).sort()).toEqual(['attachments', 'author', 'body', 'clientId', 'conversationId', 'createdAt', 'id']);
    expect(JSON.stringify(v.frames)).not.toContain('备注');

    // Reconnecting with the last message seen brings only what came after it; a history read has no notes either.
    const again = await greet({ visitorToken: token, lastSeenMessageId: ack.messageId });
    expect(again.welcome.messages.map((m: { body: string }) => m.body)).toEqual(['您好，我来帮您查询', '客服已为您加急处理']);
    again.v.send({ type: 'history', conversationId: ack.conversationId });
    const history = await again.v.next((f) => f.type === 'history');
    expect(history.messages.map((m: { body: string }) => m.body)).toEqual(['我的订单还没发货', '您好，我来帮您查询', '客服已为您加急处理']);
    expect(history.hasMore).toBe(false);

    // The pre-chat details found or made the customer archive.
    const [customer] = await db().select().from(customers).where(eq(customers.id, row!.customerId));
    expect(customer).toMatchObject({ name: '李女士', phones: ['13900001111'], source: 'chat' });
  });

  it('CH2: a visitor reads and receives only their own conversations', async () => {
    await online('agent1');
    const a = await greet();
    const ackA = await say(a.v, 'A 的私人问题：我的收货地址');
    await a.v.next((f) => f.type === 'conversation' && f.conversation.assigned);

    const b = await greet();
    expect(b.token).not.toBe(a.token);
    expect(b.welcome).toMatchObject({ conversation: null, messages: [] });
    // Someone else's conversation and one that does not exist answer alike.
    for (const conversationId of [ackA.conversationId, randomUUID()]) {
      const from = b.v.frames.length;
      b.v.send({ type: 'history', conversationId });
      expect(await b.v.next((f) => f.type === 'error' || f.type === 'history', from)).toMatchObject({ type: 'error', code: 'chat.conversation_not_found', field: 'conversationId' });
    }

    await reply(ackA.conversationId, '已为您修改地址');
    await a.v.next((f) => f.type === 'message' && f.message.author === 'agent');
    await b.v.barrier();
    expect(b.v.of('message')).toEqual([]);

    // A token altered by one character is another visitor; a malformed one gets a fresh token.
    const last = a.token.slice(-1);
    const altered = await greet({ visitorToken: `${a.token.slice(0, -1)}${last === 'A' ? 'B' : 'A'}` });
    expect(altered.welcome).toMatchObject({ conversation: null, messages: [] });
    const junk = await greet({ visitorToken: 'kfv_junk' });
    expect(junk.token).toMatch(/^kfv_[A-Za-z0-9_-]{43}$/);
    expect(junk.welcome.conversation).toBeNull();

    // Files too: B cannot fetch A's upload.
    const file = await upload(a.token, 'address.png', PNG);
    expect(file.status).toBe(201);
    expectError(await h.api('GET', `/api/chat/attachments/${file.body.id}`, { headers: { 'x-kefu-visitor': b.token } }), 404, 'conversation.attachment_not_found');
    expect((await h.api('GET', `/api/chat/attachments/${file.body.id}`, { headers: { 'x-kefu-visitor': a.token } })).status).toBe(200);
  });
});

describe('CH6 in chat: queue position, estimated wait, and leaving a message', () => {
  it('CH6: a waiting visitor is told their position and estimated wait, and told again when the queue moves', async () => {
    const agent1 = await staffId('agent1');
    const agent2 = await staffId('agent2');
    expect((await h.api('PUT', `/api/agent-states/${agent1}`, { as: 'lead1', body: { status: 'online', capacity: { chat: 1 } } })).status).toBe(200);

    const a = await greet();
    await say(a.v, '第一位客户');
    await a.v.next((f) => f.type === 'conversation' && f.conversation.assigned);

    h.clock.advance(5_000);
    const b = await greet();
    const ackB = await say(b.v, '第二位客户');
    // One agent, one chat slot, three minutes a chat until there is history: 180 s, over the 30 s promise.
    const queued = await b.v.next((f) => f.type === 'queue' && f.conversationId === ackB.conversationId);
    expect(queued).toMatchObject({ position: 1, agentsOnline: 1, estimatedWaitSeconds: 180, reason: 'target_exceeded', leaveMessage: true });
    expect(queued.text).toContain('预计等待约 3 分钟');
    expect(queued.text).toContain('30 秒');

    h.clock.advance(5_000);
    const c = await greet();
    const ackC = await say(c.v, '第三位客户');
    const third = await c.v.next((f) => f.type === 'queue' && f.conversationId === ackC.conversationId);
    expect(third).toMatchObject({ position: 2, estimatedWaitSeconds: 360 });
    expect(third.text).toContain('您前面还有 1 位客户');

    // The supervisor gives B to agent2: C moves up and is told so, B is told an agent has it.
    const from = c.v.frames.length;
    expect((await h.api('POST', `/api/conversations/${ackB.conversationId}/assignments`, { as: 'lead1', body: { staffId: agent2 } })).status).toBe(200);
    const moved = await c.v.next((f) => f.type === 'queue', from);
    expect(moved).toMatchObject({ conversationId: ackC.conversationId, position: 1, estimatedWaitSeconds: 180 });
    expect(await b.v.next((f) => f.type === 'conversation' && f.conversation.assigned)).toBeTruthy();

    // agent1 goes offline: nobody is left to answer C, who is told why.
    const before = c.v.frames.length;
    expect((await h.api('PUT', '/api/agent-states/me', { as: 'agent1', body: { status: 'offline' } })).status).toBe(200);
    const nobody = await c.v.next((f) => f.type === 'queue' && f.reason === 'no_agent_online', before);
    expect(nobody).toMatchObject({ agentsOnline: 0, estimatedWaitSeconds: null, leaveMessage: true });
  });

  it('CH6: with nobody online the visitor is told so in Chinese and a left message opens a 留言 conversation', async () => {
    const { v, token } = await greet();
    const q = await v.next((f) => f.type === 'queue');
    expect(q).toMatchObject({ conversationId: null, reason: 'no_agent_online', agentsOnline: 0, leaveMessage: true });
    expect(q.text).toContain('当前没有客服在线');
    expect(q.text).toContain('留言');

    const leave = { type: 'leave_message', clientId: 'lm-1', name: '赵先生', phone: '13700002222', body: '请回电，想咨询退货' };
    v.send(leave);
    const ack = await v.next((f) => f.type === 'ack' && f.clientId === 'lm-1');
    expect(ack.duplicate).toBe(false);
    v.send(leave);
    expect(await v.next((f) => f.type === 'ack' && f.duplicate)).toMatchObject({ clientId: 'lm-1', messageId: ack.messageId });

    const [conv, ...others] = await conversationsOf(token);
    expect(others).toEqual([]);
    expect(conv).toMatchObject({ id: ack.conversationId, channel: 'chat', leftMessage: true, subject: '访客留言', intake: { contact: '13700002222' } });
    expect((await stored(conv!.id)).map((m) => m.body)).toEqual(['请回电，想咨询退货']);
    const [customer] = await db().select().from(customers).where(eq(customers.id, conv!.customerId));
    expect(customer).toMatchObject({ name: '赵先生', phones: ['13700002222'] });

    // A visitor already waiting who chooses to leave a message stays in the same case, now marked as a left message.
    const w = await greet();
    const waiting = await say(w.v, '有人吗？');
    const left = await (async () => {
      w.v.send({ type: 'leave_message', clientId: 'lm-2', email: 'wang@example.com', body: '我明天再来' });
      return w.v.next((f) => f.type === 'ack' && f.clientId === 'lm-2');
    })();
    expect(left.conversationId).toBe(waiting.conversationId);
    const [same] = await conversationsOf(w.token);
    expect(same!.leftMessage).toBe(true);

    // When an agent comes online the waiting case is routed, and the visitor still connected sees it taken.
    await online('agent1');
    expect(await w.v.next((f) => f.type === 'conversation' && f.conversation.assigned)).toMatchObject({ conversation: { id: waiting.conversationId } });
  });

  it('CH6: ?lang=en on the socket URL tells the visitor in English whatever Accept-Language says; another lang is refused with 400', async () => {
    const en = await open(`${chatUrl}?lang=en`, { 'accept-language': 'zh-CN,zh;q=0.9' });
    en.send({ type: 'hello' });
    expect((await en.next((f) => f.type === 'queue')).text).toBe('No agent is online right now. Leave a message and we will get back to you as soon as someone is available.');
    en.send({ type: 'hello' });
    expect((await en.next((f) => f.type === 'error')).message).toBe('This connection has already sent hello');

    // Without ?lang= the upgrade's Accept-Language still decides.
    const tw = await open(chatUrl, { 'accept-language': 'zh-TW' });
    tw.send({ type: 'hello' });
    expect((await tw.next((f) => f.type === 'queue')).text).toContain('目前沒有客服在線');

    await expect(open(`${chatUrl}?lang=fr`)).rejects.toThrow('upgrade refused with 400');
    expect(expectError(await h.api('GET', '/api/chat/ws?lang=fr'), 400, 'request.invalid').field).toBe('lang');
  });
});

describe('CH2 typing', () => {
  it('CH2: customer typing reaches the staff console and agent typing reaches the visitor, nobody else', async () => {
    await online('agent1');
    const { v } = await greet();
    const ack = await say(v, '在吗？');
    await v.next((f) => f.type === 'conversation' && f.conversation.assigned);
    const console1 = await staffSocket('agent1');
    const bystander = await greet();

    v.send({ type: 'typing', on: true });
    expect(await console1.next((f) => f.type === 'typing')).toMatchObject({ conversationId: ack.conversationId, author: 'customer', on: true });

    const res = await h.api('POST', `/api/conversations/${ack.conversationId}/typing`, { as: 'agent1', body: { on: true } });
    expect(res.status).toBe(204);
    expect(await v.next((f) => f.type === 'typing')).toMatchObject({ conversationId: ack.conversationId, author: 'agent', on: true });
    await bystander.v.barrier();
    expect(bystander.v.of('typing')).toEqual([]);

    // A visitor who drops while typing stops "typing" on the console.
    const from = console1.frames.length;
    v.ws.terminate();
    expect(await console1.next((f) => f.type === 'typing', from)).toMatchObject({ conversationId: ack.conversationId, on: false });

    // Someone else's conversation is not found; a role that does not answer customers is refused.
    expectError(await h.api('POST', `/api/conversations/${ack.conversationId}/typing`, { as: 'agent2', body: { on: true } }), 404, 'conversation.not_found');
    expectError(await h.api('POST', `/api/conversations/${ack.conversationId}/typing`, { as: 'qa1', body: { on: true } }), 403, 'auth.forbidden');
  });

  it('CH2: replies and typing cross nodes: a visitor on node B hears an agent working through node A', async () => {
    const nodeB: Kefu = await buildKefu({ config: testConfig(), database: h.db.database, clock: h.clock, logger: false });
    try {
      await nodeB.startWorkers({ pollMs: null, jobs: false });
      await nodeB.app.listen({ port: 0, host: '127.0.0.1' });
      const urlB = `ws://127.0.0.1:${(nodeB.app.server.address() as AddressInfo).port}/api/chat/ws`;
      await online('agent1');
      const { v } = await greet({}, urlB);
      const ack = await say(v, '我连在 B 节点');
      const console1 = await staffSocket('agent1');

      await reply(ack.conversationId, 'A 节点的回复');
      expect(await v.next((f) => f.type === 'message' && f.message.author === 'agent')).toMatchObject({ message: { body: 'A 节点的回复' } });
      expect((await h.api('POST', `/api/conversations/${ack.conversationId}/typing`, { as: 'agent1', body: { on: true } })).status).toBe(204);
      expect(await v.next((f) => f.type === 'typing')).toMatchObject({ author: 'agent', on: true });
      v.send({ type: 'typing', on: true });
      expect(await console1.next((f) => f.type === 'typing')).toMatchObject({ author: 'customer', on: true });
    } finally {
      await nodeB.close();
    }
  });
});

describe('CH2 bad input', () => {
  it('CH2: a message over the length limit is refused with conversation.message_too_long and nothing is stored', async () => {
    const { v, token } = await greet();
    const max = h.kefu.config.messageMaxChars;
    expect(await say(v, '长'.repeat(max + 1), 'too-long')).toMatchObject({ type: 'error', code: 'conversation.message_too_long', clientId: 'too-long', retry: false });
    expect(await conversationsOf(token)).toEqual([]);
    expect(await say(v, '   ', 'blank')).toMatchObject({ type: 'error', code: 'conversation.message_empty', retry: false });
    expect(await say(v, '长'.repeat(max), 'just-fits')).toMatchObject({ type: 'ack' });
  });

  it('CH2: malformed frames get an error and the connection stays open', async () => {
    const early = await open();
    early.send({ type: 'message', clientId: 'x', body: '先说话' });
    expect(await early.next((f) => f.type === 'error')).toMatchObject({ code: 'chat.hello_required', clientId: 'x', retry: false });

    const { v } = await greet();
    const cases: Array<[unknown, string, string?]> = [
      ['not json', 'chat.invalid_frame'],
      [[1, 2], 'chat.invalid_frame'],
      [{ type: 'fly' }, 'chat.invalid_frame', 'type'],
      [{ type: 'message', body: '没有编号' }, 'chat.invalid_frame', 'clientId'],
      [{ type: 'message', clientId: 'a', body: '多余字段', extra: 1 }, 'chat.invalid_frame', 'extra'],
      [{ type: 'typing', on: 'yes' }, 'chat.invalid_frame', 'on'],
      [{ type: 'message', clientId: 'nul', body: 'a\u0000b' }, 'request.invalid_text', 'body'],
      [{ type: 'hello' }, 'chat.already_greeted'],
      [{ type: 'message', clientId: 'att', body: '附件', attachmentIds: [randomUUID()] }, 'conversation.attachment_not_found'],
    ];
    for (const [frame, code, field] of cases) {
      const from = v.frames.length;
      v.send(frame);
      const err = await v.next((f) => f.type === 'error', from);
      expect(err, JSON.stringify(frame)).toMatchObject({ code, retry: false });
      expect(typeof err.message).toBe('string');
      if (field) expect(err.field).toBe(field);
    }
    expect(await say(v, '正常的一句话')).toMatchObject({ type: 'ack' });

    // A flood is cut off with a retryable error rather than queued without bound.
    const from = v.frames.length;
    for (let i = 0; i < 80; i++) v.send({ type: 'ping' });
    expect(await v.next((f) => f.type === 'error', from)).toMatchObject({ code: 'chat.rate_limited', retry: true });
  });
});

describe('CH2 attachments', () => {
  it('CH2: a visitor uploads a file with their token, sends it in a message, and downloads agent files but never note files', async () => {
    await online('agent1');
    const { v, token } = await greet();
    expectError(await upload(token, 'photo.png', PNG), 409, 'chat.no_conversation');
    const ack = await say(v, '我发张图');
    expectError(await upload(null, 'photo.png', PNG), 401, 'chat.visitor_required');
    expectError(await upload('kfv_forged', 'photo.png', PNG), 401, 'chat.visitor_required');
    expectError(await upload(token, 'big.bin', Buffer.alloc(ATTACHMENT_MAX + 1, 1)), 413, 'file.too_large');

    const up = await upload(token, '../故障照片.png', PNG);
    expect(up.status, JSON.stringify(up.body)).toBe(201);
    expect(up.body).toEqual({ id: expect.any(String), fileName: '故障照片.png', contentType: 'image/png', size: PNG.length });
    expect(up.headers['access-control-allow-origin']).toBe('*');
    const sent = await say(v, '[附件] 故障照片.png', randomUUID(), { attachmentIds: [up.body.id] });
    expect(sent.type).toBe('ack');
    const own = await v.next((f) => f.type === 'message' && f.message.id === sent.messageId);
    expect(own.message.attachments).toEqual([{ id: up.body.id, fileName: '故障照片.png', contentType: 'image/png', size: PNG.length }]);

    // The agent sees it in the conversation.
    const listed = await h.api('GET', `/api/conversations/${ack.conversationId}/messages`, { as: 'agent1' });
    expect(listed.body.data.find((m: { id: string }) => m.id === sent.messageId).attachments[0].id).toBe(up.body.id);

    // The agent's file in a reply is the visitor's to download; the one on an internal note is not.
    const agentUpload = async (name: string) => {
      const { body, contentType } = multipart(name, PNG);
      const res = await h.api('POST', `/api/conversations/${ack.conversationId}/attachments`, { as: 'agent1', body, headers: { 'content-type': contentType } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id as string;
    };
    const noteFile = await agentUpload('内部截图.png');
    await reply(ack.conversationId, '内部：见截图', { internal: true, attachmentIds: [noteFile] });
    const replyFile = await agentUpload('说明书.png');
    await reply(ack.conversationId, '请看说明书', { attachmentIds: [replyFile] });
    const pushed = await v.next((f) => f.type === 'message' && f.message.author === 'agent');
    expect(pushed.message.attachments.map((a: { id: string }) => a.id)).toEqual([replyFile]);
    const download = await h.api('GET', `/api/chat/attachments/${replyFile}`, { headers: { 'x-kefu-visitor': token } });
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('image/png');
    expect(download.headers['x-content-type-options']).toBe('nosniff');
    expectError(await h.api('GET', `/api/chat/attachments/${noteFile}`, { headers: { 'x-kefu-visitor': token } }), 404, 'conversation.attachment_not_found');

    // The browser's preflight from the embedding site is answered.
    const preflight = await h.api('OPTIONS', '/api/chat/attachments', { headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toContain('x-kefu-visitor');
  });
});

describe('CH2 the widget', () => {
  it('CH2: /widget.js is plain JavaScript and /demo/chat a Chinese page embedding it; the socket URL refuses plain HTTP', async () => {
    const js = await h.api('GET', '/widget.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toContain('/api/chat/ws');
    expect(js.body).toContain('localStorage');
    // It must parse as a classic script (compiling is enough; it is not run here).
    expect(() => new Function(js.body as string)).not.toThrow();

    const demo = await h.api('GET', '/demo/chat');
    expect(demo.status).toBe(200);
    expect(demo.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(demo.body).toContain('<html lang="zh-CN">');
    expect(demo.body).toContain('<script src="/widget.js"');

    expectError(await h.api('GET', '/api/chat/ws'), 426, 'chat.upgrade_required');
  });
});
