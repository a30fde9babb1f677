import { createHash } from 'node:crypto';
import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callEvents, replayCall, signedEvent, type CallScript, type CtiEvent, type Post } from '../../../../scripts/replay-call.ts';
import { expectError } from '../../../../test/support/errors.ts';
import { createHarness, testConfig, type Harness } from '../../../../test/support/kefu.ts';
import { buildKefu } from '../../../app.ts';
import { auditLog } from '../../../platform/audit/schema.ts';
import { events } from '../../../platform/events/schema.ts';
import { sign } from '../../../platform/webhooks/signature.ts';
import { attachments, conversationTasks, conversations, messages } from '../../conversations/schema.ts';
import { customers } from '../../customers/schema.ts';
import { staff } from '../../org/schema.ts';
import { currentPolicy } from '../../policy/service.ts';
import { callRecords } from '../schema.ts';

const SECRET = 'cti-test-secret';
const CALLER = '13912345678';
const MASKED = '139****5678';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ config: { ctiSecret: SECRET } });
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const db = () => h.kefu.database.db;
const nowSeconds = () => Math.floor(h.clock.now().getTime() / 1000);
const post: Post = (body, headers) => h.api('POST', '/api/cti/events', { body, headers });
const ringLength = async () => (await currentPolicy(db())).sla.phone.ringSeconds.value;

async function staffId(username: string): Promise<string> {
  const [row] = await db().select({ id: staff.id }).from(staff).where(eq(staff.username, username));
  return row!.id;
}

async function rows() {
  const n = async (t: typeof callRecords | typeof conversations | typeof customers | typeof messages | typeof attachments | typeof conversationTasks) =>
    Number((await db().select({ n: count() }).from(t))[0]!.n);
  return { calls: await n(callRecords), conversations: await n(conversations), customers: await n(customers), messages: await n(messages), attachments: await n(attachments), tasks: await n(conversationTasks) };
}

/** A call of 3 rings, 3 min 12 s of talk, 20 s on hold and 30 s of wrap-up that began a while ago. */
async function script(overrides: Partial<CallScript> = {}): Promise<CallScript> {
  return {
    callId: 'call-1',
    from: CALLER,
    to: '4008001234',
    agent: 'agent1',
    rings: 3,
    ringSeconds: await ringLength(),
    talk: 192,
    hold: 20,
    wrap: 30,
    start: new Date(h.clock.now().getTime() - 600_000),
    ...overrides,
  };
}

async function replay(evs: CtiEvent[]) {
  const answers = await replayCall(evs, post, SECRET, () => h.clock.now());
  for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(200);
  return answers.at(-1)!.body as { duplicate: boolean; call: Record<string, any> };
}

function send(e: CtiEvent) {
  const { body, headers } = signedEvent(SECRET, e, h.clock.now());
  return h.api('POST', '/api/cti/events', { body, headers });
}

async function notes(conversationId: string): Promise<string[]> {
  const res = await h.api('GET', `/api/conversations/${conversationId}/messages?limit=200`, { as: 'admin' });
  return res.body.data.map((m: { body: string }) => m.body);
}

/** Everything a call record says about the call itself, without its ids and arrival times. */
function facts(call: Record<string, any>) {
  const { id: _i, callId: _c, conversationId: _v, createdAt: _a, updatedAt: _u, events: evs, ...rest } = call;
  return { ...rest, events: evs.map((e: Record<string, unknown>) => ({ type: e.type, at: e.at, agent: e.agent })) };
}

