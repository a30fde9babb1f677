import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/columns.ts';
import type { Ctx } from '../../platform/context.ts';
import { defineErrors } from '../../platform/errors.ts';
import { declareEventTypes, type Audience } from '../../platform/events/outbox.ts';
import { Nullable, Timestamp, Uuid, iso, isoOrNull } from '../../platform/http/schemas.ts';
import { write, type Writer } from '../../platform/write.ts';
import { PolicyDocument } from './document.ts';
import { policies } from './schema.ts';

export const PolicyError = defineErrors('policy', {
  not_found: [404, { 'zh-CN': '制度版本不存在', 'zh-TW': '制度版本不存在', en: 'Policy version not found' }],
  none_published: [404, { 'zh-CN': '尚未发布任何制度', 'zh-TW': '尚未發佈任何制度', en: 'No policy has been published yet' }],
  invalid_document: [400, { 'zh-CN': '制度内容不正确：{detail}', 'zh-TW': '制度內容不正確：{detail}', en: 'The policy document is invalid: {detail}' }],
  invalid_transition: [409, { 'zh-CN': '当前状态为“{status}”，不能{action}', 'zh-TW': '目前狀態為「{status}」，不能{action}', en: 'A {status} version cannot be {action}' }],
  open_version_exists: [409, { 'zh-CN': '已有未发布的版本 v{version}，请先完成或修改该版本', 'zh-TW': '已有未發佈的版本 v{version}，請先完成或修改該版本', en: 'Version v{version} is still open; finish or edit it first' }],
});

declareEventTypes({
  'policy.drafted': '制度新版本草稿已创建',
  'policy.updated': '制度草稿已修改',
  'policy.approved': '制度版本已审批通过',
  'policy.rejected': '制度版本被驳回',
  'policy.published': '制度版本已发布（此后所有规则按新版本执行）',
});

export const POLICY_STATUSES = ['draft', 'approved', 'published', 'retired'] as const;
type PolicyStatus = (typeof POLICY_STATUSES)[number];
const STATUS_LABELS: Record<PolicyStatus, string> = { draft: '草稿', approved: '已审批', published: '已发布', retired: '已废止' };
const AUDIENCE: Audience = { permissions: ['policy.read'] };

export const PolicyVersionSummary = Type.Object(
  {
    id: Uuid,
    version: Type.Integer(),
    status: Type.Union(POLICY_STATUSES.map((s) => Type.Literal(s))),
    preset: Type.String(),
    note: Nullable(Type.String()),
    basedOn: Nullable(Uuid),
    createdBy: Nullable(Uuid),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    approvedBy: Nullable(Uuid),
    approvedAt: Nullable(Timestamp),
    rejectedBy: Nullable(Uuid),
    rejectedAt: Nullable(Timestamp),
    rejectionComment: Nullable(Type.String()),
    publishedBy: Nullable(Uuid),
    publishedAt: Nullable(Timestamp),
    retiredAt: Nullable(Timestamp),
  },
  { title: 'PolicyVersionSummary' },
);
export const PolicyVersion = Type.Composite([PolicyVersionSummary, Type.Object({ document: PolicyDocument })], { title: 'PolicyVersion' });
type Summary = Static<typeof PolicyVersionSummary>;

type Row = typeof policies.$inferSelect;

export function summaryView(r: Row): Summary {
  const { document: _document, ...rest } = r;
  return {
    ...rest,
    status: r.status as PolicyStatus,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    approvedAt: isoOrNull(r.approvedAt),
    rejectedAt: isoOrNull(r.rejectedAt),
    publishedAt: isoOrNull(r.publishedAt),
    retiredAt: isoOrNull(r.retiredAt),
  };
}

export function versionView(r: Row): Static<typeof PolicyVersion> {
  return { ...summaryView(r), document: r.document as PolicyDocument };
}

