import { and, asc, eq, inArray, isNotNull, lte, type SQL } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import type { Actor } from '../../platform/context.ts';
import { defineErrors } from '../../platform/errors.ts';
import { declareEventTypes, type Audience } from '../../platform/events/outbox.ts';
import { cancelJobs } from '../../platform/jobs/runner.ts';
import { registerRevealable } from '../../platform/pii/reveal.ts';
import type { Writer } from '../../platform/write.ts';
import { departments, staff } from '../org/schema.ts';
import { complaintActions, complaintApprovals, complaints } from './schema.ts';
import { ComplaintView, STATUS_LABELS, complaintView, type ActionRow, type ApprovalDecision, type ApprovalView, type ComplaintRow, type ComplaintStatus } from './views.ts';

export const ComplaintError = defineErrors('complaint', {
  not_found: [404, { 'zh-CN': '投诉不存在', 'zh-TW': '投訴不存在', en: 'Complaint not found' }],
  archived: [409, { 'zh-CN': '投诉已结案归档，不能再修改', 'zh-TW': '投訴已結案歸檔，不能再修改', en: 'The complaint is closed and archived; it is read-only' }],
  invalid_transition: [409, { 'zh-CN': '投诉不能从「{from}」变为「{to}」', 'zh-TW': '投訴不能從「{from}」變為「{to}」', en: 'A complaint cannot go from {from} to {to}' }],
  customer_not_found: [404, { 'zh-CN': '客户不存在', 'zh-TW': '客戶不存在', en: 'Customer not found' }],
  conversation_other_customer: [422, { 'zh-CN': '关联的会话不属于该投诉客户', 'zh-TW': '關聯的會話不屬於該投訴客戶', en: 'The conversation belongs to another customer' }],
  received_in_future: [400, { 'zh-CN': '受理时间不能晚于当前时间', 'zh-TW': '受理時間不能晚於目前時間', en: 'The time received cannot be in the future' }],
  staff_not_found: [400, { 'zh-CN': '员工不存在或已停用', 'zh-TW': '員工不存在或已停用', en: 'No active staff member with this id' }],
  department_not_found: [400, { 'zh-CN': '部门不存在', 'zh-TW': '部門不存在', en: 'Department not found' }],
  attribution_closed: [409, { 'zh-CN': '原因与归责只能在调查阶段填写（当前：{status}）', 'zh-TW': '原因與歸責只能在調查階段填寫（目前：{status}）', en: 'Cause and attribution are set during the investigation (now: {status})' }],
  evidence_not_found: [404, { 'zh-CN': '要关联的记录不存在', 'zh-TW': '要關聯的記錄不存在', en: 'The record to link does not exist' }],
  evidence_other_customer: [422, { 'zh-CN': '该记录不属于投诉客户', 'zh-TW': '該記錄不屬於投訴客戶', en: 'The record belongs to another customer' }],
  evidence_exists: [409, { 'zh-CN': '该记录已作为证据关联', 'zh-TW': '該記錄已作為證據關聯', en: 'This record is already linked as evidence' }],
  no_recording: [422, { 'zh-CN': '该通话没有录音', 'zh-TW': '該通話沒有錄音', en: 'The call has no recording' }],
  not_email: [422, { 'zh-CN': '该消息不是邮件', 'zh-TW': '該訊息不是郵件', en: 'The message is not an email' }],
  agreed_in_past: [400, { 'zh-CN': '约定处理时间不能早于当前时间', 'zh-TW': '約定處理時間不能早於目前時間', en: 'The agreed time cannot be in the past' }],
  unknown_department: [
    422,
    {
      'zh-CN': '制度中的投诉审核部门编码 {code} 不存在，请先修订制度（complaints.approvalChain）',
      'zh-TW': '制度中的投訴審核部門編碼 {code} 不存在，請先修訂制度（complaints.approvalChain）',
      en: 'Approval department {code} in the policy does not exist; revise complaints.approvalChain first',
    },
  ],
  approval_not_found: [404, { 'zh-CN': '审核步骤不存在', 'zh-TW': '審核步驟不存在', en: 'Approval step not found' }],
  approval_waiting: [409, { 'zh-CN': '前一级审核尚未完成，请按顺序审核', 'zh-TW': '前一級審核尚未完成，請按順序審核', en: 'An earlier step is still open; steps are decided in order' }],
  approval_decided: [409, { 'zh-CN': '该审核步骤已处理', 'zh-TW': '該審核步驟已處理', en: 'This step has already been decided' }],
  not_approver: [403, { 'zh-CN': '只有{department}的人员可以审核此步骤', 'zh-TW': '只有{department}的人員可以審核此步驟', en: 'Only members of {department} may decide this step' }],
  own_proposal: [403, { 'zh-CN': '不能审核自己提交的方案', 'zh-TW': '不能審核自己提交的方案', en: 'You cannot decide on your own proposal' }],
  comment_required: [400, { 'zh-CN': '驳回时须填写意见', 'zh-TW': '駁回時須填寫意見', en: 'A rejection needs a comment' }],
  actions_not_allowed: [409, { 'zh-CN': '方案批准后才能安排实施任务（当前：{status}）', 'zh-TW': '方案批准後才能安排實施任務（目前：{status}）', en: 'Implementation tasks follow an approved proposal (now: {status})' }],
  due_in_past: [400, { 'zh-CN': '到期时间必须晚于当前时间', 'zh-TW': '到期時間必須晚於目前時間', en: 'The due time must be in the future' }],
  action_not_found: [404, { 'zh-CN': '实施任务不存在', 'zh-TW': '實施任務不存在', en: 'Implementation task not found' }],
  action_not_open: [409, { 'zh-CN': '实施任务已完成或已取消', 'zh-TW': '實施任務已完成或已取消', en: 'The implementation task is already done or cancelled' }],
  not_action_assignee: [
    403,
    {
      'zh-CN': '只有任务负责人、任务所属部门的人员或投诉处理人员可以完成此实施任务',
      'zh-TW': '只有任務負責人、任務所屬部門的人員或投訴處理人員可以完成此實施任務',
      en: 'Only the assignee, staff of the task’s department or complaint handlers may complete this task',
    },
  ],
  revisit_not_due: [409, { 'zh-CN': '实施完成后才能回访（当前：{status}）', 'zh-TW': '實施完成後才能回訪（目前：{status}）', en: 'The revisit follows the implementation (now: {status})' }],
  revisit_required: [409, { 'zh-CN': '须回访确认客户满意后才能结案', 'zh-TW': '須回訪確認客戶滿意後才能結案', en: 'A revisit must confirm the customer is satisfied before closing' }],
});

