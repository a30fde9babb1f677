import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InjectOptions } from 'fastify';
import { buildKefu, type Kefu } from '../../server/app.ts';
import { loadConfig, type Config } from '../../server/config.ts';
import { ManualClock } from '../../server/platform/clock.ts';
import type { PolicyDocument } from '../../server/modules/policy/document.ts';
import { initOrganisation } from '../../server/presets/load.ts';
import { openTestDatabase, type TestDatabase } from './db.ts';

export const DEMO_PASSWORD = 'kefu-demo';

/** Files written by tests (attachments, imports) go to one temporary directory per test process. */
const testDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kefu-test-'));

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({ KEFU_DATA_DIR: testDataDir, KEFU_LOG_LEVEL: 'silent', KEFU_RATE_LIMIT: '0', KEFU_LOGIN_RATE_LIMIT: '100000', KEFU_NODE_ID: 'test-node' } as NodeJS.ProcessEnv),
    ...overrides,
  };
}

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

export interface Harness {
  kefu: Kefu;
  clock: ManualClock;
  db: TestDatabase;
  /** Empties the database and loads the preset with demo accounts again. */
  reset(preset?: string): Promise<void>;
  /** Signs in a demo account (password kefu-demo); tokens are cached until the next reset. */
  login(username: string): Promise<string>;
  /** Calls the API; `as` signs in that demo user first, `token` uses a token as given. */
  api<T = any>(method: InjectOptions['method'], url: string, opts?: { as?: string; token?: string; body?: unknown; headers?: Record<string, string> }): Promise<Reply<T>>;
  /** Drafts a new policy version from the current one, lets `edit` change it, then approves and publishes it (as the admin). */
  publishPolicy(note: string, edit: (doc: PolicyDocument) => void): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  config?: Partial<Config>;
  /** Start the event bus (LISTEN, no polling) so realtime pushes and consumers run. */
  bus?: boolean;
}

/** One Kefu per test file, on one database, reset between tests. */
export async function createHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const db = await openTestDatabase();
  const clock = new ManualClock();
  const config = testConfig(opts.config);
  const kefu = await buildKefu({ config, database: db.database, clock, logger: false });
  if (opts.bus) await kefu.startWorkers({ pollMs: null, jobs: false });
  let tokens = new Map<string, string>();

  const h: Harness = {
    kefu,
    clock,
    db,
    async reset(preset = 'call-center') {
      await db.reset();
      tokens = new Map();
      clock.set('2026-03-02T09:00:00+08:00');
      await initOrganisation(db.database.db, clock, { preset, demo: true, demoPassword: DEMO_PASSWORD, adminPassword: null });
      if (opts.bus) await kefu.bus.drain();
    },
    async login(username) {
      const cached = tokens.get(username);
      if (cached) return cached;
      const res = await kefu.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: DEMO_PASSWORD } });
      if (res.statusCode !== 200) throw new Error(`login ${username} failed: ${res.statusCode} ${res.body}`);
      const token = (res.json() as { token: string }).token;
      tokens.set(username, token);
      return token;
    },
    async api(method, url, o = {}) {
      const token = o.token ?? (o.as ? await h.login(o.as) : undefined);
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await kefu.app.inject({ method, url, headers, ...(o.body !== undefined ? { payload: o.body as InjectOptions['payload'] } : {}) });
      let body: unknown = res.body;
      try {
        body = res.body ? JSON.parse(res.body) : null;
      } catch {
        // not JSON (HTML, empty): keep the text
      }
      return { status: res.statusCode, body, headers: res.headers } as Reply;
    },
    async publishPolicy(note, edit) {
      const draft = await h.api('POST', '/api/policies', { as: 'admin', body: { note } });
      if (draft.status !== 201) throw new Error(`draft failed: ${draft.status} ${JSON.stringify(draft.body)}`);
      const doc = structuredClone(draft.body.document) as PolicyDocument;
      edit(doc);
      for (const [method, url, body] of [
        ['PATCH', `/api/policies/${draft.body.id}`, { document: doc }],
        ['POST', `/api/policies/${draft.body.id}/approvals`, undefined],
        ['POST', `/api/policies/${draft.body.id}/publications`, undefined],
      ] as const) {
        const res = await h.api(method, url, { as: 'admin', body });
        if (res.status >= 300) throw new Error(`${method} ${url} failed: ${res.status} ${JSON.stringify(res.body)}`);
      }
    },
    async close() {
      await kefu.close();
      await db.close();
    },
  };
  return h;
}