/** Rules the schema cannot express: references between sections and sums. */
export function checkPolicy(doc: PolicyDocument): Array<{ field: string; detail: string }> {
  const problems: Array<{ field: string; detail: string }> = [];
  const dup = (codes: string[], field: string) => {
    const seen = new Set<string>();
    for (const c of codes) {
      if (seen.has(c)) problems.push({ field, detail: `编码 ${c} 重复` });
      seen.add(c);
    }
  };
  const depts = doc.organisation.departments;
  dup(depts.map((d) => d.code), 'organisation.departments');
  const teamCodes = depts.flatMap((d) => d.teams.map((t) => t.code));
  dup(teamCodes, 'organisation.departments.teams');
  dup(doc.problemTypes.map((p) => p.code), 'problemTypes');
  dup(doc.businessDomains.map((b) => b.code), 'businessDomains');
  dup(doc.shifts.definitions.map((s) => s.code), 'shifts.definitions');
  dup(doc.emergencyPlans.map((p) => p.code), 'emergencyPlans');
  dup(doc.fines.rules.map((r) => r.code), 'fines.rules');
  dup(doc.kpi.weights.map((k) => k.kpi), 'kpi.weights');

  const weightSum = doc.kpi.weights.reduce((s, k) => s + k.weight.value, 0);
  if (Math.abs(weightSum - 100) > 1e-9) problems.push({ field: 'kpi.weights', detail: `权重之和应为 100，当前为 ${weightSum}` });
  const qaSum = doc.quality.criteria.filter((c) => !c.autoFail).reduce((s, c) => s + c.weight.value, 0);
  if (Math.abs(qaSum - 100) > 1e-9) problems.push({ field: 'quality.criteria', detail: `评分项权重之和应为 100，当前为 ${qaSum}` });

  const grades = doc.kpi.grades;
  for (let i = 1; i < grades.length; i++) {
    if (grades[i]!.minScore.value >= grades[i - 1]!.minScore.value) problems.push({ field: `kpi.grades.${i}`, detail: '等级分数线须从高到低排列' });
  }
  if (grades[grades.length - 1]?.minScore.value !== 0) problems.push({ field: 'kpi.grades', detail: '最低等级的分数线须为 0' });

  const tiers = doc.customerTiers.tiers;
  if (tiers[tiers.length - 1]?.minSpendYuan.value !== 0) problems.push({ field: 'customerTiers.tiers', detail: '最后一个客户等级的消费门槛须为 0（兜底）' });

  const deptCodes = new Set(depts.map((d) => d.code));
  doc.complaints.approvalChain.value.forEach((code, i) => {
    if (!deptCodes.has(code)) problems.push({ field: `complaints.approvalChain.${i}`, detail: `部门 ${code} 不存在` });
  });
  const domains = new Set(doc.businessDomains.map((b) => b.code));
  doc.problemTypes.forEach((p, i) => {
    if (!domains.has(p.domain)) problems.push({ field: `problemTypes.${i}.domain`, detail: `业务范畴 ${p.domain} 不存在` });
  });
  const typeCodes = new Set(doc.problemTypes.map((p) => p.code));
  const tierCodes = new Set(doc.customerTiers.tiers.map((t) => t.code));
  (doc.sla.overrides ?? []).forEach((o, i) => {
    o.when.problemTypes?.forEach((code, j) => {
      if (!typeCodes.has(code)) problems.push({ field: `sla.overrides.${i}.when.problemTypes.${j}`, detail: `问题类型 ${code} 不存在` });
    });
    o.when.tiers?.forEach((code, j) => {
      if (!tierCodes.has(code)) problems.push({ field: `sla.overrides.${i}.when.tiers.${j}`, detail: `客户等级 ${code} 不存在` });
    });
  });
  const teams = new Set(teamCodes);
  doc.emergencyPlans.forEach((p, i) => {
    if (p.overflowToQueue && !teams.has(p.overflowToQueue)) problems.push({ field: `emergencyPlans.${i}.overflowToQueue`, detail: `班组 ${p.overflowToQueue} 不存在` });
  });
  try {
    new Intl.DateTimeFormat('en', { timeZone: doc.organisation.timezone.value });
  } catch {
    problems.push({ field: 'organisation.timezone', detail: `未知时区 ${doc.organisation.timezone.value}` });
  }
  return problems;
}

