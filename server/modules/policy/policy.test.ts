import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { query } from '../../db/client.ts';
import { initOrganisation } from '../../presets/load.ts';
import { PRESET_NAMES } from '../../presets/index.ts';
import { createHarness, DEMO_PASSWORD, type Harness } from '../../../test/support/kefu.ts';
import type { PolicyDocument } from './document.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

async function current(): Promise<{ id: string; version: number; document: PolicyDocument }> {
  const res = await h.api('GET', '/api/policies/current', { as: 'agent1' });
  expect(res.status).toBe(200);
  return res.body;
}

async function staffId(username: string): Promise<string> {
  return (await h.api('GET', `/api/staff?q=${username}`, { as: 'admin' })).body.data[0].id;
}

async function tableCounts(): Promise<Record<string, number>> {
  const tables = await query<{ tablename: string }>(h.db.database.db, sql`select tablename from pg_tables where schemaname = 'public' order by 1`);
  const counts: Record<string, number> = {};
  for (const { tablename } of tables) {
    const [row] = await query<{ n: number }>(h.db.database.db, sql.raw(`select count(*)::int as n from "${tablename}"`));
    counts[tablename] = row!.n;
  }
  return counts;
}

describe('E4 policy versions: draft → approved → published', () => {
  it('E4: the preset is loaded as version 1, published, with the seed clauses behind its numbers', async () => {
    const policy = await current();
    expect(policy).toMatchObject({ version: 1, status: 'published', preset: 'call-center' });
    expect(policy.document.sla.phone.greetingSeconds).toEqual({
      value: 30,
      source: { seed: '002', clause: '1.4.3', quote: '接听电话后30秒内应问候客户' },
    });
  });

  it('E4: a manager drafts, an administrator approves and publishes; each step records who and when', async () => {
    const v1 = await current();
    const draft = await h.api('POST', '/api/policies', { as: 'manager1', body: { note: '问候时限收紧到 25 秒' } });
    expect(draft.status).toBe(201);
    expect(draft.body).toMatchObject({ version: 2, status: 'draft', basedOn: v1.id, createdBy: await staffId('manager1') });

    const doc = structuredClone(draft.body.document) as PolicyDocument;
    doc.sla.phone.greetingSeconds = { value: 25, source: 'default' };
    const edited = await h.api('PATCH', `/api/policies/${draft.body.id}`, { as: 'manager1', body: { document: doc } });
    expect(edited.status).toBe(200);
    expect(edited.body.document.sla.phone.greetingSeconds.value).toBe(25);
    // Until it is published, the rules still run by version 1.
    expect((await current()).document.sla.phone.greetingSeconds.value).toBe(30);

    h.clock.advance(60_000);
    const approved = await h.api('POST', `/api/policies/${draft.body.id}/approvals`, { as: 'admin' });
    expect(approved.status).toBe(201);
    expect(approved.body).toMatchObject({ status: 'approved', approvedBy: await staffId('admin'), approvedAt: h.clock.now().toISOString() });

    h.clock.advance(60_000);
    const published = await h.api('POST', `/api/policies/${draft.body.id}/publications`, { as: 'admin' });
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ status: 'published', publishedAt: h.clock.now().toISOString() });
    const now = await current();
    expect(now.version).toBe(2);
    expect(now.document.sla.phone.greetingSeconds.value).toBe(25);
    expect((await h.api('GET', `/api/policies/${v1.id}`, { as: 'agent1' })).body).toMatchObject({ status: 'retired', retiredAt: h.clock.now().toISOString() });

    const audit = await h.api('GET', `/api/audit?entityType=policy&entityId=${draft.body.id}`, { as: 'admin' });
    expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual(['update', 'update', 'update', 'create']);
  });

  it('E4: a rejected version returns to its author as a draft with the comment, and can then be approved', async () => {
    const draft = await h.api('POST', '/api/policies', { as: 'manager1', body: {} });
    const rejected = await h.api('POST', `/api/policies/${draft.body.id}/rejections`, { as: 'admin', body: { comment: '抽样率不能低于 10%' } });
    expect(rejected.status).toBe(201);
    expect(rejected.body).toMatchObject({ status: 'draft', rejectionComment: '抽样率不能低于 10%', rejectedBy: await staffId('admin') });
    expect((await h.api('POST', `/api/policies/${draft.body.id}/approvals`, { as: 'admin' })).status).toBe(201);
  });

  it('E4: steps out of order are refused, and an approved version can no longer be edited', async () => {
    const draft = await h.api('POST', '/api/policies', { as: 'manager1', body: {} });
    const early = await h.api('POST', `/api/policies/${draft.body.id}/publications`, { as: 'admin' });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('policy.invalid_transition');
    await h.api('POST', `/api/policies/${draft.body.id}/approvals`, { as: 'admin' });
    const edit = await h.api('PATCH', `/api/policies/${draft.body.id}`, { as: 'manager1', body: { note: '再改一下' } });
    expect(edit.status).toBe(409);
    const v1 = await current();
    expect((await h.api('POST', `/api/policies/${v1.id}/approvals`, { as: 'admin' })).status).toBe(409);
  });

  it('E4: only one version can be open at a time', async () => {
    expect((await h.api('POST', '/api/policies', { as: 'manager1', body: {} })).status).toBe(201);
    const second = await h.api('POST', '/api/policies', { as: 'admin', body: {} });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('policy.open_version_exists');
  });

  it('PR1: a document that breaks the schema or its own references is refused with the field at fault', async () => {
    const draft = await h.api('POST', '/api/policies', { as: 'manager1', body: {} });
    const doc = structuredClone(draft.body.document) as PolicyDocument;

    const outOfRange = structuredClone(doc);
    outOfRange.quality.samplingRate.value = 2;
    const r1 = await h.api('PATCH', `/api/policies/${draft.body.id}`, { as: 'manager1', body: { document: outOfRange } });
    expect(r1.status).toBe(400);
    expect(r1.body.error.field).toBe('document.quality.samplingRate.value');

    const weights = structuredClone(doc);
    weights.kpi.weights[0]!.weight.value = 99;
    const r2 = await h.api('PATCH', `/api/policies/${draft.body.id}`, { as: 'manager1', body: { document: weights } });
    expect(r2.status).toBe(400);
    expect(r2.body.error).toMatchObject({ code: 'policy.invalid_document', field: 'document.kpi.weights' });

    const chain = structuredClone(doc);
    chain.complaints.approvalChain.value = ['no_such_department'];
    const r3 = await h.api('PATCH', `/api/policies/${draft.body.id}`, { as: 'manager1', body: { document: chain } });
    expect(r3.status).toBe(400);
    expect(r3.body.error.field).toBe('document.complaints.approvalChain.0');

    const unsourced = structuredClone(doc) as unknown as { sla: { chat: { firstResponseSeconds: unknown } } };
    unsourced.sla.chat.firstResponseSeconds = 30;
    const r4 = await h.api('PATCH', `/api/policies/${draft.body.id}`, { as: 'manager1', body: { document: unsourced } });
    expect(r4.status).toBe(400);

    // Nothing of the refused edits stuck.
    const after = await h.api('GET', `/api/policies/${draft.body.id}`, { as: 'manager1' });
    expect(after.body.document).toEqual(doc);
  });

  it('O2: every service role reads the regulation; only managers draft, only general managers and admins approve', async () => {
    expect((await h.api('GET', '/api/policies/current', { as: 'agent2' })).status).toBe(200);
    expect((await h.api('GET', '/api/policies/current', { as: 'partner1' })).status).toBe(403);
    expect((await h.api('POST', '/api/policies', { as: 'lead1', body: {} })).status).toBe(403);
    const draft = await h.api('POST', '/api/policies', { as: 'manager1', body: {} });
    expect((await h.api('POST', `/api/policies/${draft.body.id}/approvals`, { as: 'manager1' })).status).toBe(403);
  });

  it('the version list pages from newest to oldest', async () => {
    for (let i = 0; i < 2; i++) {
      const d = await h.api('POST', '/api/policies', { as: 'manager1', body: {} });
      await h.api('POST', `/api/policies/${d.body.id}/approvals`, { as: 'admin' });
      await h.api('POST', `/api/policies/${d.body.id}/publications`, { as: 'admin' });
    }
    const first = await h.api('GET', '/api/policies?limit=2', { as: 'agent1' });
    expect(first.body.data.map((v: { version: number; status: string }) => [v.version, v.status])).toEqual([
      [3, 'published'],
      [2, 'retired'],
    ]);
    const second = await h.api('GET', `/api/policies?limit=2&cursor=${first.body.nextCursor}`, { as: 'agent1' });
    expect(second.body.data.map((v: { version: number }) => v.version)).toEqual([1]);
    expect(second.body.nextCursor).toBeNull();
  });
});

