import fs from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PERMISSIONS, type Permission, type Role } from '../server/platform/rbac/permissions.ts';
import { createHarness, type Harness } from './support/kefu.ts';
import { onPostgres } from './support/db.ts';
import { expectError } from './support/errors.ts';

const VERSION = (JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const DEMO_USER: Partial<Record<Role, string>> = {
  admin: 'admin',
  manager: 'manager1',
  team_lead: 'lead1',
  agent: 'agent1',
  qa: 'qa1',
  trainer: 'trainer1',
  engineer: 'engineer1',
  partner: 'partner1',
};
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

type Schema = Record<string, any>;
interface Operation {
  method: string;
  path: string;
  op: Schema;
}

let h: Harness;
let doc: Schema;
beforeAll(async () => {
  h = await createHarness();
  doc = (await h.api('GET', '/api/openapi.json')).body;
});
afterAll(() => h.close());
beforeEach(() => h.reset());

/** `/api/staff/:id/level-changes` → `/api/staff/{id}/level-changes` */
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

/** Routes the OpenAPI document deliberately leaves out: the document itself and Swagger UI's assets. */
const hidden = (url: string) => url === '/api/openapi.json' || url === '/api/docs' || url.startsWith('/api/docs/');

function operations(): Operation[] {
  return Object.entries(doc.paths as Record<string, Schema>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method] })),
  );
}

/** A demo user allowed to call the operation. */
function callerFor(op: Schema): string {
  const permission = op['x-permission'] as Permission | undefined;
  if (!permission) return 'admin';
  const role = PERMISSIONS[permission].find((r) => DEMO_USER[r]);
  if (!role) throw new Error(`no demo user holds ${permission}`);
  return DEMO_USER[role]!;
}

function okSchema(op: Schema): Schema | undefined {
  return op.responses?.['200']?.content?.['application/json']?.schema;
}

const isList = (o: Operation) => o.method === 'get' && Boolean(okSchema(o.op)?.properties?.data && okSchema(o.op)?.properties?.nextCursor);

/** Every object schema with declared properties must refuse undeclared ones, at any depth. */
function looseObjects(schema: unknown, at: string, out: string[] = []): string[] {
  if (!schema || typeof schema !== 'object') return out;
  const s = schema as Schema;
  if (s.type === 'object' && s.properties && s.additionalProperties !== false) out.push(at || '(root)');
  for (const [k, v] of Object.entries(s)) {
    if (k === 'properties') for (const [name, sub] of Object.entries(v as Schema)) looseObjects(sub, at ? `${at}.${name}` : name, out);
    else if (typeof v === 'object') looseObjects(v, at, out);
  }
  return out;
}

describe('acceptance 3: health and login', () => {
  it('X1: GET /api/health answers status, database kind and the package version', async () => {
    const res = await h.api('GET', '/api/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', database: onPostgres ? 'postgres' : 'pglite', version: VERSION });
  });

  it('O5: POST /api/auth/login returns {token, user}; the token works as a Bearer token on other calls', async () => {
    const res = await h.api('POST', '/api/auth/login', { body: { username: 'agent1', password: 'kefu-demo' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token: expect.any(String), user: { username: 'agent1', role: 'agent' } });
    const me = await h.api('GET', '/api/auth/me', { token: res.body.token });
    expect(me.status).toBe(200);
    expect(me.body.username).toBe('agent1');
    expect((await h.api('GET', '/api/departments', { token: res.body.token })).status).toBe(200);

    expectError(await h.api('GET', '/api/auth/me'), 401, 'auth.required');
    expectError(await h.api('GET', '/api/auth/me', { token: `${res.body.token}x` }), 401);
    expectError(await h.api('GET', '/api/auth/me', { headers: { authorization: 'Basic YWdlbnQxOmtlZnUtZGVtbw==' } }), 401);
    expectError(await h.api('POST', '/api/auth/login', { body: { username: 'agent1', password: 'wrong-password' } }), 401, 'auth.invalid_credentials');
  });
});

