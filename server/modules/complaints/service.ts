import { and, asc, desc, eq, gt, gte, inArray, isNotNull, lt, not, or, sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Executor } from '../../db/client.ts';
import { newId, NO_ID } from '../../db/columns.ts';
import { SYSTEM_ACTOR, type Ctx } from '../../platform/context.ts';
import { auditLog } from '../../platform/audit/schema.ts';
import { cancelJobs, scheduleJob, type JobRunner } from '../../platform/jobs/runner.ts';
import { maskBySchema } from '../../platform/pii/schema-mask.ts';
import { write, type Writer } from '../../platform/write.ts';
import { findVisible } from '../conversations/record.ts';
import { addSystemMessage } from '../conversations/service.ts';
import { customerBrief } from '../customers/lookup.ts';
import { orgZone } from '../customers/tiers.ts';
import { notify } from '../notifications/service.ts';
import { departments, staff, teams } from '../org/schema.ts';
import type { PolicyDocument } from '../policy/document.ts';
import { currentPolicy } from '../policy/service.ts';
import { customersOf, listEvidence } from './evidence.ts';
import {
  ACTION_DUE_JOB,
  ComplaintError,
  RESPONSE_JOB,
  actionDueKey,
  checkActionAccess,
  complaintAudience,
  findActionForWrite,
  findComplaint,
  findForWrite,
  loadApprovals,
  moveComplaint,
  responseKey,
  responseOverdueCondition,
  saveComplaint,
  type ComplaintPatch,
} from './record.ts';
import { complaintActions, complaintApprovals, complaintProposals, complaints } from './schema.ts';
import {
  ActionView,
  ApprovalView,
  ComplaintView,
  ProposalView,
  STATUS_LABELS,
  actionView,
  complaintView,
  evidenceView,
  proposalView,
  type ActionRow,
  type AnalysisDimension,
  type AnalysisView,
  type ApprovalTaskView,
  type ComplaintChannel,
  type ComplaintDetailView,
  type ComplaintRow,
  type ComplaintStatus,
  type RevisitOutcome,
  type Severity,
  type TimelineEntryView,
} from './views.ts';

const HOUR_MS = 3_600_000;
/** Detail pages show this much of a complaint's history; older entries stay in the audit log. */
const DETAIL_LIMIT = 500;

const trimmed = (v: string | null | undefined): string | null => (v?.trim() ? v.trim() : null);
/** Only the keys the caller sent; `undefined` means "leave unchanged". */
const defined = <T extends Record<string, unknown>>(patch: T): Partial<T> => Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;

/** Customer-facing times read in the organisation's zone: 2026年3月3日 18:00. */
function spoken(policy: PolicyDocument, at: Date): string {
  return DateTime.fromJSDate(at, { zone: orgZone(policy) }).toFormat('yyyy年M月d日 HH:mm');
}

async function activeStaff(db: Executor, id: string, field: string, opts: { serviceSide?: boolean } = {}) {
  const [row] = await db.select({ id: staff.id, role: staff.role, teamId: staff.teamId }).from(staff).where(and(eq(staff.id, id), eq(staff.status, 'active'))).limit(1);
  if (!row || (opts.serviceSide && row.role === 'partner')) throw ComplaintError('staff_not_found', { field });
  return row;
}

/** The owner and the lead of the owner's team: who hears of a missed deadline. */
async function ownerAndLead(db: Executor, ownerId: string | null): Promise<string[]> {
  if (!ownerId) return [];
  const [row] = await db.select({ leadId: teams.leadId }).from(staff).leftJoin(teams, eq(teams.id, staff.teamId)).where(eq(staff.id, ownerId)).limit(1);
  return [ownerId, ...(row?.leadId ? [row.leadId] : [])];
}

/** A system message on the conversation the complaint came on; the link was checked when it was made. */
async function tellCustomer(w: Writer, c: ComplaintRow, body: string): Promise<void> {
  if (c.conversationId) await addSystemMessage(w, await findVisible(w.tx, SYSTEM_ACTOR, c.conversationId), body, { toCustomer: true });
}

// ---------- CP1 acceptance ----------

export interface NewComplaint {
  customerId: string;
  conversationId?: string | null;
  receivedAt?: string;
  complainantName: string;
  contact: string;
  channel: ComplaintChannel;
  matter: string;
  category?: string | null;
  productModel?: string | null;
  severity?: Severity;
  ownerId?: string | null;
}

/**
 * CP1: records the acceptance, sends the policy's apology and commitment on the conversation the
 * complaint came in on, and starts the response deadline.
 */
