import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { desc, eq } from 'drizzle-orm';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectError } from '../../../test/support/errors.ts';
import { guarded } from '../../../test/support/guard.ts';
import { createHarness, type Harness } from '../../../test/support/kefu.ts';
import { Peer } from '../../../test/support/socket.ts';
import { newSigningKey, signLink } from '../../platform/signing.ts';
import { surveys } from './schema.ts';
import { surveyToken } from './service.ts';

const PUBLIC_URL = 'https://kefu.example.com';
const HOUR = 3_600_000;

/** The customer's mail server: keeps what Kefu sends out through it. */
const received: Buffer[] = [];
const mailServer = new SMTPServer({
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  logger: false,
  onData(stream, _session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      received.push(Buffer.concat(chunks));
      callback();
    });
  },
});
await new Promise<void>((resolve) => mailServer.listen(0, '127.0.0.1', resolve));
const relay = `smtp://127.0.0.1:${(mailServer.server.address() as AddressInfo).port}`;

let h: Harness;
let chatUrl: string;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  // Sessions outlast the days these tests jump across.
  h = await createHarness({ bus: true, config: { smtpRelayUrl: relay, publicUrl: PUBLIC_URL, sessionTtlMs: 30 * 24 * HOUR } });
  await h.kefu.app.listen({ port: 0, host: '127.0.0.1' });
  chatUrl = `ws://127.0.0.1:${(h.kefu.app.server.address() as AddressInfo).port}/api/chat/ws`;
});
afterAll(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await h.close();
  await new Promise<void>((resolve) => mailServer.close(() => resolve()));
});
beforeEach(async () => {
  await h.reset();
  received.length = 0;
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.terminate();
});

const db = () => h.kefu.database.db;

async function staffId(username: string): Promise<string> {
  return (await h.api('GET', '/api/auth/me', { as: username })).body.id;
}

async function online(...usernames: string[]): Promise<void> {
  for (const u of usernames) expect((await h.api('PUT', '/api/agent-states/me', { as: u, body: { status: 'online' } })).status).toBe(200);
}