describe('acceptance 3: the web console cookie', () => {
  it('O5: login also sets an httpOnly session cookie that authenticates; cross-site writes with it are refused', async () => {
    const res = await h.api('POST', '/api/auth/login', { body: { username: 'admin', password: 'kefu-demo' } });
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^kefu_session=kfs_[^;]+;/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const cookie = setCookie.split(';')[0]!;
    const me = await h.api('GET', '/api/auth/me', { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(me.body.username).toBe('admin');
    const body = { code: 'cookie_dept', name: '经 Cookie 创建', kind: 'quality' };
    const foreign = await h.api('POST', '/api/departments', { body, headers: { cookie, origin: 'https://evil.example' } });
    expectError(foreign, 403, 'auth.cross_origin');
    const same = await h.api('POST', '/api/departments', { body, headers: { cookie, origin: 'http://kefu.example:8080', host: 'kefu.example:8080' } });
    expect(same.status).toBe(201);
  });
});

describe('acceptance 3 / X3: the OpenAPI document', () => {
  it('X3: /api/openapi.json is OpenAPI 3.1 with every /api route (the docs assets and the document itself hidden)', () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.version).toBe(VERSION);
    const routes = h.kefu.routes.filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD' && !hidden(r.url));
    const missing = routes.filter((r) => !doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()]).map((r) => `${r.method} ${r.url}`);
    expect(missing).toEqual([]);
    const documented = operations().map((o) => `${o.method.toUpperCase()} ${o.path}`);
    const registered = new Set(routes.map((r) => `${r.method} ${openApiPath(r.url)}`));
    expect(documented.filter((d) => !registered.has(d))).toEqual([]);
    expect(Object.keys(doc.paths).filter(hidden)).toEqual([]);
  });

  it('X3: operations state who may call them and the shared error body', () => {
    for (const { method, path, op } of operations()) {
      const where = `${method} ${path}`;
      expect(op.security, where).toBeDefined();
      const route = h.kefu.routes.find((r) => openApiPath(r.url) === path && r.method === method.toUpperCase())!;
      if (route.access === 'public') expect(op.security, where).toEqual([]);
      else expect(op.security.length, where).toBeGreaterThan(0);
      if (route.access !== 'public' && route.access !== 'authenticated') expect(op['x-permission'], where).toBe(route.access);
      for (const range of ['4XX', '5XX']) {
        const err = op.responses?.[range]?.content?.['application/json']?.schema;
        expect(err?.properties?.error?.required, `${where} ${range}`).toEqual(['code', 'message']);
      }
      const paragraphs = String(op.description ?? '').split('\n\n');
      expect(paragraphs.length, `${where}: a paragraph of its description is repeated`).toBe(new Set(paragraphs).size);
    }
  });

  it('X3: request bodies are the validating schemas: closed objects at every depth, with their patterns', () => {
    const post = doc.paths['/api/departments'].post;
    const body = post.requestBody.content['application/json'].schema;
    expect(body.additionalProperties).toBe(false);
    expect(body.properties.code.pattern).toBe('^[a-z][a-z0-9_]{1,47}$');
    expect(body.required).toEqual(expect.arrayContaining(['code', 'name', 'kind']));

    const loose = operations().flatMap(({ method, path, op }) => {
      const schema = op.requestBody?.content?.['application/json']?.schema;
      return schema ? looseObjects(schema, '').map((at) => `${method} ${path}: ${at}`) : [];
    });
    expect(loose).toEqual([]);
  });

  it('X3: /api/docs serves Swagger UI', async () => {
    let res = await h.api('GET', '/api/docs');
    for (let hops = 0; res.status >= 300 && res.status < 400 && hops < 3; hops++) {
      res = await h.api('GET', new URL(String(res.headers.location), 'http://kefu.local/api/docs').pathname);
    }
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/text\/html/);
    expect(res.body).toMatch(/swagger-ui/i);
  });
});