export async function createComplaint(ctx: Ctx, input: NewComplaint): Promise<ComplaintView> {
  // Whose conversations may be linked is read before the transaction: a customer's contacts do not move.
  const subjects = await customersOf(ctx, input.customerId);
  return write(ctx, async (w) => {
    const policy = await currentPolicy(w.tx);
    const receivedAt = input.receivedAt ? new Date(input.receivedAt) : w.now;
    if (receivedAt > w.now) throw ComplaintError('received_in_future', { field: 'receivedAt' });
    const conv = input.conversationId ? await findVisible(w.tx, ctx.actor, input.conversationId, { lock: true }) : null;
    if (conv && !subjects.includes(conv.customerId)) throw ComplaintError('conversation_other_customer', { field: 'conversationId' });
    const ownerId = input.ownerId ?? ctx.actor.id;
    if (ownerId) await activeStaff(w.tx, ownerId, 'ownerId', { serviceSide: true });
    // Fixed at acceptance under the policy then in force: a later policy does not move a promise already made.
    const respondBy = new Date(receivedAt.getTime() + policy.complaints.responseHours.value * HOUR_MS);
    const [row] = await w.tx
      .insert(complaints)
      .values({
        id: newId(),
        status: 'accepted',
        customerId: input.customerId,
        conversationId: conv?.id ?? null,
        receivedAt,
        complainantName: input.complainantName.trim(),
        contact: input.contact.trim(),
        channel: input.channel,
        matter: input.matter.trim(),
        category: trimmed(input.category),
        productModel: trimmed(input.productModel),
        severity: input.severity ?? 'normal',
        acceptedBy: ctx.actor.id,
        ownerId,
        respondBy,
        apologySentAt: conv ? w.now : null,
        createdAt: w.now,
        updatedAt: w.now,
      })
      .returning();
    const after = complaintView(row!, w.now);
    await w.changed({ entityType: 'complaint', entityId: after.id, schema: ComplaintView, before: null, after, event: 'complaint.created', audience: complaintAudience(row!) });
    if (conv) await addSystemMessage(w, conv, policy.complaints.apologyMessage.value, { toCustomer: true });
    await scheduleJob(w, { kind: RESPONSE_JOB, payload: { complaintId: after.id }, runAt: respondBy, dedupeKey: responseKey(after.id) });
    return after;
  });
}

/**
 * CP1: past the response deadline with the complaint still untouched, its owner and their team lead
 * are told. CP4: an implementation task still open at its due time reminds whoever should do it.
 */
export function installComplaintJobs(jobs: JobRunner): void {
  jobs.register(RESPONSE_JOB, async (payload, jc) => {
    await jc.complete(async (w) => {
      const [row] = await w.tx.select().from(complaints).where(eq(complaints.id, String(payload.complaintId))).for('update');
      if (!row || row.status !== 'accepted') return;
      // The complaint's own deadline; one accepted before respondBy was kept had this job scheduled at it.
      const deadline = row.respondBy ?? jc.job.runAt;
      const policy = await currentPolicy(w.tx);
      const recipients = await ownerAndLead(w.tx, row.ownerId);
      await notify(w, recipients, {
        kind: 'complaint_response_overdue',
        title: `投诉 ${row.number} 已超过响应时限`,
        body: `投诉「${[...row.matter].slice(0, 60).join('')}」的响应时限 ${spoken(policy, deadline)} 已过，仍未开始处理，请尽快联系客户。`,
        entityType: 'complaint',
        entityId: row.id,
        data: { number: row.number, receivedAt: row.receivedAt.toISOString(), respondBy: deadline.toISOString() },
      });
      await w.emit({
        type: 'complaint.response_overdue',
        entityType: 'complaint',
        entityId: row.id,
        data: { ...maskBySchema(ComplaintView, complaintView(row, w.now)), notified: recipients },
        audience: { ...complaintAudience(row), staffIds: recipients },
      });
    });
  });

  jobs.register(ACTION_DUE_JOB, async (payload, jc) => {
    await jc.complete(async (w) => {
      const [action] = await w.tx.select().from(complaintActions).where(eq(complaintActions.id, String(payload.actionId))).for('update');
      if (!action || action.status !== 'open' || !action.dueAt) return;
      const c = await findComplaint(w.tx, action.complaintId);
      const recipients = [...new Set([...(await actionWorkers(w.tx, action)), ...(c.ownerId ? [c.ownerId] : [])])];
      const policy = await currentPolicy(w.tx);
      await notify(w, recipients, {
        kind: 'complaint_action_due',
        title: `投诉 ${c.number} 的实施任务已到期`,
        body: `「${action.title}」已于 ${spoken(policy, action.dueAt)} 到期，仍未完成。`,
        entityType: 'complaint_action',
        entityId: action.id,
        data: { complaintId: c.id, number: c.number, dueAt: action.dueAt.toISOString() },
      });
      await w.emit({
        type: 'complaint.action_due',
        entityType: 'complaint_action',
        entityId: action.id,
        data: { ...actionView(action), complaintNumber: c.number, notified: recipients },
        audience: { ...complaintAudience(c), staffIds: recipients },
      });
    });
  });
}

// ---------- CP2 / CP5 investigation details ----------

export interface ComplaintUpdate {
  category?: string | null;
  productModel?: string | null;
  severity?: Severity;
  ownerId?: string | null;
  cause?: string | null;
  attributedStaffId?: string | null;
  attributionNote?: string | null;
}

/**
 * Category, product, severity and owner may change until closure. Cause and attribution (CP5) are
 * findings of the investigation: set while it runs, and setting them starts it.
 */
