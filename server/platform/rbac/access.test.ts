import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../../test/support/errors.ts';
import { failedEmailReply } from '../../../test/support/email.ts';
import { createHash } from 'node:crypto';
import { DEMO_PASSWORD, createHarness } from '../../../test/support/kefu.ts';
import type { RouteInfo } from '../auth/hook.ts';
import { sign } from '../webhooks/signature.ts';
import { webhookDeliveries } from '../webhooks/schema.ts';
import { newId } from '../../db/columns.ts';
import { issueVisitorToken, sendChatMessage, visitorCtx, visitorIdOf } from '../../modules/channels/chat/service.ts';
import { eq } from 'drizzle-orm';
import { surveys } from '../../modules/surveys/schema.ts';
import { surveyToken } from '../../modules/surveys/service.ts';
import { PERMISSIONS, ROLES, isPermission, permissionsOf, type Access, type Role } from './permissions.ts';

/**
 * Acceptance 4 / O2: every route × every role (and anonymous) answers as the permission table says:
 * 401 without a sign-in, 403 without the permission, success with it. Each route needs a valid
 * sample request below, so that a holder of the permission really gets through; a new route
 * without a sample fails here until one is added.
 */

// The route list is needed to name the tests, so the harness opens while the file is collected.
// The CTI endpoints answer to a shared secret instead of a sign-in; the walk signs its samples with it.
const CTI_SECRET = 'walk-cti-secret';
const h = await createHarness({ config: { ctiSecret: CTI_SECRET } });
afterAll(() => h.close());

const USERNAMES: Record<Role, string> = {
  agent: 'agent1',
  team_lead: 'lead1',
  qa: 'qa1',
  trainer: 'trainer1',
  engineer: 'engineer1',
  manager: 'manager1',
  general_manager: 'gm1',
  admin: 'admin',
  partner: 'partner1',
};

/** Swagger UI's static files are third-party assets; everything else is walked. */
const walked = (r: RouteInfo) => r.method !== 'HEAD' && !r.url.startsWith('/api/docs/static/');
const ROUTES = h.kefu.routes.filter(walked);
const keyOf = (r: { method: string; url: string }) => `${r.method} ${r.url}`;

interface Caller {
  role: Role | null;
  username: string | null;
}

interface Sample {
  url: string;
  body?: unknown;
  /** Use this token instead of the caller's usual one (for calls that end the session they use). */
  token?: string;
  /** The success status when it is not 2xx. */
  ok?: number;
  /** Extra request headers (content type and signature of the CTI samples). */
  headers?: Record<string, string>;
}

type Build = (c: Caller) => Promise<Sample> | Sample;

// ----- fixtures, all made through the API as admin -----

let seq = 0;
const unique = (prefix: string) => `${prefix}${++seq}`;
const fx = {
  opsDept: '',
  opsTeam: '',
  agent2: '',
  currentPolicy: '',
  webhook: '',
  customer: '',
  conversation: '',
  attachment: '',
  handoffTask: '',
  logistics: '',
  queue: '',
  sharedReply: '',
};