describe('acceptance 3: lists', () => {
  /** Fills `{param}` with the id of the first item of the collection before it, or a fresh UUID when that is empty. */
  async function concrete(path: string): Promise<{ url: string; real: boolean }> {
    let url = '';
    let real = true;
    for (const segment of path.split('/').slice(1)) {
      if (!segment.startsWith('{')) {
        url += `/${segment}`;
        continue;
      }
      const parent = operations().find((o) => o.method === 'get' && o.path === url);
      const res = parent ? await h.api('GET', `${url}?limit=1`, { as: callerFor(parent.op) }) : undefined;
      const id = res?.body?.data?.[0]?.id as string | undefined;
      if (!id) real = false;
      url += `/${id ?? '01900000-0000-7000-8000-000000000000'}`;
    }
    return { url, real };
  }

  it('every list takes cursor and limit (≤ 200), answers exactly {data, nextCursor} and pages without gaps or repeats', async () => {
    await h.api('POST', '/api/webhooks', { as: 'admin', body: { name: 'lists', url: 'http://127.0.0.1:9/hook', eventTypes: ['staff.*'] } });
    const lists = operations().filter(isList);
    expect(lists.map((o) => o.path)).toEqual(expect.arrayContaining(['/api/departments', '/api/staff', '/api/audit', '/api/policies']));
    for (const { path, op } of lists) {
      const params = (op.parameters ?? []) as Array<{ name: string; in: string; required?: boolean }>;
      const query = params.filter((p) => p.in === 'query');
      expect(query.map((p) => p.name), path).toEqual(expect.arrayContaining(['cursor', 'limit']));
      expect(query.filter((p) => p.required).map((p) => p.name), `${path}: a list with required filters needs handling here`).toEqual([]);

      const as = callerFor(op);
      const { url, real } = await concrete(path);
      for (const limit of ['201', '0', '-1', 'ten', '1.5']) {
        const bad = expectError(await h.api('GET', `${url}?limit=${limit}`, { as }), 400);
        expect(bad.field, `${path}?limit=${limit}`).toBe('limit');
      }
      expectError(await h.api('GET', `${url}?cursor=${encodeURIComponent('{"forged":true}')}`, { as }), 400, 'request.invalid_cursor');
      expectError(await h.api('GET', `${url}?nonsense=1`, { as }), 400, 'request.unknown_field');
      if (!real) continue;

      const whole = await h.api('GET', `${url}?limit=200`, { as });
      expect(whole.status, path).toBe(200);
      expect(Object.keys(whole.body).sort(), path).toEqual(['data', 'nextCursor']);
      expect(Array.isArray(whole.body.data), path).toBe(true);
      const seen: unknown[] = [];
      let cursor: string | null = null;
      do {
        const page: { status: number; body: { data: unknown[]; nextCursor: string | null } } = await h.api('GET', `${url}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { as });
        expect(page.status, path).toBe(200);
        expect(page.body.data.length, path).toBeLessThanOrEqual(2);
        seen.push(...page.body.data);
        cursor = page.body.nextCursor;
      } while (cursor && seen.length <= 400);
      if (whole.body.nextCursor === null) expect(seen, path).toEqual(whole.body.data);
    }
  });
});

describe('acceptance 3: errors', () => {
  it('every kind of failure has exactly the error shape', async () => {
    const ops = await h.api('GET', '/api/departments?limit=200', { as: 'admin' });
    const id = ops.body.data[0].id as string;
    const cases: Array<[Promise<Parameters<typeof expectError>[0]>, number, string]> = [
      [h.api('GET', '/api/departments'), 401, 'auth.required'],
      [h.api('POST', '/api/departments', { as: 'agent1', body: { code: 'x_y', name: 'x', kind: 'quality' } }), 403, 'auth.forbidden'],
      [h.api('GET', '/api/no-such-thing'), 404, 'request.not_found'],
      [h.api('DELETE', '/api/health'), 404, 'request.not_found'],
      [h.api('GET', '/api/departments/01900000-0000-7000-8000-000000000000', { as: 'admin' }), 404, 'org.department_not_found'],
      [h.api('GET', '/api/departments/not-a-uuid', { as: 'admin' }), 400, 'request.invalid'],
      [h.api('POST', '/api/departments', { as: 'admin', body: { code: 'quality', name: '质检', kind: 'quality' } }), 409, 'org.code_taken'],
      [h.api('POST', '/api/departments', { as: 'admin', body: { code: 'x_y', name: 'x', kind: 'quality', colour: 'red' } }), 400, 'request.unknown_field'],
      [h.api('PATCH', `/api/departments/${id}`, { as: 'admin', body: {} }), 400, 'request.invalid'],
      [h.api('POST', '/api/departments', { as: 'admin', body: '{"code":', headers: { 'content-type': 'application/json' } }), 400, 'request.malformed_json'],
      [h.api('POST', '/api/departments', { as: 'admin', body: 'code=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'request.unsupported_media_type'],
      [h.api('GET', '/api/realtime', { as: 'agent1' }), 426, 'realtime.upgrade_required'],
    ];
    for (const [pending, status, code] of cases) expectError(await pending, status, code);
  });

  it('X4: error messages follow Accept-Language: zh-CN by default, zh-TW and en on request', async () => {
    const body = { code: 'x_y', name: 'x', kind: 'quality', colour: 'red' };
    const say = async (lang?: string) => {
      const res = await h.api('POST', '/api/departments', { as: 'admin', body, headers: lang ? { 'accept-language': lang } : {} });
      return expectError(res, 400, 'request.unknown_field');
    };
    expect((await say()).message).toBe('不支持的字段：colour');
    expect((await say('zh-CN')).message).toBe('不支持的字段：colour');
    expect((await say('zh-TW')).message).toBe('不支援的欄位：colour');
    expect((await say('zh-HK,zh;q=0.8')).message).toBe('不支援的欄位：colour');
    expect((await say('en-US,en;q=0.9')).message).toBe('Unknown field: colour');
    expect((await say('fr-FR')).message).toBe('不支持的字段：colour');
    expect((await say('fr;q=1, en;q=0.5')).message).toBe('Unknown field: colour');
    expect((await say('en')).field).toBe('colour');

    // Validation messages come from the validator in the same three languages.
    const wrongType = (lang: string) => h.api('POST', '/api/departments', { as: 'admin', body: { code: 5, name: 'x', kind: 'quality' }, headers: { 'accept-language': lang } });
    const zh = expectError(await wrongType('zh-CN'), 400, 'request.invalid');
    const tw = expectError(await wrongType('zh-TW'), 400, 'request.invalid');
    const en = expectError(await wrongType('en'), 400, 'request.invalid');
    expect(zh.field).toBe('code');
    expect(zh.message).toMatch(/[\u4e00-\u9fff]/);
    expect(en.message).toMatch(/must be string/);
    expect(new Set([zh.message, tw.message, en.message]).size).toBe(3);

    // Domain and authentication errors too.
    const noAuth = (lang: string) => h.api('GET', '/api/auth/me', { headers: { 'accept-language': lang } });
    const messages = await Promise.all(['zh-CN', 'zh-TW', 'en'].map(async (l) => expectError(await noAuth(l), 401).message));
    expect(new Set(messages).size).toBe(3);
    const missing = await h.api('GET', '/api/departments/01900000-0000-7000-8000-000000000000', { as: 'admin', headers: { 'accept-language': 'en' } });
    expect(expectError(missing, 404).message).toMatch(/^[\x20-\x7e]+$/);
  });
});

describe('acceptance 3: rate limits', () => {
  it('too many requests answer 429 request.rate_limited with Retry-After, in the error shape', async () => {
    const limited = await createHarness({ config: { rateLimit: 5, loginRateLimit: 2 } });
    try {
      await limited.reset();
      const token = await limited.login('agent1');
      let last = await limited.api('GET', '/api/auth/me', { token });
      for (let i = 0; i < 10 && last.status !== 429; i++) last = await limited.api('GET', '/api/auth/me', { token });
      expectError(last, 429, 'request.rate_limited');
      expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);

      const attempt = () => limited.api('POST', '/api/auth/login', { body: { username: 'nobody-here', password: 'not-a-password' }, headers: { 'accept-language': 'en' } });
      let login = await attempt();
      for (let i = 0; i < 5 && login.status !== 429; i++) login = await attempt();
      expect(expectError(login, 429, 'request.rate_limited').message).toMatch(/^Too many requests/);
      // Health checks from a load balancer are never limited.
      expect((await limited.api('GET', '/api/health')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('acceptance 3: resource paths', () => {
  /** Paths that name one thing or an action by design; every other segment is a plural collection. */
  const SINGULAR = [
    '/api/auth/',
    '/api/health',
    '/api/audit',
    '/api/openapi.json',
    '/api/docs',
    '/api/realtime',
    '/api/policies/current',
    // The one live picture of the service a supervisor puts on the wall (R1).
    '/api/wallboard',
    // The caller's own agent state, like /api/auth/me.
    '/api/agent-states/me',
    // The PBX's protocol (docs/cti.md): its namespace, a call's one recording, and the click-to-call action.
    '/api/cti/',
    '/api/calls/:callId/recording',
    '/api/callbacks/:taskId/dial',
    // Web chat (docs/chat-widget.md): the visitors' socket, their namespace, and the agent's typing signal.
    '/api/chat/ws',
    '/api/chat/',
    '/api/conversations/:id/typing',
  ];
  /** Pages a browser loads by address: the web console (`/` leads to it), the chat widget script with its demo page, the emailed survey link and the help centre. */
  const PAGES = ['/', '/console', '/console/*', '/widget.js', '/demo/chat', '/feedback/:token', '/help', '/help/articles/:number'];
  /** Nouns whose plural is the word itself. */
  const UNCOUNTABLE = new Set(['staff', 'evidence']);
  const isPlural = (segment: string) => UNCOUNTABLE.has(segment) || /^[a-z]+(-[a-z]+)*s$/.test(segment);

  it('every route outside the pages is under /api, and its resource segments are kebab-case plural nouns', () => {
    const urls = [...new Set(h.kefu.routes.map((r) => r.url))];
    expect(urls.filter((u) => !PAGES.includes(u) && !u.startsWith('/api/'))).toEqual([]);
    const offending: string[] = [];
    for (const url of urls.filter((u) => u.startsWith('/api/'))) {
      const exempt = SINGULAR.find((p) => url === p || url.startsWith(p.endsWith('/') ? p : `${p}/`));
      const checked = exempt ? url.slice(exempt.length) : url.slice('/api'.length);
      if (exempt === '/api/auth/' || exempt === '/api/docs') continue;
      for (const segment of checked.split('/').filter(Boolean)) {
        if (!segment.startsWith(':') && !isPlural(segment)) offending.push(`${url} (${segment})`);
      }
    }
    expect(offending).toEqual([]);
    // The rule itself catches an accidental singular resource.
    expect(isPlural('department')).toBe(false);
    expect(isPlural('level-change')).toBe(false);
    expect(isPlural('level-changes')).toBe(true);
  });
});