export async function updateComplaint(ctx: Ctx, id: string, input: ComplaintUpdate): Promise<ComplaintView> {
  const after = await write(ctx, async (w) => {
    const row = await findForWrite(w, id);
    const finding = input.cause !== undefined || input.attributedStaffId !== undefined || input.attributionNote !== undefined;
    if (finding && row.status !== 'accepted' && row.status !== 'investigating') {
      throw ComplaintError('attribution_closed', { field: input.cause !== undefined ? 'cause' : 'attributedStaffId', params: { status: STATUS_LABELS[row.status as ComplaintStatus] } });
    }
    if (input.ownerId) await activeStaff(w.tx, input.ownerId, 'ownerId', { serviceSide: true });
    if (input.attributedStaffId) {
      const [s] = await w.tx.select({ id: staff.id }).from(staff).where(eq(staff.id, input.attributedStaffId)).limit(1);
      if (!s) throw ComplaintError('staff_not_found', { field: 'attributedStaffId' });
    }
    const patch: ComplaintPatch = defined({
      category: input.category === undefined ? undefined : trimmed(input.category),
      productModel: input.productModel === undefined ? undefined : trimmed(input.productModel),
      severity: input.severity,
      ownerId: input.ownerId,
      cause: input.cause === undefined ? undefined : trimmed(input.cause),
      attributedStaffId: input.attributedStaffId,
      attributionNote: input.attributionNote === undefined ? undefined : trimmed(input.attributionNote),
    });
    const after = finding && row.status === 'accepted' ? await moveComplaint(w, row, 'investigating', patch) : await saveComplaint(w, row, patch);
    if (input.ownerId && input.ownerId !== row.ownerId && input.ownerId !== ctx.actor.id) {
      await notify(w, [input.ownerId], { kind: 'complaint_assigned', title: `投诉 ${row.number} 转由您负责`, body: [...row.matter].slice(0, 80).join(''), entityType: 'complaint', entityId: row.id });
    }
    return after;
  });
  return complaintView(after, ctx.clock.now());
}

// ---------- CP3 solution and approval chain ----------

export interface ProposalInput {
  solution: string;
  agreedMethod: string;
  agreedAt: string;
}

/** Who is asked to decide a step: the department's manager, else every active member. */
async function deciders(db: Executor, departmentId: string): Promise<string[]> {
  const [dept] = await db.select({ managerId: departments.managerId }).from(departments).where(eq(departments.id, departmentId)).limit(1);
  if (dept?.managerId) {
    const [manager] = await db.select({ id: staff.id }).from(staff).where(and(eq(staff.id, dept.managerId), eq(staff.status, 'active')));
    if (manager) return [manager.id];
  }
  const members = await db.select({ id: staff.id }).from(staff).where(and(eq(staff.departmentId, departmentId), eq(staff.status, 'active'))).orderBy(asc(staff.id));
  return members.map((m) => m.id);
}

async function proposalViewOf(db: Executor, p: typeof complaintProposals.$inferSelect): Promise<ProposalView> {
  return proposalView(p, (await loadApprovals(db, [p.id])).get(p.id)!);
}

/** A step opens: its department is asked, without the proposer, who may not decide it. */
async function openStep(w: Writer, c: ComplaintRow, p: typeof complaintProposals.$inferSelect, step: typeof complaintApprovals.$inferSelect): Promise<void> {
  const recipients = (await deciders(w.tx, step.departmentId)).filter((id) => id !== p.createdBy);
  const approval = (await loadApprovals(w.tx, [p.id])).get(p.id)!.find((a) => a.id === step.id)!;
  await notify(w, recipients, {
    kind: 'complaint_approval',
    title: `投诉 ${c.number} 的解决方案待审核`,
    body: `第 ${p.version} 版方案：${[...p.solution].slice(0, 80).join('')}`,
    entityType: 'complaint_approval',
    entityId: step.id,
    data: { complaintId: c.id, number: c.number, step: step.step },
  });
  await w.emit({
    type: 'complaint.approval_requested',
    entityType: 'complaint_approval',
    entityId: step.id,
    data: { ...approval, complaintId: c.id, complaintNumber: c.number, matter: c.matter },
    audience: { staffIds: recipients },
  });
}

/** The last step approved (or a chain with none): the agreed time and method become the complaint's. */
async function approveProposal(w: Writer, c: ComplaintRow, p: typeof complaintProposals.$inferSelect): Promise<ComplaintRow> {
  const [done] = await w.tx.update(complaintProposals).set({ status: 'approved', decidedAt: w.now }).where(eq(complaintProposals.id, p.id)).returning();
  await w.changed({
    entityType: 'complaint_proposal',
    entityId: p.id,
    schema: ProposalView,
    before: await proposalViewOf(w.tx, p),
    after: await proposalViewOf(w.tx, done!),
    event: 'complaint.proposal_decided',
    audience: complaintAudience(c),
  });
  const after = await moveComplaint(w, c, 'approved', { agreedMethod: p.agreedMethod, agreedAt: p.agreedAt });
  if (c.ownerId) await notify(w, [c.ownerId], { kind: 'complaint_approved', title: `投诉 ${c.number} 的解决方案已批准`, body: '请按约定的时间和方式安排实施。', entityType: 'complaint', entityId: c.id });
  return after;
}