describe('PR1 loading presets', () => {
  it('PR1: loading the same preset again changes nothing', async () => {
    const before = await tableCounts();
    const again = await initOrganisation(h.db.database.db, h.clock, { preset: 'call-center', demo: true, demoPassword: DEMO_PASSWORD, adminPassword: null });
    expect(again.created).toBe(false);
    expect(await tableCounts()).toEqual(before);
  });

  it('PR1: an unknown preset is refused with the list of the five', async () => {
    await expect(initOrganisation(h.db.database.db, h.clock, { preset: 'bank', demo: true, demoPassword: 'x', adminPassword: null })).rejects.toMatchObject({
      code: 'preset.unknown',
      message: expect.stringContaining('consumer-electronics, short-drama, call-center, ecommerce, manufacturing-b2b'),
    });
  });

  it('PR1: a different preset cannot be loaded over an initialised organisation', async () => {
    await expect(initOrganisation(h.db.database.db, h.clock, { preset: 'ecommerce', demo: true, demoPassword: 'x', adminPassword: null })).rejects.toMatchObject({
      code: 'preset.already_initialised',
    });
  });

  it('PR1: the five presets are listed for administrators', async () => {
    const res = await h.api('GET', '/api/presets', { as: 'admin' });
    expect(res.body.data.map((p: { name: string }) => p.name)).toEqual(PRESET_NAMES);
    expect((await h.api('GET', '/api/presets', { as: 'agent1' })).status).toBe(403);
  });

  for (const name of PRESET_NAMES) {
    it(`PR1: ${name} loads with its departments, its published policy and a working demo login per role`, async () => {
      await h.reset(name);
      const policy = await h.api('GET', '/api/policies/current', { as: 'manager1' });
      expect(policy.body).toMatchObject({ preset: name, version: 1, status: 'published' });
      const depts = await h.api('GET', '/api/departments?limit=200', { as: 'admin' });
      expect(depts.body.data.map((d: { code: string }) => d.code).sort()).toEqual(policy.body.document.organisation.departments.map((d: { code: string }) => d.code).sort());
      const partner = await h.api('GET', '/api/auth/me', { as: 'partner1' });
      const dept = depts.body.data.find((d: { id: string }) => d.id === partner.body.departmentId);
      expect(dept.isPartner).toBe(true);
      const roles = new Set<string>();
      for (const u of ['admin', 'manager1', 'lead1', 'agent1', 'agent2', 'qa1', 'trainer1', 'engineer1', 'partner1']) {
        roles.add((await h.api('GET', '/api/auth/me', { as: u })).body.role);
      }
      expect([...roles].sort()).toEqual(['admin', 'agent', 'engineer', 'manager', 'partner', 'qa', 'team_lead', 'trainer']);
    });
  }
});