/** Schema first, then the cross-references; the first problem becomes the error. */
export function assertValidPolicy(doc: unknown): asserts doc is PolicyDocument {
  const first = Value.Errors(PolicyDocument, doc).First();
  if (first) {
    const field = `document${first.path.replace(/\//g, '.')}`;
    throw PolicyError('invalid_document', { field, params: { detail: `${field}: ${first.message}` } });
  }
  const [problem] = checkPolicy(doc as PolicyDocument);
  if (problem) throw PolicyError('invalid_document', { field: `document.${problem.field}`, params: { detail: problem.detail } });
}

async function find(db: Executor, id: string): Promise<Row> {
  const [row] = await db.select().from(policies).where(eq(policies.id, id)).limit(1);
  if (!row) throw PolicyError('not_found');
  return row;
}

export async function currentPolicyRow(db: Executor): Promise<Row | null> {
  const [row] = await db.select().from(policies).where(eq(policies.status, 'published')).limit(1);
  return row ?? null;
}

/** Published versions never change, so their parsed documents are kept by id. */
const publishedDocuments = new Map<string, PolicyDocument>();

/** The published policy every rule runs by; a hot path (every conversation reads it), so only its id is queried each time. */
export async function currentPolicy(db: Executor): Promise<PolicyDocument> {
  const [current] = await db.select({ id: policies.id }).from(policies).where(eq(policies.status, 'published')).limit(1);
  if (!current) throw PolicyError('none_published');
  const cached = publishedDocuments.get(current.id);
  if (cached) return cached;
  const [row] = await db.select({ document: policies.document }).from(policies).where(eq(policies.id, current.id)).limit(1);
  const document = row!.document as PolicyDocument;
  publishedDocuments.set(current.id, document);
  return document;
}

export async function listVersions(ctx: Ctx, beforeVersion: number | undefined, limit: number) {
  return ctx.db
    .select()
    .from(policies)
    .where(beforeVersion ? lt(policies.version, beforeVersion) : undefined)
    .orderBy(desc(policies.version))
    .limit(limit + 1);
}

export async function getVersion(ctx: Ctx, id: string) {
  return versionView(await find(ctx.db, id));
}

export async function getCurrent(ctx: Ctx) {
  const row = await currentPolicyRow(ctx.db);
  if (!row) throw PolicyError('none_published');
  return versionView(row);
}

async function record(w: Writer, before: Row | null, after: Row, event: string): Promise<void> {
  await w.changed({
    entityType: 'policy',
    entityId: after.id,
    schema: PolicyVersionSummary,
    before: before && { ...summaryView(before), document: before.document },
    after: { ...summaryView(after), document: after.document },
    event,
    audience: AUDIENCE,
  });
}

/** Writes version 1, published, when a preset is loaded. */
export async function insertPublished(w: Writer, preset: string, document: PolicyDocument, note: string): Promise<void> {
  assertValidPolicy(document);
  const [row] = await w.tx
    .insert(policies)
    .values({ id: newId(), version: 1, status: 'published', preset, document, note, createdAt: w.now, updatedAt: w.now, publishedAt: w.now })
    .returning();
  await record(w, null, row!, 'policy.published');
}