declareEventTypes({
  'complaint.created': '投诉已受理',
  'complaint.updated': '投诉状态、归责或约定事项变化',
  'complaint.closed': '投诉已结案归档',
  'complaint.response_overdue': '投诉超过响应时限仍未处理',
  'complaint.evidence_added': '投诉关联了证据',
  'complaint.proposal_submitted': '投诉解决方案已提交审核',
  'complaint.proposal_decided': '投诉解决方案审核完成（批准或驳回）',
  'complaint.approval_requested': '投诉方案待本部门审核',
  'complaint.approval_decided': '投诉方案某一级审核已处理',
  'complaint.action_created': '投诉实施任务已安排',
  'complaint.action_completed': '投诉实施任务已完成',
  'complaint.action_cancelled': '投诉实施任务已取消（附原因）',
  'complaint.action_due': '投诉实施任务到期仍未完成',
});

export const RESPONSE_JOB = 'complaint.response_due';
export const responseKey = (complaintId: string) => `complaint-response:${complaintId}`;
export const ACTION_DUE_JOB = 'complaint.action_due';
/** The dedupe key of an action's due-time reminder: cancelled when the action is completed or cancelled. */
export const actionDueKey = (actionId: string) => `complaint-action-due:${actionId}`;

/** CP1, the SQL twin of `responseOverdue` (views.ts); never null, so its negation is safe. */
export function responseOverdueCondition(now: Date): SQL {
  return and(eq(complaints.status, 'accepted'), isNotNull(complaints.respondBy), lte(complaints.respondBy, now))!;
}

/**
 * CP4: who may complete or cancel an implementation task — the one rule, for every route that
 * touches one. Complaint handlers (complaints.manage) may do both. A task's assignee and the staff
 * of its department (partner departments included) may complete it, not cancel it: cancelling
 * changes the agreed plan, which is the complaint handlers' call. Signed-in staff are active.
 */
export function checkActionAccess(actor: Actor, a: Pick<ActionRow, 'assigneeId' | 'departmentId'>, op: 'complete' | 'cancel'): void {
  if (actor.permissions.has('complaints.manage')) return;
  const assigned = actor.id !== null && (a.assigneeId === actor.id || (a.departmentId !== null && a.departmentId === actor.departmentId));
  if (op === 'complete' && assigned) return;
  throw ComplaintError('not_action_assignee');
}

/** The action and its complaint, both locked, complaint first (the order every complaint write takes). */
export async function findActionForWrite(w: Writer, actionId: string): Promise<{ complaint: ComplaintRow; action: ActionRow }> {
  const [head] = await w.tx.select({ complaintId: complaintActions.complaintId }).from(complaintActions).where(eq(complaintActions.id, actionId)).limit(1);
  if (!head) throw ComplaintError('action_not_found');
  const complaint = await findForWrite(w, head.complaintId);
  const [action] = await w.tx.select().from(complaintActions).where(eq(complaintActions.id, actionId)).for('update');
  return { complaint, action: action! };
}