describe('CH4 CTI events', () => {
  it('CH4: a replayed call gives ring seconds, rings by the policy ring length, talk, hold, wrap-up and the phone AHT', async () => {
    const L = await ringLength();
    const { call } = await replay(callEvents(await script()));
    const ringSeconds = Math.round(2.5 * L);
    expect(call).toMatchObject({
      direction: 'inbound',
      status: 'wrapped_up',
      ringSeconds,
      rings: 3,
      talkSeconds: 192,
      holdSeconds: 20,
      wrapSeconds: 30,
      handlingSeconds: 242,
      agentId: await staffId('agent1'),
      fromNumber: MASKED,
    });
    expect(call.events.map((e: { type: string }) => e.type)).toEqual(['ringing', 'answered', 'held', 'resumed', 'ended', 'wrapped_up']);

    // The conversation: a phone case for the caller, taken by the agent who answered, AHT = talk + hold + wrap.
    const conv = await h.api('GET', `/api/conversations/${call.conversationId}`, { as: 'agent1' });
    expect(conv.status).toBe(200);
    expect(conv.body).toMatchObject({ channel: 'phone', status: 'open', assigneeId: await staffId('agent1'), handlingSeconds: 242, firstResponseAt: call.answeredAt });
    const [customer] = await db().select().from(customers).where(eq(customers.id, conv.body.customerId));
    expect(customer).toMatchObject({ phones: [CALLER], source: 'phone' });
    const assignments = await h.api('GET', `/api/conversations/${call.conversationId}/assignments`, { as: 'agent1' });
    expect(assignments.body.at(-1).reason).toMatchObject({ code: 'answered', text: expect.stringContaining('接听电话') });
    expect(await notes(call.conversationId)).toContain(`通话 3 分 12 秒，保持 20 秒，振铃 3 声`);

    // The same call under a policy whose ring is 3 s long counts ceil(ringSeconds / 3) rings.
    await h.publishPolicy('铃声时长改为 3 秒', (doc) => {
      doc.sla.phone.ringSeconds = { value: 3, source: 'default' };
    });
    const again = await replay(callEvents({ ...(await script({ callId: 'call-2' })), ringSeconds: L }));
    expect(again.call).toMatchObject({ ringSeconds, rings: Math.ceil(ringSeconds / 3) });
    expect(again.call.rings).not.toBe(3);
  });

  it('CH4: events out of order and repeated give the same call record, and each repeat changes nothing', async () => {
    const inOrder = await replay(callEvents(await script({ callId: 'ordered' })));

    // Hang-up first (so the call looks missed until the answer arrives), then the rest shuffled, each twice.
    const evs = callEvents(await script({ callId: 'shuffled', from: '13700001111' }));
    const byType = Object.fromEntries(evs.map((e) => [e.type, e]));
    const shuffled = ['ended', 'wrapped_up', 'resumed', 'ringing', 'held', 'answered'].map((t) => byType[t]!);
    for (const e of shuffled) {
      const first = await send(e);
      expect(first.status, JSON.stringify(first.body)).toBe(200);
      const before = await rows();
      const repeat = await send(e);
      expect(repeat.status).toBe(200);
      expect((repeat.body as { duplicate: boolean }).duplicate).toBe(true);
      expect(await rows()).toEqual(before);
    }
    const [row] = await db().select().from(callRecords).where(eq(callRecords.callId, 'shuffled'));
    const res = await h.api('GET', `/api/conversations/${row!.conversationId}/calls`, { as: 'admin' });
    const outOfOrder = res.body[0];
    expect(facts(outOfOrder)).toEqual({ ...facts(inOrder.call), fromNumber: '137****1111' });
    const conv = await h.api('GET', `/api/conversations/${row!.conversationId}`, { as: 'admin' });
    expect(conv.body.handlingSeconds).toBe(242);

    // While it looked missed it got a callback task; the late answer cancelled it.
    const tasks = await db().select().from(conversationTasks).where(eq(conversationTasks.conversationId, row!.conversationId));
    expect(tasks.map((t) => [t.kind, t.status])).toEqual([['callback', 'cancelled']]);

    // An event id reused for a different event is refused.
    const conflict = await send({ ...byType.answered!, at: new Date(Date.parse(byType.answered!.at) + 5000).toISOString() });
    expectError(conflict, 409, 'cti.event_conflict');
    // Without event ids, the same event is recognised by what it says.
    const { eventId: _e, ...bare } = byType.held!;
    expect((await send(bare)).body).toMatchObject({ duplicate: false });
    expect((await send(bare)).body).toMatchObject({ duplicate: true });
  });

  it('CH4: a transfer hands the conversation to the target agent with the reason', async () => {
    const s = await script({ callId: 'transfer-1', hold: 0 });
    const [ringing, answered, ended] = callEvents(s);
    await replay([ringing!, answered!]);
    const res = await replay([{ ...answered!, type: 'transferred', at: new Date(Date.parse(answered!.at) + 40_000).toISOString(), target: 'agent2', eventId: 'transfer-1-x' }, ended!]);
    expect(res.call).toMatchObject({ status: 'ended', agentId: await staffId('agent2') });
    const assignments = await h.api('GET', `/api/conversations/${res.call.conversationId}/assignments`, { as: 'admin' });
    expect(assignments.body.map((a: { reason: { code: string } }) => a.reason.code).slice(-2)).toEqual(['answered', 'transfer']);
    expect(assignments.body.at(-1)).toMatchObject({ staffId: await staffId('agent2') });
    expect(await notes(res.call.conversationId)).toContain(`电话由 ${await name('agent1')} 转接给 ${await name('agent2')}`);
  });
});