async function newCustomer(contact: { phones?: string[]; emails?: string[] }): Promise<string> {
  const res = await h.api('POST', '/api/customers', { as: 'lead1', body: { kind: 'person', name: '王先生', ...contact } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

/** A conversation the agent opens and keeps (a call taken, an email written on the customer's behalf). */
async function openCase(channel: 'phone' | 'email', customerId: string, as = 'agent1'): Promise<{ id: string; number: number }> {
  const res = await h.api('POST', '/api/conversations', { as, body: { channel, customerId, subject: '打印机卡纸', assignToSelf: true } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function setStatus(id: string, status: string, as = 'agent1') {
  const res = await h.api('POST', `/api/conversations/${id}/status`, { as, body: { status } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function resolve(id: string, as = 'agent1') {
  expect((await h.api('PATCH', `/api/conversations/${id}`, { as, body: { problemType: 'consultation', intake: { problemDescription: '打印机卡纸' } } })).status).toBe(200);
  return setStatus(id, 'resolved', as);
}

const conversation = async (id: string) => (await h.api('GET', `/api/conversations/${id}`, { as: 'lead1' })).body;

/** The survey of a conversation's latest resolution, as stored. */
async function latestSurvey(conversationId: string) {
  const [row] = await db().select().from(surveys).where(eq(surveys.conversationId, conversationId)).orderBy(desc(surveys.cycle)).limit(1);
  return row!;
}

const linkOf = async (conversationId: string) => surveyToken(db(), await latestSurvey(conversationId));

async function lastMail(): Promise<ParsedMail> {
  await h.kefu.jobs.runDue();
  expect(received.length).toBeGreaterThan(0);
  return simpleParser(received.at(-1)!);
}

// ---------- the widget's socket ----------

async function visit(hello: Record<string, unknown> = {}): Promise<{ v: Peer; token: string }> {
  const ws = new WebSocket(chatUrl);
  sockets.push(ws);
  const v = new Peer(ws);
  await guarded<void>('the upgrade', (resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  v.send({ type: 'hello', ...hello });
  const welcome = await v.next((f) => f.type === 'welcome');
  return { v, token: welcome.visitorToken };
}

describe('S4 at chat end, in the widget', () => {
  it('S4: resolving a chat asks the visitor over the widget socket, again on every visit, and their answer there closes the case', async () => {
    await online('agent1');
    const { v, token } = await visit({ name: '李女士' });
    v.send({ type: 'message', clientId: randomUUID(), body: '我的订单还没发货' });
    const ack = await v.next((f) => f.type === 'ack');
    const convId: string = ack.conversationId;
    expect((await conversation(convId)).assigneeId).toBe(await staffId('agent1'));

    const from = v.frames.length;
    expect((await h.api('PATCH', `/api/conversations/${convId}`, { as: 'agent1', body: { problemType: 'consultation', intake: { problemDescription: '催发货' } } })).status).toBe(200);
    const reply = await h.api('POST', `/api/conversations/${convId}/messages`, { as: 'agent1', body: { body: '已为您催促仓库，今天发出', status: 'resolved' } });
    expect(reply.status).toBe(201);
    const invitation = await v.next((f) => f.type === 'survey', from);
    expect(invitation.survey).toMatchObject({ conversationId: convId, answered: false, npsEnabled: false });
    const line = await v.next((f) => f.type === 'message' && f.message.author === 'system', from);
    expect(line.message.body).toContain('问题是否已解决');

    // Coming back (another tab, a reload) asks again until it is answered.
    const again = await visit({ visitorToken: token });
    await again.v.next((f) => f.type === 'survey' && f.survey.id === invitation.survey.id && !f.survey.answered);

    v.send({ type: 'survey_response', surveyId: invitation.survey.id, solved: true, satisfied: true, csat: 5, comment: '发货很快' });
    expect(await v.next((f) => f.type === 'survey_ack')).toMatchObject({ surveyId: invitation.survey.id, effect: 'closed', conversationStatus: 'closed' });
    await again.v.next((f) => f.type === 'survey' && f.survey.answered === true);
    expect((await conversation(convId)).status).toBe('closed');

    const listed = await h.api('GET', `/api/surveys?conversationId=${convId}`, { as: 'agent1' });
    expect(listed.body.data).toEqual([
      expect.objectContaining({ via: 'chat', channel: 'chat', agentId: await staffId('agent1'), cycle: 0, solved: true, satisfied: true, csat: 5, comment: '发货很快', recordedBy: null, counted: true, ratingDay: '2026-03-02' }),
    ]);

    // Someone else's survey is not the visitor's to answer.
    const stranger = await visit();
    stranger.v.send({ type: 'survey_response', surveyId: invitation.survey.id, csat: 1 });
    expect(await stranger.v.next((f) => f.type === 'error')).toMatchObject({ code: 'survey.not_found', retry: false });
  });
});

describe('S4 by an emailed link', () => {
  it('S4: the invitation email carries a signed link to a login-free page; its answer counts and a later answer replaces it', async () => {
    const customerId = await newCustomer({ emails: ['wang.li@example.com'] });
    const conv = await openCase('email', customerId);
    await resolve(conv.id);
    const mail = await lastMail();
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toContain('wang.li@example.com');
    const match = /https:\/\/kefu\.example\.com\/feedback\/(\S+)/.exec(mail.text ?? '');
    expect(match, mail.text).not.toBeNull();
    const token = match![1]!;
    expect(mail.text).toContain(`#${conv.number}`);

    const page = await h.api('GET', `/feedback/${token}`);
    expect(page.status).toBe(200);
    expect(String(page.headers['content-type'])).toMatch(/^text\/html/);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('您的问题是否已解决');
    expect(page.body).toContain('<label class="opt" for="csat-5">');
    expect(page.body).not.toContain('推荐');

    // The page's form works without JavaScript: a plain form post.
    const posted = await h.kefu.app.inject({
      method: 'POST',
      url: `/feedback/${token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ solved: 'yes', satisfied: 'yes', csat: '5', comment: '处理及时' }).toString(),
    });
    expect(posted.statusCode, posted.body).toBe(200);
    expect(posted.body).toContain('感谢您的评价');
    expect((await conversation(conv.id)).status).toBe('closed');

    // Two hours later the customer changes their mind: the last answer wins and the case reopens.
    h.clock.advance(2 * HOUR);
    const second = await h.api('POST', '/api/survey-responses', { body: { token, solved: false, csat: 2, comment: '卡纸问题又出现了' } });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body).toMatchObject({ effect: 'reopened', conversationStatus: 'open', solved: false, satisfied: null, csat: 2, comment: '卡纸问题又出现了' });
    const stored = await latestSurvey(conv.id);
    expect(stored).toMatchObject({ csat: 2, solved: false, counted: true, respondedAt: h.clock.now() });
    expect(await db().select().from(surveys).where(eq(surveys.conversationId, conv.id))).toHaveLength(1);
    const reopens = await h.api('GET', `/api/conversations/${conv.id}/reopens`, { as: 'agent1' });
    expect(reopens.body).toEqual([expect.objectContaining({ seq: 1, fromStatus: 'closed', source: 'confirmation', reason: '客户反馈问题未解决：卡纸问题又出现了', actorId: null })]);
    // The customer is told by email that we are on it again.
    expect((await lastMail()).text).toContain('我们已重新处理您的问题');
  });

  it('S4: a forged, altered, foreign or expired link is refused with a stable code, on the page and in the API', async () => {
    const conv = await openCase('email', await newCustomer({ emails: ['zhao@example.com'] }));
    await resolve(conv.id);
    const token = await linkOf(conv.id);
    const survey = await latestSurvey(conv.id);
    const [id, expiry, mac] = token.split('.') as [string, string, string];
    const flipped = `${mac.slice(0, 10)}${mac[10] === 'A' ? 'B' : 'A'}${mac.slice(11)}`;
    const refused = [
      `${id}.${expiry}.${flipped}`,
      // A longer validity written into the link breaks its signature.
      `${id}.${(parseInt(expiry, 36) + 30 * 86_400).toString(36)}.${mac}`,
      // Signed by another installation's key.
      signLink(newSigningKey(), 'survey', { subject: id, expiresAt: new Date(h.clock.now().getTime() + 86_400_000) }),
      'not-a-token',
    ];
    for (const bad of refused) {
      expectError(await h.api('POST', '/api/survey-responses', { body: { token: bad, csat: 5 } }), 404, 'survey.invalid_link');
      const page = await h.api('GET', `/feedback/${encodeURIComponent(bad)}`);
      expect(page.status, bad).toBe(404);
      expect(page.body).toContain('survey.invalid_link');
    }

    h.clock.set(new Date(survey.expiresAt.getTime() + 60_000));
    const late = expectError(await h.api('POST', '/api/survey-responses', { body: { token, csat: 5 } }), 410, 'survey.expired');
    expect(late.message).toContain('2026年3月9日 09:00');
    const page = await h.api('GET', `/feedback/${token}`);
    expect(page.status).toBe(410);
    expect(page.body).toContain('survey.expired');
    // Nor may an agent record an answer after the validity window.
    expectError(await h.api('POST', `/api/surveys/${survey.id}/responses`, { as: 'agent1', body: { csat: 5 } }), 410, 'survey.expired');
    expect((await latestSurvey(conv.id)).respondedAt).toBeNull();
    const stats = await h.api('GET', '/api/surveys/statistics', { as: 'lead1' });
    expect(stats.body).toMatchObject({ invited: 1, responded: 0, expired: 1 });
  });
});

describe('S3 result confirmation', () => {
  it('S3: "not solved" reopens the case with the customer\'s reason, counts each reopen and shows the chain until the customer is satisfied', async () => {
    const conv = await openCase('email', await newCustomer({ emails: ['sun@example.com'] }));
    await resolve(conv.id);
    const first = await linkOf(conv.id);
    const notSolved = await h.api('POST', '/api/survey-responses', { body: { token: first, solved: false, comment: '打印机还是卡纸' } });
    expect(notSolved.body).toMatchObject({ effect: 'reopened', conversationStatus: 'open' });
    expect(await conversation(conv.id)).toMatchObject({ status: 'open', reopenCount: 1, resolvedAt: null });
    const inbox = await h.api('GET', '/api/notifications', { as: 'agent1' });
    expect(inbox.body.data[0]).toMatchObject({ kind: 'conversation.reopened', title: `会话 #${conv.number} 已重新打开`, body: '客户反馈问题未解决：打印机还是卡纸' });

    // The second resolution is asked about anew; an answer to the first link still counts but no longer steers the case.
    h.clock.advance(HOUR);
    await resolve(conv.id);
    const second = await linkOf(conv.id);
    expect(second).not.toBe(first);
    expect((await h.api('POST', '/api/survey-responses', { body: { token: first, satisfied: true, csat: 4 } })).body).toMatchObject({ effect: 'none', conversationStatus: 'resolved' });

    // A low score alone is "not satisfied" by the policy's line (4 of 5).
    expect((await h.api('POST', '/api/survey-responses', { body: { token: second, csat: 2 } })).body.effect).toBe('reopened');
    h.clock.advance(HOUR);
    await resolve(conv.id);
    expect((await h.api('POST', '/api/survey-responses', { body: { token: await linkOf(conv.id), solved: true, satisfied: true, csat: 5 } })).body).toMatchObject({ effect: 'closed', conversationStatus: 'closed' });

    expect(await conversation(conv.id)).toMatchObject({ status: 'closed', reopenCount: 2 });
    const chain = await h.api('GET', `/api/conversations/${conv.id}/reopens`, { as: 'agent1' });
    expect(chain.body.map((r: Record<string, unknown>) => [r.seq, r.source, r.fromStatus, r.reason])).toEqual([
      [1, 'confirmation', 'resolved', '客户反馈问题未解决：打印机还是卡纸'],
      [2, 'confirmation', 'resolved', '客户评分 2 分，低于满意分数线 4 分'],
    ]);
    expectError(await h.api('GET', `/api/conversations/${conv.id}/reopens`, { as: 'agent2' }), 404, 'conversation.not_found');
  });

  it('S3: a resolved case nobody answers closes after closedLoop.autoCloseHours (72 h by default); a reopen stops that clock', async () => {
    const customerId = await newCustomer({ phones: ['13900001111'] });
    const quiet = await openCase('phone', customerId);
    const reopened = await openCase('phone', customerId);
    const resolvedAt = h.clock.now().getTime();
    await resolve(quiet.id);
    await resolve(reopened.id);
    h.clock.advance(HOUR);
    await setStatus(reopened.id, 'open');

    h.clock.set(new Date(resolvedAt + 72 * HOUR - 60_000));
    await h.kefu.jobs.runDue();
    expect((await conversation(quiet.id)).status).toBe('resolved');
    h.clock.advance(2 * 60_000);
    await h.kefu.jobs.runDue();
    expect(await conversation(quiet.id)).toMatchObject({ status: 'closed', closedAt: new Date(resolvedAt + 72 * HOUR + 60_000).toISOString() });
    const notes = await h.api('GET', `/api/conversations/${quiet.id}/messages`, { as: 'agent1' });
    expect(notes.body.data.map((m: { body: string }) => m.body)).toContain('问题解决后 72 小时内客户未提出异议，系统自动结案');
    expect((await conversation(reopened.id)).status).toBe('open');
    expect((await h.api('GET', `/api/conversations/${reopened.id}/reopens`, { as: 'agent1' })).body).toEqual([expect.objectContaining({ source: 'agent', fromStatus: 'resolved' })]);

    // A policy may set its own window.
    await h.publishPolicy('24 小时无异议自动结案', (doc) => {
      doc.closedLoop.autoCloseHours = { value: 24, source: 'default' };
    });
    await resolve(reopened.id);
    h.clock.advance(24 * HOUR);
    await h.kefu.jobs.runDue();
    expect((await conversation(reopened.id)).status).toBe('closed');
  });
});

describe('S4 counting', () => {
  it('S4: one rating per customer·agent·day counts — the last — with the day taken at the organisation\'s midnight', async () => {
    const customerId = await newCustomer({ phones: ['13900002222'] });
    const cases = [await openCase('phone', customerId), await openCase('phone', customerId), await openCase('phone', customerId)];
    const other = await openCase('phone', customerId, 'agent2');
    for (const c of cases) await resolve(c.id);
    await resolve(other.id, 'agent2');
    const [a, b, c] = await Promise.all(cases.map((x) => latestSurvey(x.id)));
    const d = await latestSurvey(other.id);
    const record = async (survey: { id: string }, answer: Record<string, unknown>, as = 'agent1') => {
      const res = await h.api('POST', `/api/surveys/${survey.id}/responses`, { as, body: answer });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    };
    const counted = async () => Object.fromEntries((await db().select().from(surveys)).map((s) => [s.id, [s.counted, s.ratingDay]]));

    // 23:10 and 23:50 in Beijing are the same day; 00:05 is the next (though in UTC all three fall on 2 March).
    h.clock.set('2026-03-02T23:10:00+08:00');
    await record(a!, { csat: 1 });
    h.clock.set('2026-03-02T23:50:00+08:00');
    await record(b!, { csat: 5 });
    await record(d, { csat: 4 }, 'agent2');
    h.clock.set('2026-03-03T00:05:00+08:00');
    await record(c!, { csat: 3, satisfied: true });
    expect(await counted()).toEqual({
      [a!.id]: [false, '2026-03-02'],
      [b!.id]: [true, '2026-03-02'],
      [c!.id]: [true, '2026-03-03'],
      [d.id]: [true, '2026-03-02'],
    });
    const stats = await h.api('GET', `/api/surveys/statistics?agentId=${await staffId('agent1')}`, { as: 'lead1' });
    // a's 1 is superseded by b's 5 (same day); c's 3 comes with "satisfied", which wins over the score.
    expect(stats.body).toMatchObject({ invited: 3, responded: 3, counted: 2, csatRatings: 2, satisfaction: { rated: 2, satisfied: 2, notSatisfied: 0 } });

    // An answer changed after midnight moves to the new day: it is now that day's last, and 2 March keeps its own last.
    h.clock.set('2026-03-03T00:20:00+08:00');
    await record(a!, { csat: 4 });
    expect(await counted()).toEqual({
      [a!.id]: [true, '2026-03-03'],
      [b!.id]: [true, '2026-03-02'],
      [c!.id]: [false, '2026-03-03'],
      [d.id]: [true, '2026-03-02'],
    });
    const all = await h.api('GET', '/api/surveys/statistics', { as: 'manager1' });
    expect(all.body).toMatchObject({ invited: 4, responded: 4, counted: 3, csatRatings: 3 });
    const uncounted = await h.api('GET', '/api/surveys?counted=false', { as: 'manager1' });
    expect(uncounted.body.data.map((s: { id: string }) => s.id)).toEqual([c!.id]);
  });

  it('S4: an agent records the rating heard on a callback; NPS only once the policy asks for it; each sees only their own', async () => {
    const conv = await openCase('phone', await newCustomer({ phones: ['13900003333'] }));
    await resolve(conv.id);
    const survey = await latestSurvey(conv.id);
    expect(survey).toMatchObject({ via: 'callback', respondedAt: null, agentId: await staffId('agent1') });
    expect(await h.api('GET', `/api/conversations/${conv.id}/messages`, { as: 'agent1' }).then((r) => r.body.data.filter((m: { author: string }) => m.author === 'system'))).toEqual([]);

    expectError(await h.api('POST', `/api/surveys/${survey.id}/responses`, { as: 'qa1', body: { csat: 5 } }), 403, 'auth.forbidden');
    expectError(await h.api('GET', `/api/surveys/${survey.id}`, { as: 'agent2' }), 404, 'survey.not_found');
    expect((await h.api('GET', '/api/surveys', { as: 'agent2' })).body.data).toEqual([]);
    expectError(await h.api('POST', `/api/surveys/${survey.id}/responses`, { as: 'agent1', body: { comment: '客户没有评价' } }), 400, 'survey.empty_answer');
    expectError(await h.api('POST', `/api/surveys/${survey.id}/responses`, { as: 'agent1', body: { csat: 5, nps: 9 } }), 400, 'survey.nps_disabled');

    await h.publishPolicy('启用 NPS', (doc) => {
      doc.survey.npsEnabled = { value: true, source: 'default' };
    });
    const recorded = await h.api('POST', `/api/surveys/${survey.id}/responses`, { as: 'agent1', body: { solved: true, satisfied: true, csat: 5, nps: 9 } });
    expect(recorded.status, JSON.stringify(recorded.body)).toBe(200);
    expect(recorded.body).toMatchObject({ recordedBy: await staffId('agent1'), via: 'callback', nps: 9, counted: true });
    expect((await conversation(conv.id)).status).toBe('closed');
    const stats = await h.api('GET', '/api/surveys/statistics?channel=phone&responded=true', { as: 'agent1' });
    // Counts only: the shares and the NPS itself are KPIs (GET /api/kpis/nps/values).
    expect(stats.body).toEqual({
      invited: 1,
      responded: 1,
      expired: 0,
      counted: 1,
      csatRatings: 1,
      satisfaction: { rated: 1, satisfied: 1, notSatisfied: 0 },
      solution: { answered: 1, solved: 1, notSolved: 0 },
      nps: { ratings: 1, promoters: 1, passives: 0, detractors: 0 },
    });
    expect((await h.api('GET', '/api/surveys/statistics', { as: 'agent2' })).body).toMatchObject({ invited: 0, counted: 0 });
  });
});