/**
 * CP3: a solution with the agreed time and method goes to the departments of the policy's approval
 * chain, one step after another. An unknown department code is refused (422) rather than skipped:
 * a missing step would let a solution pass a check the regulation asks for.
 */
export async function createProposal(ctx: Ctx, complaintId: string, input: ProposalInput): Promise<ProposalView> {
  return write(ctx, async (w) => {
    let c = await findForWrite(w, complaintId);
    if (c.status !== 'investigating') throw ComplaintError('invalid_transition', { params: { from: STATUS_LABELS[c.status as ComplaintStatus], to: STATUS_LABELS.proposed } });
    const agreedAt = new Date(input.agreedAt);
    if (agreedAt < w.now) throw ComplaintError('agreed_in_past', { field: 'agreedAt' });
    const codes = (await currentPolicy(w.tx)).complaints.approvalChain.value;
    const found = codes.length ? await w.tx.select({ id: departments.id, code: departments.code }).from(departments).where(inArray(departments.code, codes)) : [];
    const chain = codes.map((code) => {
      const dept = found.find((d) => d.code === code);
      if (!dept) throw ComplaintError('unknown_department', { params: { code } });
      return dept.id;
    });
    const [{ next }] = (await w.tx.select({ next: sql<number>`coalesce(max(${complaintProposals.version}), 0)::int + 1` }).from(complaintProposals).where(eq(complaintProposals.complaintId, c.id))) as [{ next: number }];
    const [p] = await w.tx
      .insert(complaintProposals)
      .values({ id: newId(), complaintId: c.id, version: next, solution: input.solution.trim(), agreedMethod: input.agreedMethod.trim(), agreedAt, status: 'pending', createdBy: ctx.actor.id, createdAt: w.now })
      .returning();
    const steps = chain.length
      ? await w.tx
          .insert(complaintApprovals)
          .values(chain.map((departmentId, i) => ({ id: newId(), proposalId: p!.id, step: i + 1, departmentId, decision: i === 0 ? 'pending' : 'waiting' })))
          .returning()
      : [];
    const created = await proposalViewOf(w.tx, p!);
    await w.changed({ entityType: 'complaint_proposal', entityId: p!.id, schema: ProposalView, before: null, after: created, event: 'complaint.proposal_submitted', audience: complaintAudience(c) });
    c = await moveComplaint(w, c, 'proposed');
    const first = steps.find((s) => s.step === 1);
    if (first) await openStep(w, c, p!, first);
    else await approveProposal(w, c, p!);
    const [now] = await w.tx.select().from(complaintProposals).where(eq(complaintProposals.id, p!.id));
    return proposalViewOf(w.tx, now!);
  });
}

/** A staff member decides for their own department, or the one they manage; nobody overrides it. */
async function mayDecide(db: Executor, ctx: Ctx, departmentId: string): Promise<boolean> {
  if (!ctx.actor.id) return false;
  if (ctx.actor.departmentId === departmentId) return true;
  const [dept] = await db.select({ managerId: departments.managerId }).from(departments).where(eq(departments.id, departmentId)).limit(1);
  return dept?.managerId === ctx.actor.id;
}

export interface DecisionInput {
  decision: 'approved' | 'rejected';
  comment?: string | null;
}

/**
 * CP3: one step decided, strictly in order. Approval opens the next step or, at the end, approves
 * the solution; a rejection ends the proposal and sends the complaint back to the investigation.
 */