async function name(username: string): Promise<string> {
  const [row] = await db().select({ n: staff.displayName }).from(staff).where(eq(staff.username, username));
  return row!.n;
}

describe('CH4 the CTI signature (acceptance 12)', () => {
  const ringing = (callId = 'sig-1'): CtiEvent => ({ callId, type: 'ringing', at: h.clock.now().toISOString(), from: CALLER, to: '4008001234', direction: 'inbound' });
  const raw = (body: string, headers: Record<string, string>) => h.api('POST', '/api/cti/events', { body, headers });

  it('CH4/X5: a missing, forged, altered or stale signature is a 401 and writes nothing', async () => {
    const audited = async () => Number((await db().select({ n: count() }).from(auditLog))[0]!.n);
    const before = { ...(await rows()), audit: await audited() };
    const body = JSON.stringify(ringing());
    const json = { 'content-type': 'application/json' };

    expectError(await raw(body, json), 401, 'cti.signature_missing');
    expectError(await raw(body, { ...json, 'x-kefu-signature': sign('not-the-secret', body, nowSeconds()) }), 401, 'cti.signature_invalid');
    expectError(await raw(body.replace(CALLER, '13000000000'), { ...json, 'x-kefu-signature': sign(SECRET, body, nowSeconds()) }), 401, 'cti.signature_invalid');
    expectError(await raw(body, { ...json, 'x-kefu-signature': 'sha256=deadbeef' }), 401, 'cti.signature_invalid');
    expectError(await raw(body, { ...json, 'x-kefu-signature': sign(SECRET, body, nowSeconds() - 301) }), 401, 'cti.signature_expired');
    expectError(await raw(body, { ...json, 'x-kefu-signature': sign(SECRET, body, nowSeconds() + 301) }), 401, 'cti.signature_expired');
    // A recorded genuine request replayed six minutes later.
    const genuine = { ...json, 'x-kefu-signature': sign(SECRET, body, nowSeconds()) };
    h.clock.advance(360_000);
    expectError(await raw(body, genuine), 401, 'cti.signature_expired');
    // Garbage with a forged signature learns nothing about the parser.
    expectError(await raw('{not json', { ...json, 'x-kefu-signature': sign('guess', '{not json', nowSeconds()) }), 401, 'cti.signature_invalid');
    expect({ ...(await rows()), audit: await audited() }).toEqual(before);
  });

  it('CH4/X5: a signed but malformed body is a 400 with a stable code and writes nothing', async () => {
    const before = await rows();
    const signed = (text: string) => raw(text, { 'content-type': 'application/json', 'x-kefu-signature': sign(SECRET, text, nowSeconds()) });
    expectError(await signed('{"callId": "x", '), 400, 'request.malformed_json');
    expect(expectError(await signed(JSON.stringify({ ...ringing(), type: 'exploded' })), 400, 'request.invalid').field).toBe('type');
    expect(expectError(await signed(JSON.stringify({ ...ringing(), at: 'yesterday' })), 400, 'request.invalid').field).toBe('at');
    expect(expectError(await signed(JSON.stringify({ ...ringing(), extra: 1 })), 400, 'request.unknown_field').field).toBe('extra');
    expect(expectError(await signed(JSON.stringify({ ...ringing(), type: 'transferred' })), 400, 'cti.target_required').field).toBe('target');
    expect(expectError(await signed(JSON.stringify({ ...ringing(), type: 'answered', agent: 'nobody' })), 422, 'cti.unknown_agent').field).toBe('agent');
    expect(await rows()).toEqual(before);

    // A call id reused for another call (other numbers) is refused rather than merged.
    expect((await send(ringing('reused'))).status).toBe(200);
    expectError(await send({ ...ringing('reused'), from: '13000000000', type: 'answered', agent: 'agent1' }), 409, 'cti.call_mismatch');
  });

  it('CH4: without KEFU_CTI_SECRET the endpoint is off with a stable code', async () => {
    const off = await buildKefu({ config: testConfig({ ctiSecret: null }), database: h.db.database, clock: h.clock, logger: false });
    try {
      const body = JSON.stringify(ringing());
      const res = await off.app.inject({ method: 'POST', url: '/api/cti/events', payload: body, headers: { 'content-type': 'application/json', 'x-kefu-signature': sign(SECRET, body, nowSeconds()) } });
      expectError({ status: res.statusCode, body: res.json(), headers: res.headers }, 503, 'cti.disabled');
    } finally {
      await off.close();
    }
    expect((await rows()).calls).toBe(0);
  });

  it('CH4: the signature matches the worked example in docs/cti.md', () => {
    const body = '{"callId":"c-1001","type":"ringing","at":"2026-03-02T01:00:00Z","from":"13800138000","to":"4008001234","direction":"inbound"}';
    expect(sign('cti-demo-secret', body, 1772413200)).toBe(`t=1772413200,v1=${DOC_EXAMPLE_HEX}`);
  });
});

