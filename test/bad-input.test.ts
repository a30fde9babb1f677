import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type Reply } from './support/kefu.ts';
import { expectError } from './support/errors.ts';
import { snapshotTables, type TableState } from './support/process.ts';

/**
 * Acceptance 10 / X5: bad input of every kind gets a 4xx with the error shape, never a 5xx, and
 * changes no row. Every test compares the content of every table (the audit log included)
 * before and after.
 */

let h: Harness;
let agent1: string;
let before: Record<string, TableState>;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());
beforeEach(async () => {
  await h.reset();
  await h.login('admin');
  agent1 = (await h.api('GET', '/api/staff?q=agent1', { as: 'admin' })).body.data[0].id;
  before = await snapshotTables(h.db.database.db);
});

const unchanged = async () => expect(await snapshotTables(h.db.database.db)).toEqual(before);

type Body = Record<string, unknown>;
interface Target {
  method: 'POST' | 'PATCH';
  url: () => string;
  /** A body this endpoint accepts; the bad ones below are variations of it. */
  valid: () => Body;
  /** Signed in as admin unless the endpoint is public. */
  as?: string;
}

const TARGETS: Record<string, Target> = {
  'POST /api/departments': {
    method: 'POST',
    url: () => '/api/departments',
    valid: () => ({ code: 'after_sales', name: '售后部', kind: 'customer_service', description: '售后服务' }),
    as: 'admin',
  },
  'POST /api/staff': {
    method: 'POST',
    url: () => '/api/staff',
    valid: () => ({ username: 'agent3', password: 'a-long-secret', displayName: '周敏', role: 'agent', employeeNo: 'E1003', email: 'zhou@example.com' }),
    as: 'admin',
  },
  'PATCH /api/staff/:id': {
    method: 'PATCH',
    url: () => `/api/staff/${agent1}`,
    valid: () => ({ displayName: '张伟伟', employeeNo: 'E1001' }),
    as: 'admin',
  },
  // An unknown username: a well-formed attempt writes nothing either.
  'POST /api/auth/login': {
    method: 'POST',
    url: () => '/api/auth/login',
    valid: () => ({ username: 'nobody-here', password: 'not-the-password' }),
  },
  'POST /api/policies': {
    method: 'POST',
    url: () => '/api/policies',
    valid: () => ({ note: '年度修订草稿' }),
    as: 'admin',
  },
  'POST /api/webhooks': {
    method: 'POST',
    url: () => '/api/webhooks',
    valid: () => ({ name: '工单系统', url: 'http://127.0.0.1:9/hook', eventTypes: ['staff.*'], active: true }),
    as: 'admin',
  },
  'POST /api/reveals': {
    method: 'POST',
    url: () => '/api/reveals',
    valid: () => ({ entityType: 'staff', entityId: agent1, field: 'phone', reason: '回拨核实身份' }),
    as: 'admin',
  },
  'POST /api/customers': {
    method: 'POST',
    url: () => '/api/customers',
    valid: () => ({ name: '张三', kind: 'person', phones: ['13812343836'], emails: ['zhang@example.com'], tags: ['老客户'] }),
    as: 'admin',
  },
};
const targets = Object.entries(TARGETS);

interface Send {
  body?: string | Buffer | Body | unknown[];
  /** Content type; `null` sends none. JSON by default. */
  type?: string | null;
  headers?: Record<string, string>;
  as?: string | null;
}

/** Sends one request and asserts the outcome is a 4xx with the error shape. */
async function bad(method: string, url: string, o: Send = {}, status?: number, code?: string): Promise<{ code: string; message: string; field?: string }> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.type !== null) headers['content-type'] = o.type ?? 'application/json';
  const payload = o.body === undefined || typeof o.body === 'string' || Buffer.isBuffer(o.body) ? o.body : JSON.stringify(o.body);
  const res: Reply = await h.api(method as 'POST', url, { ...(o.as ? { as: o.as } : {}), body: payload, headers });
  expect(res.status, `${method} ${url} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`).toBeLessThan(500);
  expect(res.status, `${method} ${url}`).toBeGreaterThanOrEqual(400);
  return expectError(res, status, code);
}

const send = (t: Target, o: Send, status?: number, code?: string) => bad(t.method, t.url(), { as: t.as, ...o }, status, code);