export async function decide(ctx: Ctx, approvalId: string, input: DecisionInput): Promise<ProposalView> {
  return write(ctx, async (w) => {
    const [head] = await w.tx
      .select({ complaintId: complaintProposals.complaintId })
      .from(complaintApprovals)
      .innerJoin(complaintProposals, eq(complaintProposals.id, complaintApprovals.proposalId))
      .where(eq(complaintApprovals.id, approvalId))
      .limit(1);
    if (!head) throw ComplaintError('approval_not_found');
    // The complaint's lock orders every decision on it, so two approvers cannot both pass one step.
    const c = await findForWrite(w, head.complaintId);
    const [step] = await w.tx.select().from(complaintApprovals).where(eq(complaintApprovals.id, approvalId)).for('update');
    const [p] = await w.tx.select().from(complaintProposals).where(eq(complaintProposals.id, step!.proposalId));
    const [dept] = await w.tx.select({ name: departments.name }).from(departments).where(eq(departments.id, step!.departmentId));
    if (!(await mayDecide(w.tx, ctx, step!.departmentId))) throw ComplaintError('not_approver', { params: { department: dept!.name } });
    if (p!.createdBy && p!.createdBy === ctx.actor.id) throw ComplaintError('own_proposal');
    if (step!.decision === 'waiting') throw ComplaintError('approval_waiting');
    if (step!.decision !== 'pending') throw ComplaintError('approval_decided');
    const comment = trimmed(input.comment);
    if (input.decision === 'rejected' && !comment) throw ComplaintError('comment_required', { field: 'comment' });

    const before = await proposalViewOf(w.tx, p!);
    await w.tx.update(complaintApprovals).set({ decision: input.decision, comment, decidedBy: ctx.actor.id, decidedAt: w.now }).where(eq(complaintApprovals.id, step!.id));
    const decided = (await loadApprovals(w.tx, [p!.id])).get(p!.id)!;
    await w.changed({
      entityType: 'complaint_approval',
      entityId: step!.id,
      schema: ApprovalView,
      before: before.approvals.find((a) => a.id === step!.id)!,
      after: decided.find((a) => a.id === step!.id)!,
      event: 'complaint.approval_decided',
      audience: complaintAudience(c),
      reason: comment,
    });

    if (input.decision === 'approved') {
      const [next] = await w.tx
        .update(complaintApprovals)
        .set({ decision: 'pending' })
        .where(and(eq(complaintApprovals.proposalId, p!.id), eq(complaintApprovals.step, step!.step + 1)))
        .returning();
      if (next) await openStep(w, c, p!, next);
      else await approveProposal(w, c, p!);
    } else {
      await w.tx.update(complaintApprovals).set({ decision: 'skipped' }).where(and(eq(complaintApprovals.proposalId, p!.id), eq(complaintApprovals.decision, 'waiting')));
      const [rejected] = await w.tx.update(complaintProposals).set({ status: 'rejected', decidedAt: w.now }).where(eq(complaintProposals.id, p!.id)).returning();
      await w.changed({ entityType: 'complaint_proposal', entityId: p!.id, schema: ProposalView, before, after: await proposalViewOf(w.tx, rejected!), event: 'complaint.proposal_decided', audience: complaintAudience(c), reason: comment });
      const why = `第 ${p!.version} 版方案被${dept!.name}驳回：${comment}`;
      await moveComplaint(w, c, 'investigating', {}, { reason: why });
      await notify(w, [...new Set([c.ownerId, p!.createdBy].filter((id): id is string => Boolean(id)))], {
        kind: 'complaint_rejected',
        title: `投诉 ${c.number} 的解决方案被驳回`,
        body: why,
        entityType: 'complaint',
        entityId: c.id,
      });
    }
    const [now] = await w.tx.select().from(complaintProposals).where(eq(complaintProposals.id, p!.id));
    return proposalViewOf(w.tx, now!);
  });
}

/** Steps for the caller's department (or the one they manage), oldest first; pending by default. */
export async function listApprovalTasks(ctx: Ctx, f: { decision?: string; afterId?: string; limit: number }): Promise<ApprovalTaskView[]> {
  const me = ctx.actor.id;
  if (!me) return [];
  const mine = or(ctx.actor.departmentId ? eq(complaintApprovals.departmentId, ctx.actor.departmentId) : undefined, eq(departments.managerId, me));
  const rows = await ctx.db
    .select({ a: complaintApprovals, p: complaintProposals, c: complaints })
    .from(complaintApprovals)
    .innerJoin(departments, eq(departments.id, complaintApprovals.departmentId))
    .innerJoin(complaintProposals, eq(complaintProposals.id, complaintApprovals.proposalId))
    .innerJoin(complaints, eq(complaints.id, complaintProposals.complaintId))
    .where(and(mine, eq(complaintApprovals.decision, f.decision ?? 'pending'), f.afterId ? gt(complaintApprovals.id, f.afterId) : undefined))
    .orderBy(asc(complaintApprovals.id))
    .limit(f.limit + 1);
  const approvals = await loadApprovals(ctx.db, [...new Set(rows.map((r) => r.p.id))]);
  return rows.map(({ a, p, c }) => {
    const steps = approvals.get(p.id)!;
    return {
      ...steps.find((s) => s.id === a.id)!,
      stepsTotal: steps.length,
      complaint: {
        id: c.id,
        number: c.number,
        status: c.status as ComplaintStatus,
        matter: c.matter,
        category: c.category,
        productModel: c.productModel,
        severity: c.severity as Severity,
        receivedAt: c.receivedAt.toISOString(),
      },
      proposal: { id: p.id, version: p.version, solution: p.solution, agreedMethod: p.agreedMethod, agreedAt: p.agreedAt.toISOString(), createdBy: p.createdBy },
    };
  });
}

// ---------- CP4 implementation, revisit, closure ----------

export interface ActionInput {
  title: string;
  assigneeId?: string | null;
  departmentId?: string | null;
  dueAt?: string | null;
}

/**
 * Who works an action: its assignee while active, else the active staff of its department. They
 * are told of it, reminded at its due time and told when it is cancelled.
 */
async function actionWorkers(db: Executor, a: Pick<ActionRow, 'assigneeId' | 'departmentId'>): Promise<string[]> {
  if (a.assigneeId) {
    const [assignee] = await db.select({ id: staff.id }).from(staff).where(and(eq(staff.id, a.assigneeId), eq(staff.status, 'active'))).limit(1);
    if (assignee) return [assignee.id];
  }
  if (!a.departmentId) return [];
  const members = await db.select({ id: staff.id }).from(staff).where(and(eq(staff.departmentId, a.departmentId), eq(staff.status, 'active'))).orderBy(asc(staff.id));
  return members.map((m) => m.id);
}