/** The HMAC docs/cti.md prints (computed there with openssl dgst -sha256 -hmac cti-demo-secret). */
const DOC_EXAMPLE_HEX = '731e3ad3adad58e6ed2fc36e7fe5cd49675fa8c93ab3519d5c8afa5f4f517397';

describe('CH4 missed calls and callbacks', () => {
  it('CH4/S5: an unanswered call is abandoned and leaves a callback task due within the policy callback time', async () => {
    const s = await script({ callId: 'missed-1', rings: 4 });
    const [ringing] = callEvents(s);
    const endedAt = new Date(Date.parse(ringing!.at) + 18_000).toISOString();
    const { call } = await replay([ringing!, { ...ringing!, type: 'ended', at: endedAt, eventId: 'missed-1-end' }]);
    const L = await ringLength();
    expect(call).toMatchObject({ status: 'abandoned', answeredAt: null, ringSeconds: 18, rings: Math.ceil(18 / L), talkSeconds: null, handlingSeconds: 0 });

    const tasks = await h.api('GET', `/api/tasks?conversationId=${call.conversationId}&kind=callback`, { as: 'lead1' });
    expect(tasks.status).toBe(200);
    expect(tasks.body.data).toHaveLength(1);
    const hours = (await currentPolicy(db())).callbacks.withinHours.value;
    expect(tasks.body.data[0]).toMatchObject({ kind: 'callback', status: 'open', title: '未接来电回拨', dueAt: new Date(Date.parse(endedAt) + hours * 3_600_000).toISOString() });
    expect(await notes(call.conversationId)).toContain(`未接来电：振铃 ${Math.ceil(18 / L)} 声（18 秒）后客户挂断，已生成回拨任务`);

    // Click-to-call: the agent gets the number (audited) and a call id; the PBX's answered call closes the task.
    const dial = await h.api('POST', `/api/callbacks/${tasks.body.data[0].id}/dial`, { as: 'agent1' });
    expect(dial.status, JSON.stringify(dial.body)).toBe(200);
    expect(dial.body).toMatchObject({ dialNumber: CALLER, conversationId: call.conversationId, callId: expect.stringMatching(/^kefu-cb-/) });
    const reveals = await db().select().from(auditLog).where(and(eq(auditLog.action, 'reveal'), eq(auditLog.entityType, 'customer')));
    expect(reveals).toHaveLength(1);
    expect(reveals[0]).toMatchObject({ actorId: await staffId('agent1'), reason: '电话回拨' });

    const out = (type: CtiEvent['type'], seconds: number): CtiEvent => ({
      callId: dial.body.callId,
      type,
      at: new Date(h.clock.now().getTime() + seconds * 1000).toISOString(),
      from: '4008001234',
      to: CALLER,
      direction: 'outbound',
      agent: 'agent1',
    });
    const back = await replay([out('ringing', 0), out('answered', 7), out('ended', 67)]);
    expect(back.call).toMatchObject({ conversationId: call.conversationId, direction: 'outbound', status: 'ended', talkSeconds: 60, rings: Math.ceil(7 / L), toNumber: MASKED });
    const done = await h.api('GET', `/api/tasks/${tasks.body.data[0].id}`, { as: 'agent1' });
    expect(done.body.task).toMatchObject({ status: 'done', completedBy: await staffId('agent1') });
    const calls = await h.api('GET', `/api/conversations/${call.conversationId}/calls`, { as: 'agent1' });
    expect(calls.body.map((c: { direction: string; status: string }) => [c.direction, c.status])).toEqual([
      ['inbound', 'abandoned'],
      ['outbound', 'ended'],
    ]);
  });

  it('CH4: an agent schedules a callback for the conversation owner; a task that is not a callback cannot be dialled', async () => {
    const { call } = await replay(callEvents(await script({ callId: 'cb-1' })));
    const due = new Date(h.clock.now().getTime() + 3_600_000).toISOString();
    const created = await h.api('POST', `/api/conversations/${call.conversationId}/callbacks`, { as: 'agent1', body: { dueAt: due, note: '客户要求明早回电确认维修进度' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ kind: 'callback', status: 'open', assigneeId: await staffId('agent1'), dueAt: due });
    expectError(await h.api('POST', `/api/conversations/${call.conversationId}/callbacks`, { as: 'agent1', body: { dueAt: h.clock.now().toISOString(), note: '过去' } }), 400, 'task.due_in_past');
    expectError(await h.api('POST', `/api/conversations/${call.conversationId}/callbacks`, { as: 'qa1', body: { dueAt: due, note: '质检' } }), 403, 'auth.forbidden');

    const followUp = await h.api('POST', `/api/conversations/${call.conversationId}/follow-ups`, { as: 'agent1', body: { dueAt: due, note: '跟进' } });
    expect(followUp.status).toBe(201);
    expectError(await h.api('POST', `/api/callbacks/${followUp.body.id}/dial`, { as: 'agent1' }), 409, 'phone.not_callback');
    // Someone who cannot see the case cannot dial it.
    expectError(await h.api('POST', `/api/callbacks/${created.body.id}/dial`, { as: 'agent2' }), 404, 'task.not_found');
  });
});

// ---------- recordings ----------

function wav(samples = 800): Buffer {
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(Math.sin(i / 8) * 8000), i * 2);
  const head = Buffer.alloc(44);
  head.write('RIFF', 0);
  head.writeUInt32LE(36 + data.length, 4);
  head.write('WAVEfmt ', 8);
  head.writeUInt32LE(16, 16);
  head.writeUInt16LE(1, 20); // PCM
  head.writeUInt16LE(1, 22); // mono
  head.writeUInt32LE(8000, 24);
  head.writeUInt32LE(16000, 28);
  head.writeUInt16LE(2, 32);
  head.writeUInt16LE(16, 34);
  head.write('data', 36);
  head.writeUInt32LE(data.length, 40);
  return Buffer.concat([head, data]);
}