export async function createDraft(ctx: Ctx, input: { basedOn?: string; document?: unknown; note?: string | null }) {
  return write(ctx, async (w) => {
    const [open] = await w.tx.select().from(policies).where(inArray(policies.status, ['draft', 'approved'])).limit(1);
    if (open) throw PolicyError('open_version_exists', { params: { version: open.version } });
    const base = input.basedOn ? await find(w.tx, input.basedOn) : await currentPolicyRow(w.tx);
    if (!base) throw PolicyError('none_published');
    const document = input.document ?? base.document;
    assertValidPolicy(document);
    const [{ next }] = (await w.tx.select({ next: sql<number>`coalesce(max(${policies.version}), 0)::int + 1` }).from(policies)) as [{ next: number }];
    const [row] = await w.tx
      .insert(policies)
      .values({
        id: newId(),
        version: next,
        status: 'draft',
        preset: base.preset,
        document,
        note: input.note ?? null,
        basedOn: base.id,
        createdBy: ctx.actor.id,
        createdAt: w.now,
        updatedAt: w.now,
      })
      .returning();
    await record(w, null, row!, 'policy.drafted');
    return versionView(row!);
  });
}

function assertStatus(row: Row, expected: PolicyStatus, action: string): void {
  if (row.status !== expected) {
    throw PolicyError('invalid_transition', { params: { status: STATUS_LABELS[row.status as PolicyStatus] ?? row.status, action } });
  }
}

export async function updateDraft(ctx: Ctx, id: string, input: { document?: unknown; note?: string | null }) {
  return write(ctx, async (w) => {
    const before = await find(w.tx, id);
    assertStatus(before, 'draft', '修改');
    if (input.document !== undefined) assertValidPolicy(input.document);
    const [row] = await w.tx
      .update(policies)
      .set({
        ...(input.document !== undefined ? { document: input.document } : {}),
        ...(input.note !== undefined ? { note: input.note } : {}),
        updatedAt: w.now,
      })
      .where(eq(policies.id, id))
      .returning();
    await record(w, before, row!, 'policy.updated');
    return versionView(row!);
  });
}

export async function approve(ctx: Ctx, id: string) {
  return write(ctx, async (w) => {
    const before = await find(w.tx, id);
    assertStatus(before, 'draft', '审批');
    const [row] = await w.tx
      .update(policies)
      .set({ status: 'approved', approvedBy: ctx.actor.id, approvedAt: w.now, updatedAt: w.now })
      .where(eq(policies.id, id))
      .returning();
    await record(w, before, row!, 'policy.approved');
    return versionView(row!);
  });
}

/** A rejected version goes back to draft with the reviewer's comment for its author. */
export async function reject(ctx: Ctx, id: string, comment: string) {
  return write(ctx, async (w) => {
    const before = await find(w.tx, id);
    if (before.status !== 'draft' && before.status !== 'approved') assertStatus(before, 'draft', '驳回');
    const [row] = await w.tx
      .update(policies)
      .set({ status: 'draft', approvedBy: null, approvedAt: null, rejectedBy: ctx.actor.id, rejectedAt: w.now, rejectionComment: comment, updatedAt: w.now })
      .where(eq(policies.id, id))
      .returning();
    await record(w, before, row!, 'policy.rejected');
    return versionView(row!);
  });
}

export async function publish(ctx: Ctx, id: string) {
  return write(ctx, async (w) => {
    const before = await find(w.tx, id);
    assertStatus(before, 'approved', '发布');
    const previous = await currentPolicyRow(w.tx);
    if (previous) {
      const [retired] = await w.tx.update(policies).set({ status: 'retired', retiredAt: w.now, updatedAt: w.now }).where(eq(policies.id, previous.id)).returning();
      await w.audit({ action: 'update', entityType: 'policy', entityId: previous.id, before: { status: previous.status }, after: { status: retired!.status } });
    }
    const [row] = await w.tx
      .update(policies)
      .set({ status: 'published', publishedBy: ctx.actor.id, publishedAt: w.now, updatedAt: w.now })
      .where(eq(policies.id, id))
      .returning();
    await record(w, before, row!, 'policy.published');
    return versionView(row!);
  });
}