/** CP4: the first task of an approved solution starts the implementation, and the customer is told. */
export async function createAction(ctx: Ctx, complaintId: string, input: ActionInput): Promise<ActionView> {
  return write(ctx, async (w) => {
    let c = await findForWrite(w, complaintId);
    if (c.status !== 'approved' && c.status !== 'implementing') throw ComplaintError('actions_not_allowed', { params: { status: STATUS_LABELS[c.status as ComplaintStatus] } });
    if (input.assigneeId) await activeStaff(w.tx, input.assigneeId, 'assigneeId');
    if (input.departmentId) {
      const [d] = await w.tx.select({ id: departments.id }).from(departments).where(eq(departments.id, input.departmentId)).limit(1);
      if (!d) throw ComplaintError('department_not_found', { field: 'departmentId' });
    }
    const dueAt = input.dueAt ? new Date(input.dueAt) : null;
    if (dueAt && dueAt <= w.now) throw ComplaintError('due_in_past', { field: 'dueAt' });
    const [row] = await w.tx
      .insert(complaintActions)
      .values({
        id: newId(),
        complaintId,
        title: input.title.trim(),
        assigneeId: input.assigneeId ?? null,
        departmentId: input.departmentId ?? null,
        dueAt,
        status: 'open',
        createdBy: ctx.actor.id,
        createdAt: w.now,
      })
      .returning();
    const view = actionView(row!);
    await w.changed({ entityType: 'complaint_action', entityId: view.id, schema: ActionView, before: null, after: view, event: 'complaint.action_created', audience: complaintAudience(c) });
    if (dueAt) await scheduleJob(w, { kind: ACTION_DUE_JOB, payload: { actionId: view.id }, runAt: dueAt, dedupeKey: actionDueKey(view.id) }, 'replace');
    const workers = (await actionWorkers(w.tx, row!)).filter((id) => id !== ctx.actor.id);
    await notify(w, workers, { kind: 'complaint_action', title: `投诉 ${c.number} 的实施任务`, body: view.title, entityType: 'complaint_action', entityId: view.id, data: { complaintId: c.id } });
    if (c.status === 'approved') {
      c = await moveComplaint(w, c, 'implementing');
      const policy = await currentPolicy(w.tx);
      await tellCustomer(w, c, `您好，关于您的投诉（编号 ${c.number}），我们已按约定开始处理：${c.agreedMethod}，预计 ${spoken(policy, c.agreedAt!)} 前完成。`);
    }
    return view;
  });
}

/**
 * CP4: with no task left open the implementation is finished; the customer is told and the revisit
 * is due. Cancelled tasks alone finish nothing: when the last open task is cancelled and none was
 * done in this round (since the implementation started, or since the unsatisfied revisit that
 * reopened it), the complaint stays in implementation for a replacement task.
 */
async function finishImplementation(w: Writer, c: ComplaintRow, justCompleted: boolean): Promise<void> {
  if (c.status !== 'implementing') return;
  const doneThisRound = and(eq(complaintActions.status, 'done'), c.revisitedAt ? gt(complaintActions.doneAt, c.revisitedAt) : undefined);
  const [n] = await w.tx
    .select({
      open: sql<number>`(count(*) filter (where ${eq(complaintActions.status, 'open')}))::int`,
      done: sql<number>`(count(*) filter (where ${doneThisRound}))::int`,
    })
    .from(complaintActions)
    .where(eq(complaintActions.complaintId, c.id));
  if (n!.open > 0 || (!justCompleted && n!.done === 0)) return;
  const after = await moveComplaint(w, c, 'revisiting', { revisitOutcome: null, revisitedAt: null });
  const revisit = (await currentPolicy(w.tx)).complaints.revisitRequired.value;
  await tellCustomer(w, after, `您好，关于您的投诉（编号 ${c.number}），处理已完成。${revisit ? '我们会尽快回访，确认您是否满意。' : '如仍有问题，请随时联系我们。'}`);
}

/** CP4: the assignee, their department or a complaint handler records the result; the due reminder is called off. */
export async function completeAction(ctx: Ctx, actionId: string, input: { result: string }): Promise<ActionView> {
  return write(ctx, async (w) => {
    const { complaint: c, action } = await findActionForWrite(w, actionId);
    checkActionAccess(ctx.actor, action, 'complete');
    if (action.status !== 'open') throw ComplaintError('action_not_open');
    const [done] = await w.tx
      .update(complaintActions)
      .set({ status: 'done', result: input.result.trim(), doneAt: w.now, doneBy: ctx.actor.id })
      .where(eq(complaintActions.id, actionId))
      .returning();
    await cancelJobs(w.tx, actionDueKey(actionId), w.now);
    const view = actionView(done!);
    await w.changed({ entityType: 'complaint_action', entityId: actionId, schema: ActionView, before: actionView(action), after: view, event: 'complaint.action_completed', audience: complaintAudience(c) });
    await finishImplementation(w, c, true);
    return view;
  });
}