describe('the valid bodies the bad ones are made from', () => {
  it('X5: each target accepts its valid body, so every rejection below is caused by the bad part', async () => {
    for (const [name, t] of targets) {
      const res = await h.api(t.method, t.url(), { ...(t.as ? { as: t.as } : {}), body: t.valid() });
      if (name === 'POST /api/auth/login') expect(res.status, name).toBe(401);
      else expect(res.status, `${name}: ${JSON.stringify(res.body).slice(0, 300)}`).toBeLessThan(300);
    }
  });
});

describe('acceptance 10: malformed and mistyped bodies', () => {
  it('X5: malformed JSON is 400 request.malformed_json', async () => {
    const broken = ['{', '{"code":', "{'code':'x'}", '{"a":1,}', '{"a":1}}', 'undefined', 'NaN', '[1,2', '"unterminated', '{"a":1} trailing', '{a:1}', '\u0000', '{"a":"\u0001"}'];
    for (const [, t] of targets) {
      for (const body of broken) await send(t, { body }, 400, 'request.malformed_json');
      await send(t, { body: ' ' }, 400);
    }
    await unchanged();
  });

  it('X5: an empty body where one is required is 400', async () => {
    for (const [name, t] of targets) {
      await send(t, { body: '' }, 400, 'request.empty_body');
      // A new policy draft may start as a copy of the current version, so `{}` is a valid draft request.
      if (name !== 'POST /api/policies') await send(t, { body: '{}' }, 400, 'request.invalid');
    }
    await unchanged();
  });

  it('X5: wrong types ("12" for a number, a number for a string, an array for an object) are 400 naming the field', async () => {
    const wrong = (v: unknown): unknown[] => {
      if (typeof v === 'string') return [12, 12.5, true, [], {}, [v]];
      if (typeof v === 'boolean') return ['true', 1, 0, [], {}];
      if (Array.isArray(v)) return [v[0], {}, 12, [12], [[v[0]]]];
      return [String(v)];
    };
    for (const [name, t] of targets) {
      const valid = t.valid();
      for (const [key, value] of Object.entries(valid)) {
        for (const w of wrong(value)) {
          const err = await send(t, { body: { ...valid, [key]: w } }, 400, 'request.invalid');
          expect(err.field?.split('.')[0], `${name} ${key}=${JSON.stringify(w)}`).toBe(key);
        }
      }
      for (const whole of [[], [valid], 'valid', 12, null, true]) {
        const err = await send(t, { body: JSON.stringify(whole) }, 400, 'request.invalid');
        expect(err.field, `${name} body=${JSON.stringify(whole)}`).toBe('body');
      }
    }
    await unchanged();
  });

  it('X5: a wrong type deep inside a policy document is 400 with the path of the field', async () => {
    const current = await h.api('GET', '/api/policies/current', { as: 'admin' });
    const document = current.body.document;
    const path = numberLeaf(document);
    expect(path).not.toBeNull();
    for (const w of ['12', null, [], {}, true, 1e400]) {
      const body = JSON.stringify({ document: setAt(structuredClone(document), path!, w === 1e400 ? '__INF__' : w) }).replace('"__INF__"', '1e400');
      const err = await bad('POST', '/api/policies', { as: 'admin', body }, 400);
      expect(err.field, JSON.stringify(w)).toBe(['document', ...path!].join('.'));
    }
    const extra = structuredClone(document);
    extra.organisation.rogue = true;
    const err = await bad('POST', '/api/policies', { as: 'admin', body: { document: extra } }, 400, 'request.unknown_field');
    expect(err.field).toBe('document.organisation.rogue');
    await unchanged();
  });

  it('X5: unknown fields are 400 request.unknown_field naming the field', async () => {
    for (const [name, t] of targets) {
      for (const extra of ['isAdmin', 'Code', 'id', 'createdAt', '']) {
        const err = await send(t, { body: { ...t.valid(), [extra]: 1 } }, 400, 'request.unknown_field');
        expect(err.field, `${name} ${extra}`).toBe(extra || 'body');
      }
    }
    await unchanged();
  });

  it('X5: huge numbers are refused wherever a number does not belong', async () => {
    for (const [, t] of targets) {
      const valid = t.valid();
      const key = Object.keys(valid)[0]!;
      for (const n of ['1e400', '-1e400', '9'.repeat(5000), '1e-400', '123456789012345678901234567890']) {
        const body = JSON.stringify({ ...valid, [key]: '__N__' }).replace('"__N__"', n);
        await send(t, { body }, 400, 'request.invalid');
      }
    }
    for (const limit of ['1e400', '99999999999999999999999', 'Infinity', 'NaN', '0x10', '1e2']) {
      const err = await bad('GET', `/api/staff?limit=${limit}`, { as: 'admin', type: null }, 400);
      expect(err.field).toBe('limit');
    }
    await unchanged();
  });

  it('X5: deeply nested JSON is refused without a crash', async () => {
    for (const [, t] of targets) {
      for (const depth of [1_000, 100_000]) {
        await send(t, { body: `${'['.repeat(depth)}${']'.repeat(depth)}` }, 400);
        await send(t, { body: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` }, 400);
        const inner = `${'{"x":'.repeat(depth)}1${'}'.repeat(depth)}`;
        const valid = JSON.stringify(t.valid());
        await send(t, { body: `${valid.slice(0, -1)},"nested":${inner}}` }, 400);
      }
    }
    await unchanged();
  });

  it('X5: __proto__ and constructor.prototype keys are refused and pollute nothing', async () => {
    for (const [, t] of targets) {
      const valid = JSON.stringify(t.valid()).slice(1, -1);
      await send(t, { body: `{"__proto__":{"role":"admin","isAdmin":true},${valid}}` }, 400);
      await send(t, { body: `{${valid},"constructor":{"prototype":{"isAdmin":true}}}` }, 400);
      await send(t, { body: `{${valid},"x":{"__proto__":{"isAdmin":true}}}` }, 400);
    }
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).role).toBeUndefined();
    await unchanged();
  });
});

describe('acceptance 10: size, content type and encoding', () => {
  it('X5: a body over 1 MB is 413 request.too_large', async () => {
    for (const [, t] of targets) {
      const valid = t.valid();
      const key = Object.keys(valid).find((k) => typeof valid[k] === 'string')!;
      await send(t, { body: { ...valid, [key]: 'x'.repeat(1_100_000) } }, 413, 'request.too_large');
      await send(t, { body: randomBytes(2 * 1024 * 1024) }, 413, 'request.too_large');
      await send(t, { body: 'x'.repeat(1_100_000), type: 'text/plain' });
    }
    await unchanged();
  });

  it('X5: a body over 1 MB sent chunked, without a length, is cut off with 413', async () => {
    await h.kefu.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.kefu.app.server.address() as AddressInfo;
    const token = await h.login('admin');
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/api/departments', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      // The server may answer and close before the client has sent everything.
      req.on('error', (err) => (String((err as NodeJS.ErrnoException).code).match(/EPIPE|ECONNRESET/) ? undefined : reject(err)));
      req.write('{"code":"big_one","kind":"quality","name":"');
      const chunk = 'x'.repeat(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 2 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end('"}');
      };
      pump();
    });
    expect(status).toBe(413);
    await unchanged();
  });

  it('X5: bodies that are not JSON are 415 request.unsupported_media_type', async () => {
    const types = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz', 'application/xml', 'application/octet-stream', 'application/jsonp', 'json', 'image/png'];
    for (const [, t] of targets) {
      const json = JSON.stringify(t.valid());
      for (const type of types) await send(t, { body: json, type }, 415, 'request.unsupported_media_type');
      await send(t, { body: json, type: null }, 415, 'request.unsupported_media_type');
      await send(t, { body: 'code=x&name=y', type: 'application/x-www-form-urlencoded' }, 415, 'request.unsupported_media_type');
    }
    await unchanged();
  });

  it('X5: random bytes are 400 as JSON and 415 as application/octet-stream', async () => {
    for (const [, t] of targets) {
      for (let i = 0; i < 15; i++) {
        const bytes = randomBytes(1 + ((i * 997) % 8192));
        await send(t, { body: bytes }, 400);
        await send(t, { body: bytes, type: 'application/octet-stream' }, 415, 'request.unsupported_media_type');
      }
    }
    await unchanged();
  });

  it('X5: invalid UTF-8 is refused rather than stored as replacement characters', async () => {
    const invalid = [
      Buffer.from([0xff, 0xfe]),
      Buffer.from([0xc3, 0x28]), // a lead byte without its continuation
      Buffer.from([0xc0, 0xaf]), // an overlong "/"
      Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate
      Buffer.from([0xe4, 0xb8]), // 中 cut short
      Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
    ];
    for (const [, t] of targets) {
      const valid = t.valid();
      const key = Object.keys(valid).find((k) => typeof valid[k] === 'string')!;
      const [head, tail] = JSON.stringify({ ...valid, [key]: '__X__' }).split('__X__') as [string, string];
      for (const bytes of invalid) {
        await send(t, { body: Buffer.concat([Buffer.from(head), Buffer.from('名'), bytes, Buffer.from(tail)]) }, 400, 'request.malformed_json');
      }
    }
    await unchanged();
  });

  it('X5: text that cannot be stored (NUL, lone surrogates) is 400 naming the field', async () => {
    for (const [name, t] of targets) {
      const valid = t.valid();
      for (const key of Object.keys(valid).filter((k) => typeof valid[k] === 'string')) {
        for (const escaped of ['a\\u0000b', '\\ud800', 'x\\udfffy']) {
          const body = JSON.stringify({ ...valid, [key]: '__X__' }).replace('__X__', escaped);
          const err = await send(t, { body }, 400);
          expect(err.field, `${name} ${key}=${escaped}`).toBe(key);
        }
      }
    }
    await unchanged();
  });
});

describe('acceptance 10: SQL-looking input', () => {
  const SQL = [`'; drop table staff; --`, `' OR 1=1 --`, `" OR ""="`, `1; delete from departments`, `admin'--`, `') ; truncate audit_log cascade; --`, `$1`, `\\'; select pg_sleep(10); --`];

  it('X5: SQL in any string field is refused or stored verbatim, and never runs', async () => {
    const counts = (s: Record<string, TableState>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.rows]));
    const start = counts(before);
    // Unique fields get a fresh value each time, so an accepted SQL string is never refused as a duplicate.
    const UNIQUE: Record<string, string> = { 'POST /api/departments': 'code', 'POST /api/staff': 'username' };
    let n = 0;
    let staffCreated = 0;
    for (const [name, t] of targets) {
      const valid = t.valid();
      for (const key of Object.keys(valid)) {
        const values = typeof valid[key] === 'string' ? SQL : Array.isArray(valid[key]) ? SQL.map((s) => [s]) : [];
        for (const value of values) {
          const unique = UNIQUE[name];
          const body = { ...valid, ...(unique && unique !== key ? { [unique]: `sql_probe_${n++}` } : {}), [key]: value };
          const res = await h.api(t.method, t.url(), { ...(t.as ? { as: t.as } : {}), body });
          expect(res.status, `${name} ${key}=${JSON.stringify(value)} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`).toBeLessThan(500);
          if (res.status >= 400) {
            expectError(res);
            continue;
          }
          if (name === 'POST /api/staff') staffCreated++;
          // Accepted: the text is data, echoed exactly as sent.
          if (key in res.body && !['password', 'reason'].includes(key)) expect(res.body[key], `${name} ${key}`).toEqual(value);
        }
      }
    }
    const after = counts(await snapshotTables(h.db.database.db));
    expect(Object.keys(after)).toEqual(Object.keys(start));
    // Accepted requests only ever add rows (or update agent1); nothing was dropped, deleted or truncated.
    for (const [table, n] of Object.entries(start)) expect(after[table], table).toBeGreaterThanOrEqual(n);
    expect(staffCreated).toBeGreaterThan(0);
    expect(after.staff).toBe(start.staff! + staffCreated);
    for (const username of ['admin', 'agent2', 'qa1']) expect((await h.api('POST', '/api/auth/login', { body: { username, password: 'kefu-demo' } })).status).toBe(200);
  });

  it('X5: SQL in query strings and path params matches nothing and changes nothing', async () => {
    for (const s of SQL) {
      const q = encodeURIComponent(s);
      const staffList = await h.api('GET', `/api/staff?q=${q}`, { as: 'admin' });
      expect(staffList.status, s).toBe(200);
      expect(staffList.body.data, s).toEqual([]);
      for (const filter of ['entityType', 'entityId', 'action', 'actorId']) {
        const audit = await h.api('GET', `/api/audit?${filter}=${q}`, { as: 'admin' });
        expect(audit.status, `${filter}=${s}`).toBeLessThan(500);
        if (audit.status === 200) expect(audit.body.data, `${filter}=${s}`).toEqual([]);
        else expectError(audit, 400);
      }
      await bad('GET', `/api/departments?kind=${q}`, { as: 'admin', type: null }, 400);
      await bad('GET', `/api/staff?cursor=${q}`, { as: 'admin', type: null }, 400, 'request.invalid_cursor');
      await bad('GET', `/api/staff/${q}`, { as: 'admin', type: null }, 400);
      await bad('PATCH', `/api/staff/${q}`, { as: 'admin', body: { displayName: 'x' } }, 400);
      await bad('DELETE', `/api/departments/${q}`, { as: 'admin', type: null }, 400);
      await bad('POST', `/api/policies/${q}/approvals`, { as: 'admin', type: null }, 400);
    }
    await unchanged();
  });
});

describe('acceptance 10: bad path params, unknown routes and methods', () => {
  it('X5: path params that are not UUIDs are 400 (or 404 when too long to route), well-formed unknown ones 404', async () => {
    const ids = ['', 'not-a-uuid', '1', '-1', '0', 'null', 'undefined', '%00', '%E4%B8%AD', '%7Bid%7D', ':id', '01900000-0000-7000-8000-00000000000G', '01900000-0000-7000-8000-000000000000%20', '%7B01900000-0000-7000-8000-000000000000%7D', '..%2F..%2Fetc%2Fpasswd'];
    const routes: Array<[string, (id: string) => string, Body | undefined]> = [
      ['GET', (id) => `/api/departments/${id}`, undefined],
      ['PATCH', (id) => `/api/staff/${id}`, { displayName: 'x' }],
      ['DELETE', (id) => `/api/webhooks/${id}`, undefined],
      ['POST', (id) => `/api/staff/${id}/level-changes`, { level: 'senior', reason: '晋升' }],
      ['POST', (id) => `/api/policies/${id}/publications`, undefined],
    ];
    for (const [method, url, body] of routes) {
      for (const id of ids) {
        const err = await bad(method, url(id), { as: 'admin', ...(body ? { body } : { type: null }) }, 400, 'request.invalid');
        expect(err.field, `${method} ${url(id)}`).toBe('id');
      }
      await bad(method, url('x'.repeat(300)), { as: 'admin', ...(body ? { body } : { type: null }) }, 404);
      await bad(method, url('01900000-0000-7000-8000-000000000000'), { as: 'admin', ...(body ? { body } : { type: null }) }, 404);
    }
    await unchanged();
  });

  it('X5: unknown routes and methods are 404 request.not_found, whoever asks and whatever the body', async () => {
    const cases: Array<[string, string]> = [
      ['GET', '/api/nope'],
      ['POST', '/api/nope'],
      ['GET', '/api/department'],
      ['GET', '/API/DEPARTMENTS'],
      ['GET', '/api/%zz'],
      ['GET', '/api/departments/%E0%A4%A'],
      ['PUT', '/api/departments'],
      ['PATCH', '/api/departments'],
      ['DELETE', '/api/staff'],
      ['PUT', `/api/staff/01900000-0000-7000-8000-000000000000`],
      ['DELETE', '/api/auth/login'],
      ['GET', '/api/auth/login'],
      ['POST', '/api/health'],
      ['OPTIONS', '/api/departments'],
      ['GET', '/api/departments/01900000-0000-7000-8000-000000000000/nope'],
      ['GET', '/api/%2e%2e/%2e%2e/etc/passwd'],
      ['GET', '/.env'],
      ['GET', `/api/${'a'.repeat(5000)}`],
    ];
    for (const [method, url] of cases) {
      for (const as of [null, 'admin']) {
        await bad(method, url, { as, type: null }, 404, 'request.not_found');
        await bad(method, url, { as, body: '{broken' }, 404, 'request.not_found');
        await bad(method, url, { as, body: 'x'.repeat(1_100_000), type: 'text/plain' }, 404, 'request.not_found');
      }
    }
    await unchanged();
  });

  it('O2: a caller without the right is refused before the body is read, whatever it sent', async () => {
    await h.login('partner1');
    before = await snapshotTables(h.db.database.db);
    for (const [name, t] of targets.filter(([, t]) => t.as)) {
      for (const body of ['{broken', JSON.stringify({ ...t.valid(), rogue: 1 })]) {
        await send(t, { body, as: null }, 401, 'auth.required');
        const denied = await send(t, { body, as: 'partner1' }, 403);
        expect(denied.code, name).toBe('auth.forbidden');
      }
      await send(t, { body: 'x'.repeat(1_100_000), as: null }, 401, 'auth.required');
    }
    await unchanged();
  });
});

/** The path of the first number in a document, e.g. ['sla', 'firstResponse', 'value']. */
function numberLeaf(doc: unknown, path: string[] = []): string[] | null {
  if (typeof doc === 'number') return path;
  if (doc && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) {
      const found = numberLeaf(v, [...path, k]);
      if (found) return found;
    }
  }
  return null;
}

function setAt(doc: any, path: string[], value: unknown): any {
  let node = doc;
  for (const k of path.slice(0, -1)) node = node[k];
  node[path[path.length - 1]!] = value;
  return doc;
}