/** Three silent MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz: 417 bytes each). */
function mp3(): Buffer {
  const frame = Buffer.alloc(417);
  frame.set([0xff, 0xfb, 0x90, 0x64]);
  return Buffer.concat([frame, frame, frame]);
}

function upload(callId: string, fileName: string, bytes: Buffer, opts: { secret?: string; signedBytes?: Buffer } = {}) {
  const boundary = 'kefu-test-boundary';
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const sha = createHash('sha256')
    .update(opts.signedBytes ?? bytes)
    .digest('hex');
  return h.api('POST', `/api/calls/${callId}/recording`, {
    body: payload,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'x-kefu-signature': sign(opts.secret ?? SECRET, `${callId}.${sha}`, nowSeconds()) },
  });
}

describe('CH4 recordings', () => {
  it('CH4/CP2: WAV and MP3 recordings attach to their call; a text file named .mp3, a forgery and another file are refused', async () => {
    const first = await replay(callEvents(await script({ callId: 'rec-wav' })));
    const second = await replay(callEvents(await script({ callId: 'rec-mp3', from: '13700001111' })));

    const w = await upload('rec-wav', '录音.wav', wav());
    expect(w.status, JSON.stringify(w.body)).toBe(201);
    expect(w.body.attachment).toMatchObject({ contentType: 'audio/wav', conversationId: first.call.conversationId, fileName: '录音.wav' });
    expect(w.body.call.recordingId).toBe(w.body.attachment.id);
    const file = await h.kefu.app.inject({ method: 'GET', url: `/api/attachments/${w.body.attachment.id}`, headers: { authorization: `Bearer ${await h.login('agent1')}` } });
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.equals(wav())).toBe(true);
    expect((await notes(first.call.conversationId)).some((n) => n.startsWith('通话录音已保存：录音.wav'))).toBe(true);

    const m = await upload('rec-mp3', 'call.mp3', mp3());
    expect(m.status, JSON.stringify(m.body)).toBe(201);
    expect(m.body.attachment).toMatchObject({ contentType: 'audio/mpeg', conversationId: second.call.conversationId });

    // A retry of the same file changes nothing; another file for the same call is refused.
    const before = await rows();
    const retry = await upload('rec-wav', '录音.wav', wav());
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ duplicate: true, attachment: { id: w.body.attachment.id } });
    expectError(await upload('rec-wav', 'other.wav', wav(400)), 409, 'cti.recording_exists');
    expect(await rows()).toEqual(before);

    await replay(callEvents(await script({ callId: 'rec-text', from: '13600002222' })));
    const mid = await rows();
    expectError(await upload('rec-text', 'call.mp3', Buffer.from('这不是录音，只是改了扩展名的文本文件\n')), 415, 'file.type_not_allowed');
    expectError(await upload('rec-text', 'call.mp3', mp3(), { secret: 'forged' }), 401, 'cti.signature_invalid');
    expectError(await upload('rec-text', 'call.mp3', mp3(), { signedBytes: wav() }), 401, 'cti.signature_invalid');
    expectError(await upload('no-such-call', 'call.mp3', mp3()), 404, 'cti.call_not_found');
    expect(await rows()).toEqual(mid);
    const [row] = await db().select().from(callRecords).where(eq(callRecords.callId, 'rec-text'));
    expect(row!.recordingId).toBeNull();
  });
});