/**
 * CP4: a complaint handler withdraws an open task with a reason (kept on the task and in the
 * complaint's history); whoever was to do it is told, and its due reminder is called off.
 */
export async function cancelAction(ctx: Ctx, actionId: string, input: { reason: string }): Promise<ActionView> {
  return write(ctx, async (w) => {
    const { complaint: c, action } = await findActionForWrite(w, actionId);
    checkActionAccess(ctx.actor, action, 'cancel');
    if (action.status !== 'open') throw ComplaintError('action_not_open');
    const reason = input.reason.trim();
    const [cancelled] = await w.tx
      .update(complaintActions)
      .set({ status: 'cancelled', cancelledAt: w.now, cancelledBy: ctx.actor.id, cancelReason: reason })
      .where(eq(complaintActions.id, actionId))
      .returning();
    await cancelJobs(w.tx, actionDueKey(actionId), w.now);
    const view = actionView(cancelled!);
    await w.changed({ entityType: 'complaint_action', entityId: actionId, schema: ActionView, before: actionView(action), after: view, event: 'complaint.action_cancelled', audience: complaintAudience(c), reason });
    const workers = (await actionWorkers(w.tx, action)).filter((id) => id !== ctx.actor.id);
    await notify(w, workers, { kind: 'complaint_action_cancelled', title: `投诉 ${c.number} 的实施任务已取消`, body: `「${action.title}」：${reason}`, entityType: 'complaint_action', entityId: actionId, data: { complaintId: c.id } });
    await finishImplementation(w, c, false);
    return view;
  });
}

export interface RevisitInput {
  outcome: RevisitOutcome;
  note: string;
  /** Unsatisfied: back to the work (default) or to a new solution. */
  returnTo?: 'implementing' | 'investigating';
}

/** CP4: the revisit's outcome; the note is kept in the complaint's history. */
export async function recordRevisit(ctx: Ctx, id: string, input: RevisitInput): Promise<ComplaintView> {
  const after = await write(ctx, async (w) => {
    const c = await findForWrite(w, id);
    if (c.status !== 'revisiting') throw ComplaintError('revisit_not_due', { params: { status: STATUS_LABELS[c.status as ComplaintStatus] } });
    const patch = { revisitOutcome: input.outcome, revisitedAt: w.now };
    const reason = `回访（${input.outcome === 'satisfied' ? '满意' : '不满意'}）：${input.note.trim()}`;
    if (input.outcome === 'satisfied') return saveComplaint(w, c, patch, { reason });
    return moveComplaint(w, c, input.returnTo ?? 'implementing', patch, { reason });
  });
  return complaintView(after, ctx.clock.now());
}

/** CP4: closing archives the complaint; with the policy's revisitRequired only after a satisfied revisit. */
export async function closeComplaint(ctx: Ctx, id: string, input: { note?: string | null }): Promise<ComplaintView> {
  const after = await write(ctx, async (w) => {
    const c = await findForWrite(w, id);
    if (c.status !== 'revisiting') throw ComplaintError('invalid_transition', { params: { from: STATUS_LABELS[c.status as ComplaintStatus], to: STATUS_LABELS.closed } });
    if ((await currentPolicy(w.tx)).complaints.revisitRequired.value && c.revisitOutcome !== 'satisfied') throw ComplaintError('revisit_required');
    return moveComplaint(w, c, 'closed', { closedAt: w.now, archivedAt: w.now }, { event: 'complaint.closed', reason: trimmed(input.note) });
  });
  return complaintView(after, ctx.clock.now());
}

// ---------- reading ----------

export interface ComplaintFilter {
  status?: ComplaintStatus[];
  customerId?: string;
  ownerId?: string | 'me';
  category?: string;
  severity?: Severity;
  attributedStaffId?: string;
  /** CP1: true, only those past their response deadline and not yet taken up; false, the others. */
  overdue?: boolean;
  beforeId?: string;
  limit: number;
}

/** Newest first; every service staff member may look complaints up (complaints.read). */
export async function listComplaints(ctx: Ctx, f: ComplaintFilter): Promise<ComplaintRow[]> {
  const cond: (SQL | undefined)[] = [];
  if (f.status?.length) cond.push(inArray(complaints.status, f.status));
  if (f.customerId) cond.push(eq(complaints.customerId, f.customerId));
  if (f.ownerId) cond.push(eq(complaints.ownerId, f.ownerId === 'me' ? (ctx.actor.id ?? NO_ID) : f.ownerId));
  if (f.category) cond.push(eq(complaints.category, f.category));
  if (f.severity) cond.push(eq(complaints.severity, f.severity));
  if (f.attributedStaffId) cond.push(eq(complaints.attributedStaffId, f.attributedStaffId));
  if (f.overdue !== undefined) {
    const overdue = responseOverdueCondition(ctx.clock.now());
    cond.push(f.overdue ? overdue : not(overdue));
  }
  if (f.beforeId) cond.push(lt(complaints.id, f.beforeId));
  return ctx.db
    .select()
    .from(complaints)
    .where(and(...cond))
    .orderBy(desc(complaints.id))
    .limit(f.limit + 1);
}