/** CP1–CP4: the status machine, enforced here and nowhere else. */
const TRANSITIONS: Record<ComplaintStatus, readonly ComplaintStatus[]> = {
  accepted: ['investigating'],
  investigating: ['proposed'],
  // A rejected proposal sends the case back to the investigation.
  proposed: ['approved', 'investigating'],
  approved: ['implementing'],
  implementing: ['revisiting'],
  // An unsatisfied customer sends it back to the work, or to a new solution.
  revisiting: ['closed', 'implementing', 'investigating'],
  closed: [],
};

export function checkTransition(from: ComplaintStatus, to: ComplaintStatus): void {
  if (!TRANSITIONS[from].includes(to)) throw ComplaintError('invalid_transition', { params: { from: STATUS_LABELS[from], to: STATUS_LABELS[to] } });
}

/** The owner follows their complaint; team leads, QA and management see every complaint event. */
export function complaintAudience(r: Pick<ComplaintRow, 'ownerId'>): Audience {
  return { staffIds: r.ownerId ? [r.ownerId] : [], permissions: ['complaints.analyse'] };
}

export async function findComplaint(db: Executor, id: string): Promise<ComplaintRow> {
  const [row] = await db.select().from(complaints).where(eq(complaints.id, id)).limit(1);
  if (!row) throw ComplaintError('not_found');
  return row;
}

/** Locks the complaint for a change; every write on a closed one is refused here. */
export async function findForWrite(w: Writer, id: string): Promise<ComplaintRow> {
  const [row] = await w.tx.select().from(complaints).where(eq(complaints.id, id)).for('update');
  if (!row) throw ComplaintError('not_found');
  if (row.archivedAt) throw ComplaintError('archived');
  return row;
}

export type ComplaintPatch = Partial<Omit<ComplaintRow, 'id' | 'number' | 'createdAt'>>;

/** Applies a change and records it; leaving `accepted` answers the response deadline. */
export async function saveComplaint(w: Writer, before: ComplaintRow, patch: ComplaintPatch, opts: { event?: string; reason?: string | null } = {}): Promise<ComplaintRow> {
  const [after] = await w.tx
    .update(complaints)
    .set({ ...patch, updatedAt: w.now })
    .where(eq(complaints.id, before.id))
    .returning();
  if (before.status === 'accepted' && after!.status !== 'accepted') await cancelJobs(w.tx, responseKey(before.id), w.now);
  await w.changed({
    entityType: 'complaint',
    entityId: before.id,
    schema: ComplaintView,
    before: complaintView(before, w.now),
    after: complaintView(after!, w.now),
    event: opts.event ?? 'complaint.updated',
    audience: complaintAudience(after!),
    reason: opts.reason,
  });
  return after!;
}

export async function moveComplaint(w: Writer, before: ComplaintRow, to: ComplaintStatus, patch: ComplaintPatch = {}, opts: { event?: string; reason?: string | null } = {}): Promise<ComplaintRow> {
  checkTransition(before.status as ComplaintStatus, to);
  return saveComplaint(w, before, { ...patch, status: to }, opts);
}

/** Approval steps with their department and decider names, in order. */
export async function loadApprovals(db: Executor, proposalIds: string[]): Promise<Map<string, ApprovalView[]>> {
  const out = new Map<string, ApprovalView[]>(proposalIds.map((id) => [id, []]));
  if (proposalIds.length === 0) return out;
  const rows = await db
    .select({ a: complaintApprovals, code: departments.code, name: departments.name, decidedByName: staff.displayName })
    .from(complaintApprovals)
    .innerJoin(departments, eq(departments.id, complaintApprovals.departmentId))
    .leftJoin(staff, eq(staff.id, complaintApprovals.decidedBy))
    .where(inArray(complaintApprovals.proposalId, proposalIds))
    .orderBy(asc(complaintApprovals.proposalId), asc(complaintApprovals.step));
  for (const r of rows) {
    out.get(r.a.proposalId)!.push({
      id: r.a.id,
      proposalId: r.a.proposalId,
      step: r.a.step,
      departmentId: r.a.departmentId,
      departmentCode: r.code,
      departmentName: r.name,
      decision: r.a.decision as ApprovalDecision,
      comment: r.a.comment,
      decidedBy: r.a.decidedBy,
      decidedByName: r.decidedByName,
      decidedAt: r.a.decidedAt ? r.a.decidedAt.toISOString() : null,
    });
  }
  return out;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Every service staff member may read a complaint, so holders of pii.reveal may reveal its contact.
registerRevealable('complaint', {
  schema: ComplaintView,
  async load(ctx, id) {
    if (!UUID.test(id)) return null;
    const [row] = await ctx.db.select().from(complaints).where(eq(complaints.id, id)).limit(1);
    return row ? complaintView(row, ctx.clock.now()) : null;
  },
});