describe('CH4/C4 personal data in call records', () => {
  it('C4: caller numbers are masked in every response, for every role, and in the audit log and events', async () => {
    const { call } = await replay(callEvents(await script({ callId: 'masked-1' })));
    expect(call.fromNumber).toBe(MASKED);
    const seen: string[] = [];
    for (const username of ['agent1', 'lead1', 'qa1', 'trainer1', 'engineer1', 'manager1', 'admin', 'partner1']) {
      const res = await h.api('GET', `/api/conversations/${call.conversationId}/calls`, { as: username });
      expect(JSON.stringify(res.body)).not.toContain(CALLER);
      if (res.status === 200) {
        seen.push(username);
        expect(res.body[0]).toMatchObject({ fromNumber: MASKED, toNumber: expect.not.stringContaining('4008001234') });
      }
    }
    expect(seen).toEqual(expect.arrayContaining(['agent1', 'lead1', 'qa1', 'manager1', 'admin']));
    expectError(await h.api('GET', `/api/conversations/${call.conversationId}/calls`, { as: 'partner1' }), 403, 'auth.forbidden');

    const audit = await db().select().from(auditLog).where(eq(auditLog.entityType, 'call'));
    expect(audit.length).toBeGreaterThan(0);
    expect(JSON.stringify(audit)).not.toContain(CALLER);
    const emitted = await db().select().from(events).where(eq(events.entityType, 'call'));
    expect(emitted.map((e) => e.type)).toContain('call.created');
    expect(JSON.stringify(emitted)).not.toContain(CALLER);

    // The clear number is one audited reveal away, for those allowed to reveal.
    const revealed = await h.api('POST', '/api/reveals', { as: 'lead1', body: { entityType: 'call', entityId: call.id, field: 'fromNumber', reason: '回拨核实号码' } });
    expect(revealed.status, JSON.stringify(revealed.body)).toBe(200);
    expect(revealed.body.value).toBe(CALLER);
  });
});