async function asAdmin(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) {
  const res = await h.api(method, url, { as: 'admin', body });
  if (res.status >= 300) throw new Error(`fixture ${method} ${url} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function uploadAsAdmin(conversationId: string): Promise<string> {
  const boundary = '----walk';
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="note.txt"\r\n\r\n`),
    Buffer.from('客户提供的说明'),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const res = await h.kefu.app.inject({
    method: 'POST',
    url: `/api/conversations/${conversationId}/attachments`,
    headers: { authorization: `Bearer ${await h.login('admin')}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload,
  });
  if (res.statusCode !== 201) throw new Error(`fixture upload failed: ${res.statusCode} ${res.body}`);
  return res.json().id;
}

async function freshSession(username: string): Promise<string> {
  const res = await h.api('POST', '/api/auth/login', { body: { username, password: DEMO_PASSWORD } });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status}`);
  return res.body.token;
}

const newDepartment = async (): Promise<string> => (await asAdmin('POST', '/api/departments', { code: unique('walk_dept_'), name: '临时部门', kind: 'customer_service' })).id;
const newTeam = async (): Promise<string> => (await asAdmin('POST', '/api/teams', { code: unique('walk_team_'), name: '临时班组', departmentId: fx.opsDept })).id;
/** A logged delivery of the fixture webhook, written directly: running the job would need a receiver. */
async function newDelivery(): Promise<string> {
  const id = newId();
  await h.kefu.database.db.insert(webhookDeliveries).values({ id, webhookId: fx.webhook, eventId: null, eventType: 'webhook.ping', attempt: 1, outcome: 'succeeded', responseStatus: 200, durationMs: 1, at: new Date() });
  return id;
}
const newWebhook = async (): Promise<string> =>
  (await asAdmin('POST', '/api/webhooks', { name: unique('hook'), url: 'https://hooks.example.com/kefu', eventTypes: ['staff.*'] })).id;

/**
 * A conversation every service role can see: waiting unassigned in the chat queue (agents and the
 * lead are members), with an escalation task for the engineer; QA, trainers and management see all.
 */
/** A one-row customer import (multipart); a FormData body can be sent once, so each call builds its own. */
function importForm(): FormData {
  const form = new FormData();
  form.append('file', new Blob([`姓名\n${unique('导入客户 ')}\n`]), 'walk.csv');
  return form;
}
const newOrder = async (): Promise<string> =>
  (await asAdmin('POST', `/api/customers/${fx.customer}/orders`, { number: unique('WALK-O-'), amountFen: 100, status: 'paid', orderedAt: '2026-03-01T08:00:00Z' })).id;
const newProduct = async (): Promise<string> => (await asAdmin('POST', `/api/customers/${fx.customer}/products`, { model: 'KF-FILTER' })).id;

async function newConversation(): Promise<string> {
  const conv = await asAdmin('POST', '/api/conversations', { channel: 'chat', customerId: fx.customer, message: { body: '你好' } });
  await asAdmin('POST', `/api/conversations/${conv.id}/escalations`, { toStaffId: (await asAdmin('GET', '/api/staff?q=engineer1')).data[0].id, note: '访问测试' });
  return conv.id;
}
const future = () => new Date(h.clock.now().getTime() + 86_400_000).toISOString();
async function newHandoff(conversationId: string): Promise<string> {
  return (await asAdmin('POST', `/api/conversations/${conversationId}/handoffs`, { departmentId: fx.logistics, title: '查件', dueAt: future() })).id;
}
/** A personal canned reply of the caller (only its owner may change it). */
async function ownReply(c: Caller): Promise<string> {
  if (!c.username) return fx.sharedReply;
  const res = await h.api('POST', '/api/canned-replies', { as: c.username, body: { scope: 'personal', title: unique('话术'), body: '您好' } });
  return res.body.id;
}

/** A ringing event signed as the PBX signs it (docs/cti.md). */
function ctiEvent(callId: string): Sample {
  const body = JSON.stringify({ callId, type: 'ringing', at: h.clock.now().toISOString(), from: '13800002222', to: '4008001234', direction: 'inbound' });
  return { url: '/api/cti/events', body, headers: { 'content-type': 'application/json', 'x-kefu-signature': sign(CTI_SECRET, body, Math.floor(h.clock.now().getTime() / 1000)) } };
}
/** A new call and a one-sample WAV recording for it, signed over "<callId>.<sha256>". */
async function ctiRecording(): Promise<Sample> {
  const callId = unique('walk-rec-');
  const event = ctiEvent(callId);
  const res = await h.api('POST', event.url, { body: event.body, headers: event.headers });
  if (res.status !== 200) throw new Error(`fixture call failed: ${res.status} ${JSON.stringify(res.body)}`);
  const wav = Buffer.alloc(46);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(38, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(8000, 24);
  wav.writeUInt32LE(16000, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(2, 40);
  const boundary = '----walk-rec';
  const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="call.wav"\r\n\r\n`), wav, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const sha = createHash('sha256').update(wav).digest('hex');
  const headers = { 'content-type': `multipart/form-data; boundary=${boundary}`, 'x-kefu-signature': sign(CTI_SECRET, `${callId}.${sha}`, Math.floor(h.clock.now().getTime() / 1000)) };
  return { url: `/api/calls/${callId}/recording`, body, headers };
}
async function newCallback(): Promise<string> {
  return (await asAdmin('POST', `/api/conversations/${await newConversation()}/callbacks`, { dueAt: future(), note: '回电确认' })).id;
}

/** Complaints (docs/complaints.md): call-center's approval chain is 服务运营部 (manager1), then 质检部 (qa1). */
const NO_SUCH_ID = '01900000-0000-7000-8000-000000000000';
const newComplaint = async (): Promise<string> =>
  (await asAdmin('POST', '/api/complaints', { customerId: fx.customer, complainantName: '访问测试', contact: '13800001111', channel: 'phone', matter: unique('走查投诉 ') })).id;
async function investigatingComplaint(): Promise<string> {
  const id = await newComplaint();
  await asAdmin('POST', `/api/complaints/${id}/evidence`, { kind: 'order', refId: await newOrder() });
  return id;
}
async function approvedComplaint(): Promise<string> {
  const id = await investigatingComplaint();
  const proposal = await asAdmin('POST', `/api/complaints/${id}/proposals`, { solution: '补发', agreedMethod: '快递补发', agreedAt: future() });
  for (const [i, who] of ['manager1', 'qa1'].entries()) {
    const res = await h.api('POST', `/api/complaint-approvals/${proposal.approvals[i].id}/decisions`, { as: who, body: { decision: 'approved' } });
    if (res.status !== 200) throw new Error(`fixture approval failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return id;
}
/** Implementation done: the revisit is due. */
async function revisitingComplaint(): Promise<string> {
  const id = await approvedComplaint();
  const action = await asAdmin('POST', `/api/complaints/${id}/actions`, { title: '补发' });
  await asAdmin('POST', `/api/complaint-actions/${action.id}/completions`, { result: '已补发' });
  return id;
}
let standingComplaints: Promise<{ accepted: string; implementing: string }> | null = null;
/** One complaint to read and edit, and one under implementation whose standing open task keeps it there. */
function complaintFixtures(): Promise<{ accepted: string; implementing: string }> {
  standingComplaints ??= (async () => {
    const implementing = await approvedComplaint();
    await asAdmin('POST', `/api/complaints/${implementing}/actions`, { title: '常设任务' });
    return { accepted: await newComplaint(), implementing };
  })();
  return standingComplaints;
}

/** A phone case resolved while waiting in a queue every service role sees. */
async function resolvedConversation(): Promise<string> {
  const conv = await asAdmin('POST', '/api/conversations', { channel: 'phone', customerId: fx.customer });
  await asAdmin('POST', `/api/conversations/${conv.id}/escalations`, { toStaffId: (await asAdmin('GET', '/api/staff?q=engineer1')).data[0].id, note: '访问测试' });
  await asAdmin('PATCH', `/api/conversations/${conv.id}`, { problemType: 'consultation', intake: { problemDescription: '访问测试' } });
  await asAdmin('POST', `/api/conversations/${conv.id}/status`, { status: 'resolved' });
  return conv.id;
}
/** Closed loop (docs/closed-loop.md): the survey of a resolved case (asked on the callback), seen by every service role. */
async function newSurvey(): Promise<string> {
  return (await asAdmin('GET', `/api/surveys?conversationId=${await resolvedConversation()}`)).data[0].id;
}
/** The signed link of a new survey, as an invitation email carries it. */
async function surveyLink(): Promise<string> {
  const id = await newSurvey();
  const [row] = await h.kefu.database.db.select().from(surveys).where(eq(surveys.id, id));
  return surveyToken(h.kefu.database.db, row!);
}

/** A chat upload sample: the visitor's token in X-Kefu-Visitor instead of a sign-in. */
function chatUpload(token: string): Sample {
  const boundary = '----walk-chat';
  const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.txt"\r\n\r\n`), Buffer.from('订单截图说明'), Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return { url: '/api/chat/attachments', body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'x-kefu-visitor': token } };
}
/** A web-chat visitor with a conversation (opened by their first message) and one upload of their own. */
let chatVisitor: Promise<{ token: string; attachment: string }> | null = null;
function visitorFixture(): Promise<{ token: string; attachment: string }> {
  chatVisitor ??= (async () => {
    const token = issueVisitorToken();
    const visitor = { id: visitorIdOf(token)!, contact: {} };
    await sendChatMessage(visitorCtx({ db: h.kefu.database.db, clock: h.clock, locale: 'zh-CN', ip: null }, visitor.id), visitor, { clientId: 'walk', body: '你好' }, { maxChars: 5000 });
    const sample = chatUpload(token);
    const res = await h.api('POST', sample.url, { body: sample.body, headers: sample.headers });
    if (res.status !== 201) throw new Error(`fixture chat upload failed: ${res.status} ${JSON.stringify(res.body)}`);
    return { token, attachment: res.body.id };
  })();
  return chatVisitor;
}

/** Knowledge base (K1). Writers edit and submit only their own drafts: the sample's article is the caller's when they may write. */
const writerOf = (c: Caller): string => (c.role && c.username && permissionsOf(c.role).has('knowledge.write') ? c.username : 'admin');
async function newArticle(author: string, publish: boolean, visibility: 'internal' | 'public' = 'internal'): Promise<string> {
  const created = await h.api('POST', '/api/knowledge-articles', { as: author, body: { type: 'article', visibility, title: unique('走查文章 '), body: '退货须在七天内申请。' } });
  if (created.status !== 201) throw new Error(`fixture article failed: ${created.status} ${JSON.stringify(created.body)}`);
  if (!publish) return created.body.id;
  await h.api('POST', `/api/knowledge-articles/${created.body.id}/versions/1/submissions`, { as: author });
  const review = await h.api('POST', `/api/knowledge-articles/${created.body.id}/versions/1/reviews`, { as: author === 'lead1' ? 'trainer1' : 'lead1', body: { decision: 'approve' } });
  if (review.status !== 201) throw new Error(`fixture review failed: ${review.status} ${JSON.stringify(review.body)}`);
  return created.body.id;
}
let standingArticle: Promise<string> | null = null;
const publishedArticle = (): Promise<string> => (standingArticle ??= newArticle('admin', true));
let standingPublicArticle: Promise<string> | null = null;
const publicArticle = (): Promise<string> => (standingPublicArticle ??= newArticle('admin', true, 'public'));
/** A one-file multipart body for an article attachment, uploaded as `as`. */
function articleFile(articleId: string): Sample {
  const boundary = '----walk-kb';
  const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="manual.txt"\r\n\r\n`), Buffer.from('安装步骤'), Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return { url: `/api/knowledge-articles/${articleId}/attachments`, body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
async function newArticleFile(author: string, articleId?: string): Promise<string> {
  const sample = articleFile(articleId ?? (await newArticle(author, false)));
  const res = await h.api('POST', sample.url, { as: author, body: sample.body, headers: sample.headers });
  if (res.status !== 201) throw new Error(`fixture article file failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}
let standingArticleFile: Promise<string> | null = null;
const publicArticleFile = async (): Promise<string> => (standingArticleFile ??= publicArticle().then((id) => newArticleFile('admin', id)));
const newCategory = async (): Promise<string> => (await asAdmin('POST', '/api/knowledge-categories', { name: unique('走查分类 ') })).id;

/** The open (draft or approved) policy version, if any. */
async function openPolicy(): Promise<{ id: string; status: string } | undefined> {
  const list = await asAdmin('GET', '/api/policies?limit=200');
  return list.data.find((p: { status: string }) => p.status === 'draft' || p.status === 'approved');
}
async function noOpenPolicy(): Promise<void> {
  const open = await openPolicy();
  if (!open) return;
  if (open.status === 'draft') await asAdmin('POST', `/api/policies/${open.id}/approvals`);
  await asAdmin('POST', `/api/policies/${open.id}/publications`);
}
async function draftPolicy(): Promise<string> {
  const open = await openPolicy();
  if (open?.status === 'draft') return open.id;
  if (open) return (await asAdmin('POST', `/api/policies/${open.id}/rejections`, { comment: '退回重拟' })).id;
  return (await asAdmin('POST', '/api/policies', { note: '访问测试' })).id;
}
async function approvedPolicy(): Promise<string> {
  const open = await openPolicy();
  if (open?.status === 'approved') return open.id;
  return (await asAdmin('POST', `/api/policies/${await draftPolicy()}/approvals`)).id;
}

const SAMPLES: Record<string, Build> = {
  'GET /': () => ({ url: '/', ok: 302 }),
  // The web console: its pages are public files; what it shows comes from the API, which checks every call.
  'GET /console': () => ({ url: '/console', ok: 302 }),
  'GET /console/*': () => ({ url: '/console/login' }),
  'GET /api/health': () => ({ url: '/api/health' }),
  'GET /api/openapi.json': () => ({ url: '/api/openapi.json' }),
  'GET /api/docs': () => ({ url: '/api/docs' }),
  'GET /api/docs/json': () => ({ url: '/api/docs/json' }),
  'GET /api/docs/yaml': () => ({ url: '/api/docs/yaml' }),
  'GET /api/realtime': () => ({ url: '/api/realtime', ok: 426 }),

  'POST /api/auth/login': (c) => ({ url: '/api/auth/login', body: { username: c.username ?? 'agent1', password: DEMO_PASSWORD } }),
  'POST /api/auth/logout': async (c) => ({ url: '/api/auth/logout', ...(c.username ? { token: await freshSession(c.username) } : {}) }),
  'GET /api/auth/me': () => ({ url: '/api/auth/me' }),
  // The same password again: the caller's own session stays, later logins still work.
  'POST /api/auth/password': () => ({ url: '/api/auth/password', body: { currentPassword: DEMO_PASSWORD, newPassword: DEMO_PASSWORD } }),
  'GET /api/sessions': () => ({ url: '/api/sessions' }),
  'DELETE /api/sessions/:id': async (c) => {
    if (!c.username) return { url: '/api/sessions/01900000-0000-7000-8000-000000000000' };
    // Each caller ends another session of their own (others' sessions need sessions.manage).
    const spare = await freshSession(c.username);
    const list = await h.api('GET', '/api/sessions', { token: spare });
    const id = list.body.data.find((s: { current: boolean }) => s.current).id;
    return { url: `/api/sessions/${id}` };
  },
  'GET /api/api-tokens': () => ({ url: '/api/api-tokens' }),
  'POST /api/api-tokens': () => ({ url: '/api/api-tokens', body: { name: unique('token ') } }),
  'DELETE /api/api-tokens/:id': async () => ({ url: `/api/api-tokens/${(await asAdmin('POST', '/api/api-tokens', { name: unique('doomed ') })).id}` }),

  'GET /api/roles': () => ({ url: '/api/roles' }),
  'GET /api/departments': () => ({ url: '/api/departments' }),
  'POST /api/departments': () => ({ url: '/api/departments', body: { code: unique('walk_new_'), name: '新部门', kind: 'customer_service' } }),
  'GET /api/departments/:id': () => ({ url: `/api/departments/${fx.opsDept}` }),
  'PATCH /api/departments/:id': () => ({ url: `/api/departments/${fx.opsDept}`, body: { description: unique('说明 ') } }),
  'DELETE /api/departments/:id': async () => ({ url: `/api/departments/${await newDepartment()}` }),

  'GET /api/teams': () => ({ url: '/api/teams' }),
  'POST /api/teams': () => ({ url: '/api/teams', body: { code: unique('walk_new_team_'), name: '新班组', departmentId: fx.opsDept } }),
  'GET /api/teams/:id': () => ({ url: `/api/teams/${fx.opsTeam}` }),
  'PATCH /api/teams/:id': () => ({ url: `/api/teams/${fx.opsTeam}`, body: { name: unique('热线一组 ') } }),
  'DELETE /api/teams/:id': async () => ({ url: `/api/teams/${await newTeam()}` }),

  'GET /api/staff': () => ({ url: '/api/staff' }),
  'POST /api/staff': () => ({ url: '/api/staff', body: { username: unique('walker'), password: DEMO_PASSWORD, displayName: '新员工', role: 'agent' } }),
  'GET /api/staff/:id': () => ({ url: `/api/staff/${fx.agent2}` }),
  'PATCH /api/staff/:id': () => ({ url: `/api/staff/${fx.agent2}`, body: { employeeNo: unique('KF') } }),
  'GET /api/staff/:id/level-changes': () => ({ url: `/api/staff/${fx.agent2}/level-changes` }),
  // A junior in manager1's own department: managers may change levels only there.
  'POST /api/staff/:id/level-changes': async () => {
    const target = await asAdmin('POST', '/api/staff', {
      username: unique('junior'),
      password: DEMO_PASSWORD,
      displayName: '新人',
      role: 'agent',
      departmentId: fx.opsDept,
      level: 'junior',
    });
    return { url: `/api/staff/${target.id}/level-changes`, body: { level: 'intermediate', reason: '考核合格' } };
  },
  'POST /api/staff/:id/password-resets': () => ({ url: `/api/staff/${fx.agent2}/password-resets`, body: { newPassword: DEMO_PASSWORD } }),
  'POST /api/staff/:id/unlocks': () => ({ url: `/api/staff/${fx.agent2}/unlocks` }),

  'GET /api/policies': () => ({ url: '/api/policies' }),
  'GET /api/policies/current': () => ({ url: '/api/policies/current' }),
  'GET /api/policies/:id': () => ({ url: `/api/policies/${fx.currentPolicy}` }),
  'POST /api/policies': async () => {
    await noOpenPolicy();
    return { url: '/api/policies', body: { note: unique('修订 ') } };
  },
  'PATCH /api/policies/:id': async () => ({ url: `/api/policies/${await draftPolicy()}`, body: { note: unique('修改 ') } }),
  'POST /api/policies/:id/approvals': async () => ({ url: `/api/policies/${await draftPolicy()}/approvals` }),
  'POST /api/policies/:id/rejections': async () => ({ url: `/api/policies/${await draftPolicy()}/rejections`, body: { comment: '请补充依据' } }),
  'POST /api/policies/:id/publications': async () => ({ url: `/api/policies/${await approvedPolicy()}/publications` }),
  'GET /api/presets': () => ({ url: '/api/presets' }),

  'GET /api/audit': () => ({ url: '/api/audit' }),
  'POST /api/reveals': () => ({ url: '/api/reveals', body: { entityType: 'staff', entityId: fx.agent2, field: 'phone', reason: '回拨核实联系方式' } }),

  'GET /api/webhooks': () => ({ url: '/api/webhooks' }),
  'POST /api/webhooks': () => ({ url: '/api/webhooks', body: { name: unique('hook '), url: 'https://hooks.example.com/new', eventTypes: ['*'] } }),
  'GET /api/webhooks/:id': () => ({ url: `/api/webhooks/${fx.webhook}` }),
  'PATCH /api/webhooks/:id': () => ({ url: `/api/webhooks/${fx.webhook}`, body: { name: unique('renamed ') } }),
  'DELETE /api/webhooks/:id': async () => ({ url: `/api/webhooks/${await newWebhook()}` }),
  'GET /api/webhooks/:id/deliveries': () => ({ url: `/api/webhooks/${fx.webhook}/deliveries` }),
  'GET /api/event-types': () => ({ url: '/api/event-types' }),
  'POST /api/webhooks/:id/deliveries/:deliveryId/redeliveries': async () => ({ url: `/api/webhooks/${fx.webhook}/deliveries/${await newDelivery()}/redeliveries` }),
  'POST /api/webhooks/:id/pings': () => ({ url: `/api/webhooks/${fx.webhook}/pings` }),

  'GET /api/customers': () => ({ url: '/api/customers' }),
  'POST /api/customers': () => ({ url: '/api/customers', body: { name: unique('走查客户 ') } }),
  'GET /api/customers/exports': () => ({ url: `/api/customers/exports?format=csv&reason=${encodeURIComponent('权限走查')}` }),
  'POST /api/customers/imports': () => ({ url: '/api/customers/imports', body: importForm() }),
  'GET /api/customers/imports/:id': async () => ({ url: `/api/customers/imports/${(await asAdmin('POST', '/api/customers/imports', importForm())).id}` }),
  'GET /api/customers/:id': () => ({ url: `/api/customers/${fx.customer}` }),
  'PATCH /api/customers/:id': () => ({ url: `/api/customers/${fx.customer}`, body: { tags: [unique('标签')] } }),
  'GET /api/customers/:id/conversations': () => ({ url: `/api/customers/${fx.customer}/conversations` }),
  'GET /api/customers/:id/orders': () => ({ url: `/api/customers/${fx.customer}/orders` }),
  'POST /api/customers/:id/orders': () => ({ url: `/api/customers/${fx.customer}/orders`, body: { number: unique('WALK-'), amountFen: 100, status: 'paid', orderedAt: '2026-03-01T08:00:00Z' } }),
  'PATCH /api/orders/:id': async () => ({ url: `/api/orders/${await newOrder()}`, body: { status: 'completed' } }),
  'DELETE /api/orders/:id': async () => ({ url: `/api/orders/${await newOrder()}` }),
  'GET /api/customers/:id/products': () => ({ url: `/api/customers/${fx.customer}/products` }),
  'POST /api/customers/:id/products': () => ({ url: `/api/customers/${fx.customer}/products`, body: { model: 'KF-AP300', warrantyEndsOn: '2027-03-01' } }),
  'PATCH /api/customer-products/:id': async () => ({ url: `/api/customer-products/${await newProduct()}`, body: { serialNumber: unique('SN') } }),
  'DELETE /api/customer-products/:id': async () => ({ url: `/api/customer-products/${await newProduct()}` }),
  'GET /api/customers/:id/notes': () => ({ url: `/api/customers/${fx.customer}/notes` }),
  'POST /api/customers/:id/notes': () => ({ url: `/api/customers/${fx.customer}/notes`, body: { body: '权限走查备注' } }),
  'GET /api/customers/:id/referrals': () => ({ url: `/api/customers/${fx.customer}/referrals` }),
  'POST /api/referrals': async () => ({
    url: '/api/referrals',
    body: { referrerId: fx.customer, referredId: (await asAdmin('POST', '/api/customers', { name: unique('被转介 ') })).id, referredOn: '2026-03-01' },
  }),

  'GET /api/conversations': () => ({ url: '/api/conversations?status=new&status=open' }),
  'POST /api/conversations': () => ({ url: '/api/conversations', body: { channel: 'form', customerId: fx.customer, subject: '表单留言' } }),
  'GET /api/conversations/:id': () => ({ url: `/api/conversations/${fx.conversation}` }),
  'GET /api/conversations/counts': () => ({ url: '/api/conversations/counts' }),
  'POST /api/conversations/:id/claims': async () => ({ url: `/api/conversations/${await newConversation()}/claims`, body: {} }),
  'PATCH /api/conversations/:id': async () => ({ url: `/api/conversations/${await newConversation()}`, body: { priority: 'high' } }),
  'POST /api/conversations/:id/status': async () => ({ url: `/api/conversations/${await newConversation()}/status`, body: { status: 'pending_internal' } }),
  'GET /api/conversations/:id/messages': () => ({ url: `/api/conversations/${fx.conversation}/messages` }),
  'POST /api/conversations/:id/messages': async () => ({ url: `/api/conversations/${await newConversation()}/messages`, body: { body: '您好，请问有什么可以帮您？' } }),
  // Authorised callers get past the permission check to the missing multipart file.
  'POST /api/conversations/:id/attachments': () => ({ url: `/api/conversations/${fx.conversation}/attachments`, body: {}, ok: 400 }),
  'GET /api/attachments/:id': () => ({ url: `/api/attachments/${fx.attachment}` }),
  'GET /api/conversations/:id/assignments': () => ({ url: `/api/conversations/${fx.conversation}/assignments` }),
  'POST /api/conversations/:id/assignments': async () => ({ url: `/api/conversations/${await newConversation()}/assignments`, body: { staffId: fx.agent2, note: '指派' } }),
  'POST /api/conversations/:id/transfers': async () => ({ url: `/api/conversations/${await newConversation()}/transfers`, body: { toStaffId: fx.agent2, note: '转交' } }),
  'POST /api/conversations/:id/escalations': async () => ({ url: `/api/conversations/${await newConversation()}/escalations`, body: { note: '需要工程师' } }),
  'POST /api/conversations/:id/handoffs': async () => ({ url: `/api/conversations/${await newConversation()}/handoffs`, body: { departmentId: fx.logistics, title: '查件', dueAt: future() } }),
  'POST /api/conversations/:id/follow-ups': async () => ({ url: `/api/conversations/${await newConversation()}/follow-ups`, body: { dueAt: future(), note: '明天回复进度' } }),
  'GET /api/tasks': () => ({ url: '/api/tasks?status=open' }),
  'GET /api/conversations/:id/sla-targets': async () => ({ url: `/api/conversations/${await newConversation()}/sla-targets` }),
  // A chat has no in-call milestone (409): the walk checks access; sla.test.ts checks the marks.
  'POST /api/conversations/:id/milestones': async () => ({ url: `/api/conversations/${await newConversation()}/milestones`, body: { milestone: 'greeted' }, ok: 409 }),
  'GET /api/notifications': () => ({ url: '/api/notifications?unread=true' }),
  'POST /api/notifications/reads': () => ({ url: '/api/notifications/reads', body: { ids: [NO_SUCH_ID] }, ok: 404 }),
  'GET /api/tasks/:id': () => ({ url: `/api/tasks/${fx.handoffTask}` }),
  'POST /api/tasks/:id/completions': async () => ({ url: `/api/tasks/${await newHandoff(await newConversation())}/completions`, body: { result: '已处理' } }),
  'GET /api/queues': () => ({ url: '/api/queues' }),
  'POST /api/queues': () => ({ url: '/api/queues', body: { code: unique('walk_queue_'), name: '临时队列', channels: ['chat'] } }),
  'PATCH /api/queues/:id': () => ({ url: `/api/queues/${fx.queue}`, body: { name: unique('队列 ') } }),
  'GET /api/agent-states': () => ({ url: '/api/agent-states' }),
  'GET /api/agent-states/me': () => ({ url: '/api/agent-states/me' }),
  'PUT /api/agent-states/me': () => ({ url: '/api/agent-states/me', body: { status: 'away' } }),
  'PUT /api/agent-states/:id': () => ({ url: `/api/agent-states/${fx.agent2}`, body: { status: 'away' } }),
  'GET /api/canned-replies': () => ({ url: '/api/canned-replies?q=您好' }),
  'POST /api/canned-replies': () => ({ url: '/api/canned-replies', body: { scope: 'personal', title: unique('话术'), body: '您好' } }),
  'PATCH /api/canned-replies/:id': async (c) => ({ url: `/api/canned-replies/${await ownReply(c)}`, body: { title: unique('改名') } }),
  'DELETE /api/canned-replies/:id': async (c) => ({ url: `/api/canned-replies/${await ownReply(c)}` }),
  'POST /api/canned-replies/:id/renderings': () => ({ url: `/api/canned-replies/${fx.sharedReply}/renderings`, body: { conversationId: fx.conversation } }),

  // The PBX signs instead of signing in: anyone holding a valid signature gets through, whatever their token.
  'POST /api/cti/events': () => ctiEvent(unique('walk-call-')),
  'POST /api/calls/:callId/recording': () => ctiRecording(),
  'GET /api/conversations/:id/calls': () => ({ url: `/api/conversations/${fx.conversation}/calls` }),
  'POST /api/conversations/:id/callbacks': async () => ({ url: `/api/conversations/${await newConversation()}/callbacks`, body: { dueAt: future(), note: '回电确认' } }),
  'POST /api/callbacks/:taskId/dial': async () => ({ url: `/api/callbacks/${await newCallback()}/dial` }),
  'POST /api/messages/:id/resends': async (c) => ({ url: `/api/messages/${await failedEmailReply(h.kefu, c.username)}/resends` }),

  // Web chat: visitors hold a visitor token, not a sign-in (docs/chat-widget.md).
  'GET /api/chat/ws': () => ({ url: '/api/chat/ws', ok: 426 }),
  'POST /api/chat/attachments': async () => chatUpload((await visitorFixture()).token),
  'GET /api/chat/attachments/:id': async () => {
    const v = await visitorFixture();
    return { url: `/api/chat/attachments/${v.attachment}`, headers: { 'x-kefu-visitor': v.token } };
  },
  'OPTIONS /api/chat/attachments': () => ({ url: '/api/chat/attachments' }),
  'OPTIONS /api/chat/attachments/:id': () => ({ url: '/api/chat/attachments/01900000-0000-7000-8000-000000000000' }),
  'POST /api/conversations/:id/typing': async () => ({ url: `/api/conversations/${await newConversation()}/typing`, body: { on: true } }),
  'GET /widget.js': () => ({ url: '/widget.js' }),
  'GET /demo/chat': () => ({ url: '/demo/chat' }),

  // Closed loop: customers answer through a signed link, no sign-in; staff read, record and count.
  'GET /feedback/:token': async () => ({ url: `/feedback/${await surveyLink()}` }),
  'POST /feedback/:token': async () => ({ url: `/feedback/${await surveyLink()}`, body: 'solved=yes&satisfied=yes&csat=5', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
  'POST /api/survey-responses': async () => ({ url: '/api/survey-responses', body: { token: await surveyLink(), solved: true, satisfied: true, csat: 5 } }),
  'GET /api/surveys': () => ({ url: '/api/surveys?responded=false' }),
  'GET /api/surveys/statistics': () => ({ url: '/api/surveys/statistics?channel=phone' }),
  'GET /api/surveys/:id': async () => ({ url: `/api/surveys/${await newSurvey()}` }),
  'POST /api/surveys/:id/responses': async () => ({ url: `/api/surveys/${await newSurvey()}/responses`, body: { satisfied: true, csat: 5 } }),
  'GET /api/conversations/:id/reopens': () => ({ url: `/api/conversations/${fx.conversation}/reopens` }),
  'POST /api/callbacks/:taskId/outcomes': async () => ({ url: `/api/callbacks/${await newCallback()}/outcomes`, body: { result: '已回访，客户确认问题解决', outcome: 'reached' } }),
  'GET /api/callbacks/statistics': () => ({ url: '/api/callbacks/statistics?origin=closure' }),

  'GET /api/complaints': () => ({ url: '/api/complaints?status=accepted&status=investigating' }),
  'POST /api/complaints': () => ({ url: '/api/complaints', body: { customerId: fx.customer, complainantName: '访问测试', contact: '13800001111', channel: 'phone', matter: unique('走查投诉 ') } }),
  'GET /api/complaints/analysis': () => ({ url: '/api/complaints/analysis?by=category' }),
  'GET /api/complaints/:id': async () => ({ url: `/api/complaints/${(await complaintFixtures()).accepted}` }),
  'PATCH /api/complaints/:id': async () => ({ url: `/api/complaints/${(await complaintFixtures()).accepted}`, body: { category: unique('类别') } }),
  'GET /api/complaints/:id/evidence': async () => ({ url: `/api/complaints/${(await complaintFixtures()).accepted}/evidence` }),
  'POST /api/complaints/:id/evidence': async () => ({ url: `/api/complaints/${(await complaintFixtures()).accepted}/evidence`, body: { kind: 'order', refId: await newOrder() } }),
  'POST /api/complaints/:id/proposals': async (c) => ({
    url: `/api/complaints/${c.username ? await investigatingComplaint() : NO_SUCH_ID}/proposals`,
    body: { solution: '补发', agreedMethod: '快递补发', agreedAt: future() },
  }),
  'GET /api/complaint-approvals': () => ({ url: '/api/complaint-approvals' }),
  // Every role holds complaints.approve; the service lets only the step's department decide it (complaints.test.ts).
  // Callers past the permission check reach the lookup of the step.
  'POST /api/complaint-approvals/:id/decisions': () => ({ url: `/api/complaint-approvals/${NO_SUCH_ID}/decisions`, body: { decision: 'approved' }, ok: 404 }),
  'POST /api/complaints/:id/actions': async () => ({ url: `/api/complaints/${(await complaintFixtures()).implementing}/actions`, body: { title: unique('实施任务 ') } }),
  // Every role holds tasks.read; the service lets the task's assignee (here the caller), its department or complaint handlers complete it (complaints.test.ts).
  'POST /api/complaint-actions/:id/completions': async (c) => {
    if (!c.username) return { url: `/api/complaint-actions/${NO_SUCH_ID}/completions`, body: { result: '已完成' } };
    const me = (await asAdmin('GET', `/api/staff?q=${c.username}`)).data.find((s: { username: string }) => s.username === c.username).id;
    const action = await asAdmin('POST', `/api/complaints/${(await complaintFixtures()).implementing}/actions`, { title: unique('待完成 '), assigneeId: me });
    return { url: `/api/complaint-actions/${action.id}/completions`, body: { result: '已完成' } };
  },
  'POST /api/complaint-actions/:id/cancellations': async (c) => ({
    url: `/api/complaint-actions/${c.username ? (await asAdmin('POST', `/api/complaints/${(await complaintFixtures()).implementing}/actions`, { title: unique('待取消 ') })).id : NO_SUCH_ID}/cancellations`,
    body: { reason: '方案调整，不再需要' },
  }),
  'POST /api/complaints/:id/revisits': async (c) => ({ url: `/api/complaints/${c.username ? await revisitingComplaint() : NO_SUCH_ID}/revisits`, body: { outcome: 'satisfied', note: '客户满意' } }),
  'POST /api/complaints/:id/closures': async (c) => {
    if (!c.username) return { url: `/api/complaints/${NO_SUCH_ID}/closures`, body: {} };
    const id = await revisitingComplaint();
    await asAdmin('POST', `/api/complaints/${id}/revisits`, { outcome: 'satisfied', note: '客户满意' });
    return { url: `/api/complaints/${id}/closures`, body: {} };
  },

  // KPIs (docs/kpis.md): scoped in the service, so every holder of kpi.read gets an answer (their own numbers at least).
  'GET /api/kpis': () => ({ url: '/api/kpis' }),
  'GET /api/wallboard': () => ({ url: '/api/wallboard' }),
  'GET /api/kpis/:code/values': () => ({ url: '/api/kpis/fcr/values?groupBy=agent' }),
  'GET /api/kpis/:code/conversations': () => ({ url: '/api/kpis/sla_attainment/conversations?groupBy=metric&group=first_response' }),
  'GET /api/kpis/exports': () => ({ url: '/api/kpis/exports?groupBy=team&codes=fcr,csat' }),

  // Knowledge base (K1/K2).
  'GET /api/knowledge-categories': () => ({ url: '/api/knowledge-categories' }),
  'POST /api/knowledge-categories': () => ({ url: '/api/knowledge-categories', body: { name: unique('走查分类 ') } }),
  'PATCH /api/knowledge-categories/:id': async () => ({ url: `/api/knowledge-categories/${await newCategory()}`, body: { position: 1 } }),
  'DELETE /api/knowledge-categories/:id': async () => ({ url: `/api/knowledge-categories/${await newCategory()}` }),
  'GET /api/knowledge-searches': () => ({ url: `/api/knowledge-searches?q=${encodeURIComponent('退货')}` }),
  'GET /api/knowledge-gaps': () => ({ url: '/api/knowledge-gaps' }),
  'GET /api/knowledge-articles': () => ({ url: '/api/knowledge-articles' }),
  'POST /api/knowledge-articles': () => ({ url: '/api/knowledge-articles', body: { type: 'case', visibility: 'internal', title: unique('走查案例 '), body: '处理经过' } }),
  'GET /api/knowledge-articles/:id': async () => ({ url: `/api/knowledge-articles/${await publishedArticle()}` }),
  'PATCH /api/knowledge-articles/:id': async () => ({ url: `/api/knowledge-articles/${await publishedArticle()}`, body: { type: 'article' } }),
  'GET /api/conversations/:id/knowledge-suggestions': () => ({ url: `/api/conversations/${fx.conversation}/knowledge-suggestions` }),
  'POST /api/knowledge-articles/:id/attachments': async (c) => articleFile(await newArticle(writerOf(c), false)),
  'GET /api/knowledge-attachments/:id': async () => ({ url: `/api/knowledge-attachments/${await publicArticleFile()}` }),
  'DELETE /api/knowledge-attachments/:id': async (c) => ({ url: `/api/knowledge-attachments/${await newArticleFile(writerOf(c))}` }),
  'GET /api/help-attachments/:id': async () => ({ url: `/api/help-attachments/${await publicArticleFile()}` }),
  'GET /api/help-articles': () => ({ url: '/api/help-articles' }),
  'GET /api/help-articles/:id': async () => ({ url: `/api/help-articles/${await publicArticle()}` }),
  'GET /help': () => ({ url: `/help?q=${encodeURIComponent('退货')}` }),
  'GET /help/articles/:number': async () => ({ url: `/help/articles/${(await asAdmin('GET', `/api/help-articles/${await publicArticle()}`)).number}` }),
  'OPTIONS /api/help-searches': () => ({ url: '/api/help-searches' }),
  'OPTIONS /api/help-articles/:id/views': () => ({ url: `/api/help-articles/${NO_SUCH_ID}/views` }),
  'GET /api/help-searches': () => ({ url: `/api/help-searches?q=${encodeURIComponent('退货')}` }),
  'POST /api/help-articles/:id/views': async () => ({ url: `/api/help-articles/${await publicArticle()}/views`, body: {} }),
  'OPTIONS /api/help-articles/:id/views/:viewId/votes': () => ({ url: `/api/help-articles/${NO_SUCH_ID}/views/${NO_SUCH_ID}/votes` }),
  'POST /api/help-articles/:id/views/:viewId/votes': async () => {
    const article = await publicArticle();
    const view = await asAdmin('POST', `/api/help-articles/${article}/views`, {});
    return { url: `/api/help-articles/${article}/views/${view.id}/votes`, body: { helpful: true } };
  },
  'GET /api/knowledge-articles/:id/statistics': async () => ({ url: `/api/knowledge-articles/${await publishedArticle()}/statistics` }),
  'GET /api/knowledge-deflections': () => ({ url: '/api/knowledge-deflections?from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z' }),
  'POST /api/conversations/:id/articles': async () => ({ url: `/api/conversations/${await resolvedConversation()}/articles` }),
  'POST /api/knowledge-articles/:id/archivals': async () => ({ url: `/api/knowledge-articles/${await newArticle('admin', false)}/archivals`, body: { reason: '走查' } }),
  'GET /api/knowledge-articles/:id/versions': async () => ({ url: `/api/knowledge-articles/${await publishedArticle()}/versions` }),
  'POST /api/knowledge-articles/:id/versions': async () => ({ url: `/api/knowledge-articles/${await newArticle('admin', true)}/versions`, body: {} }),
  'GET /api/knowledge-articles/:id/versions/:version': async () => ({ url: `/api/knowledge-articles/${await publishedArticle()}/versions/1` }),
  'PATCH /api/knowledge-articles/:id/versions/:version': async (c) => ({ url: `/api/knowledge-articles/${await newArticle(writerOf(c), false)}/versions/1`, body: { body: '改写' } }),
  'GET /api/knowledge-articles/:id/versions/:version/changes': async () => ({ url: `/api/knowledge-articles/${await publishedArticle()}/versions/1/changes` }),
  'POST /api/knowledge-articles/:id/versions/:version/submissions': async (c) => ({ url: `/api/knowledge-articles/${await newArticle(writerOf(c), false)}/versions/1/submissions` }),
  'POST /api/knowledge-articles/:id/versions/:version/reviews': async (c) => {
    const author = c.username === 'admin' ? 'agent1' : 'admin';
    const id = await newArticle(author, false);
    await h.api('POST', `/api/knowledge-articles/${id}/versions/1/submissions`, { as: author });
    return { url: `/api/knowledge-articles/${id}/versions/1/reviews`, body: { decision: 'approve' } };
  },
};

function allowed(access: Access, role: Role): boolean {
  if (access === 'public' || access === 'authenticated') return true;
  return permissionsOf(role).has(access);
}

describe('O2 the permission table', () => {
  it('O2: every route declares public, authenticated or a permission of the table', () => {
    const wrong = h.kefu.routes.filter((r) => r.access !== 'public' && r.access !== 'authenticated' && !isPermission(r.access));
    expect(wrong.map(keyOf)).toEqual([]);
  });

  it('O2: the walk below has a sample for every route, and none for a route that is gone', () => {
    expect(ROUTES.map(keyOf).filter((k) => !SAMPLES[k])).toEqual([]);
    const live = new Set(ROUTES.map(keyOf));
    expect(Object.keys(SAMPLES).filter((k) => !live.has(k))).toEqual([]);
  });

  it('O2: only the sign-in, health, the console\'s files, API documentation, the chat widget\'s calls, survey links and the public help centre are public', () => {
    const pub = ROUTES.filter((r) => r.access === 'public').map(keyOf);
    expect(pub.filter((k) => !/^GET \/api\/docs/.test(k)).sort()).toEqual([
      'GET /',
      'GET /api/chat/attachments/:id',
      'GET /api/chat/ws',
      'GET /api/health',
      'GET /api/help-articles',
      'GET /api/help-articles/:id',
      'GET /api/help-attachments/:id',
      'GET /api/help-searches',
      'GET /api/openapi.json',
      'GET /console',
      'GET /console/*',
      'GET /demo/chat',
      'GET /feedback/:token',
      'GET /help',
      'GET /help/articles/:number',
      'GET /widget.js',
      'OPTIONS /api/chat/attachments',
      'OPTIONS /api/chat/attachments/:id',
      'OPTIONS /api/help-articles/:id/views',
      'OPTIONS /api/help-articles/:id/views/:viewId/votes',
      'OPTIONS /api/help-searches',
      'POST /api/auth/login',
      'POST /api/calls/:callId/recording',
      'POST /api/chat/attachments',
      'POST /api/cti/events',
      'POST /api/help-articles/:id/views',
      'POST /api/help-articles/:id/views/:viewId/votes',
      'POST /api/survey-responses',
      'POST /feedback/:token',
    ]);
  });

  it('O2: partner staff hold no permission of the service side, only their hand-off tasks and their department\'s complaint approvals', () => {
    // CP3: a partner department on the approval chain decides its own step; the service scopes it to that department.
    expect([...permissionsOf('partner')]).toEqual(['tasks.read', 'complaints.approve']);
    for (const [permission, roles] of Object.entries(PERMISSIONS)) {
      expect(roles.length, permission).toBeGreaterThan(0);
      expect(roles.every((r) => (ROLES as readonly string[]).includes(r)), permission).toBe(true);
    }
  });
});

describe('O2 route × role walk (acceptance 4)', () => {
  const tokens = new Map<Role, string>();

  beforeAll(async () => {
    // One reset for the whole walk: every sample makes its own fixtures, with unique codes.
    await h.reset();
    const depts = await asAdmin('GET', '/api/departments?limit=200');
    fx.opsDept = depts.data.find((d: { code: string }) => d.code === 'service_operations').id;
    const teams = await asAdmin('GET', `/api/teams?departmentId=${fx.opsDept}`);
    fx.opsTeam = teams.data.find((t: { code: string }) => t.code === 'hotline_1').id;
    fx.agent2 = (await asAdmin('GET', '/api/staff?q=agent2')).data[0].id;
    fx.currentPolicy = (await asAdmin('GET', '/api/policies/current')).id;
    fx.webhook = await newWebhook();
    fx.logistics = depts.data.find((d: { kind: string }) => d.kind === 'logistics').id;
    fx.customer = (await asAdmin('POST', '/api/customers', { kind: 'person', name: '访问测试客户', phones: ['13800001111'] })).id;
    fx.conversation = await newConversation();
    fx.handoffTask = await newHandoff(fx.conversation);
    fx.queue = (await asAdmin('GET', '/api/queues'))[0].id;
    fx.sharedReply = (await asAdmin('POST', '/api/canned-replies', { scope: 'shared', title: '问候', body: '{customer.name}您好' })).id;
    fx.attachment = await uploadAsAdmin(fx.conversation);
    await asAdmin('POST', '/api/staff', { username: 'gm1', password: DEMO_PASSWORD, displayName: '总经理', role: 'general_manager' });
    for (const role of ROLES) tokens.set(role, await h.login(USERNAMES[role]));
  });

  for (const route of ROUTES) {
    const key = keyOf(route);
    it(`O2: ${key} (${route.access}) answers 401 / 403 / success as the table says`, async () => {
      const build = SAMPLES[key];
      if (!build) throw new Error(`no sample request for ${key}: add one to SAMPLES in ${import.meta.url}`);

      const anon = await build({ role: null, username: null });
      const anonReply = await h.api(route.method as 'GET', anon.url, { body: anon.body, headers: anon.headers });
      if (route.access === 'public') expectSuccess(anonReply, anon, 'anonymous');
      else expectError(anonReply, 401, 'auth.required');

      for (const role of ROLES) {
        const sample = await build({ role, username: USERNAMES[role] });
        const reply = await h.api(route.method as 'GET', sample.url, { token: sample.token ?? tokens.get(role)!, body: sample.body, headers: sample.headers });
        if (allowed(route.access, role)) expectSuccess(reply, sample, role);
        else expect(expectError(reply, 403, 'auth.forbidden').message, role).toContain(route.access);
      }
    });
  }
});

function expectSuccess(reply: { status: number; body: unknown }, sample: Sample, who: string): void {
  const what = `${who}: ${reply.status} ${JSON.stringify(reply.body)?.slice(0, 300)}`;
  if (sample.ok !== undefined) expect(reply.status, what).toBe(sample.ok);
  else {
    expect(reply.status, what).toBeGreaterThanOrEqual(200);
    expect(reply.status, what).toBeLessThan(300);
  }
}