export async function listComplaintEvidence(ctx: Ctx, id: string, page: { afterId?: string; limit: number }) {
  await findComplaint(ctx.db, id);
  return listEvidence(ctx.db, id, page);
}

export async function getComplaint(ctx: Ctx, id: string): Promise<ComplaintDetailView> {
  const c = await findComplaint(ctx.db, id);
  const evidence = await listEvidence(ctx.db, id, { limit: DETAIL_LIMIT });
  const proposals = await ctx.db.select().from(complaintProposals).where(eq(complaintProposals.complaintId, id)).orderBy(asc(complaintProposals.version));
  const approvals = await loadApprovals(ctx.db, proposals.map((p) => p.id));
  const actions = await ctx.db.select().from(complaintActions).where(eq(complaintActions.complaintId, id)).orderBy(asc(complaintActions.id));
  const ids = [id, ...evidence.map((e) => e.id), ...proposals.map((p) => p.id), ...[...approvals.values()].flat().map((a) => a.id), ...actions.map((a) => a.id)];
  const entries = await ctx.db
    .select()
    .from(auditLog)
    .where(and(inArray(auditLog.entityType, ['complaint', 'complaint_evidence', 'complaint_proposal', 'complaint_approval', 'complaint_action']), inArray(auditLog.entityId, ids)))
    .orderBy(asc(auditLog.id))
    .limit(DETAIL_LIMIT);
  const timeline: TimelineEntryView[] = entries.map((e) => ({
    at: e.at.toISOString(),
    actorId: e.actorId,
    actorName: e.actorName,
    action: e.action,
    entityType: e.entityType,
    entityId: e.entityId,
    changes: (e.diff as Record<string, unknown> | null) ?? null,
    reason: e.reason,
  }));
  return {
    ...complaintView(c, ctx.clock.now()),
    customerName: (await customerBrief(ctx.db, c.customerId))?.name ?? null,
    evidence: evidence.slice(0, DETAIL_LIMIT).map(evidenceView),
    proposals: proposals.map((p) => proposalView(p, approvals.get(p.id)!)),
    actions: actions.map(actionView),
    timeline,
  };
}

// ---------- CP5 analysis ----------

const DIMENSION_COLUMNS = {
  cause: complaints.cause,
  category: complaints.category,
  product: complaints.productModel,
  agent: complaints.attributedStaffId,
  complainant: complaints.customerId,
} as const;

const UNSET_LABELS: Record<AnalysisDimension, string> = { cause: '未填写原因', category: '未分类', product: '未填写型号', agent: '未归责', complainant: '' };
/** The most rows an analysis answers; the long tail of free-text causes is rarely read. */
const ANALYSIS_ROWS = 200;

/**
 * CP5: complaints received in [from, to) counted by cause, category, product model, attributed
 * staff member, or — for repeat complainants — by customer, keeping those with two or more.
 */
export async function analyse(ctx: Ctx, f: { by: AnalysisDimension; from?: string; to?: string }): Promise<AnalysisView> {
  const cond: SQL[] = [];
  if (f.from) cond.push(gte(complaints.receivedAt, new Date(f.from)));
  if (f.to) cond.push(lt(complaints.receivedAt, new Date(f.to)));
  const key = DIMENSION_COLUMNS[f.by];
  const n = sql<number>`count(*)::int`;
  const closed = sql<number>`(count(*) filter (where ${isNotNull(complaints.closedAt)}))::int`;
  const [{ total }] = (await ctx.db.select({ total: n }).from(complaints).where(and(...cond))) as [{ total: number }];
  const grouped = await ctx.db
    .select({ key, count: n, closed })
    .from(complaints)
    .where(and(...cond))
    .groupBy(key)
    .having(f.by === 'complainant' ? sql`count(*) >= 2` : undefined)
    .orderBy(desc(n), sql`${key} asc nulls last`)
    .limit(ANALYSIS_ROWS);
  const keys = grouped.map((g) => g.key).filter((k): k is string => k !== null);
  const names = new Map<string, string>();
  if (f.by === 'agent' && keys.length) {
    for (const s of await ctx.db.select({ id: staff.id, name: staff.displayName }).from(staff).where(inArray(staff.id, keys))) names.set(s.id, s.name);
  }
  if (f.by === 'complainant') {
    for (const id of keys) names.set(id, (await customerBrief(ctx.db, id))?.name ?? id);
  }
  return {
    by: f.by,
    from: f.from ? new Date(f.from).toISOString() : null,
    to: f.to ? new Date(f.to).toISOString() : null,
    total,
    rows: grouped.map((g) => ({ key: g.key, label: g.key === null ? UNSET_LABELS[f.by] : (names.get(g.key) ?? g.key), count: g.count, closed: g.closed })),
  };
}

export { addEvidence } from './evidence.ts';
