import { Type, type Static } from '@sinclair/typebox';
import { Literals, Nullable, Timestamp, Uuid, iso, isoOrNull } from '../../platform/http/schemas.ts';
import { Pii } from '../../platform/pii/schema-mask.ts';
import { CHANNELS } from '../policy/document.ts';
import type { complaintActions, complaintEvidence, complaintProposals, complaints } from './schema.ts';


export const COMPLAINT_STATUSES = ['accepted', 'investigating', 'proposed', 'approved', 'implementing', 'revisiting', 'closed'] as const;
export type ComplaintStatus = (typeof COMPLAINT_STATUSES)[number];
export const STATUS_LABELS: Record<ComplaintStatus, string> = {
  accepted: '已受理',
  investigating: '调查中',
  proposed: '方案审核中',
  approved: '方案已批准',
  implementing: '实施中',
  revisiting: '待回访',
  closed: '已结案',
};
export const ComplaintStatusSchema = Literals(
  COMPLAINT_STATUSES,
  'accepted 已受理 / investigating 调查中 / proposed 方案审核中 / approved 方案已批准 / implementing 实施中 / revisiting 待回访 / closed 已结案（归档，只读）',
);

/** Besides the conversation channels, complaints arrive in person, by letter or through a regulator (12315 等转办). */
export const COMPLAINT_CHANNELS = [...CHANNELS, 'in_person', 'letter', 'regulator', 'other'] as const;
export type ComplaintChannel = (typeof COMPLAINT_CHANNELS)[number];
export const ComplaintChannelSchema = Literals(
  COMPLAINT_CHANNELS,
  'chat 在线 / email 邮件 / phone 电话 / form 表单 / api 接口 / in_person 来访 / letter 信函 / regulator 监管部门转办 / other 其他',
);

export const SEVERITIES = ['normal', 'major', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const SeveritySchema = Literals(SEVERITIES, 'normal 一般投诉 / major 重要投诉 / critical 重大投诉');

export const EVIDENCE_KINDS = ['conversation', 'message', 'call_recording', 'order', 'email', 'attachment'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];
export const EvidenceKindSchema = Literals(
  EVIDENCE_KINDS,
  'conversation 会话记录（refId 为会话 id）/ message 单条消息 / call_recording 通话录音（refId 为通话记录 id）/ order 订单 / email 邮件（邮件消息 id）/ attachment 附件',
);

export const PROPOSAL_STATUSES = ['pending', 'approved', 'rejected'] as const;
export const APPROVAL_DECISIONS = ['waiting', 'pending', 'approved', 'rejected', 'skipped'] as const;
export type ApprovalDecision = (typeof APPROVAL_DECISIONS)[number];
export const ApprovalDecisionSchema = Literals(
  APPROVAL_DECISIONS,
  'waiting 等待前一级 / pending 待审核 / approved 通过 / rejected 驳回 / skipped 因前一级驳回不再审核',
);
export const ACTION_STATUSES = ['open', 'done', 'cancelled'] as const;
export const REVISIT_OUTCOMES = ['satisfied', 'unsatisfied'] as const;
export type RevisitOutcome = (typeof REVISIT_OUTCOMES)[number];
export const RevisitOutcomeSchema = Literals(REVISIT_OUTCOMES, 'satisfied 满意 / unsatisfied 不满意');

export type ComplaintRow = typeof complaints.$inferSelect;

export const ComplaintView = Type.Object(
  {
    id: Uuid,
    number: Type.Integer({ description: '投诉编号' }),
    status: ComplaintStatusSchema,
    customerId: Uuid,
    conversationId: Nullable(Uuid),
    receivedAt: Timestamp,
    complainantName: Type.String({ description: '投诉人' }),
    contact: Pii('phone', { description: '投诉人联系电话' }),
    channel: ComplaintChannelSchema,
    matter: Type.String({ description: '投诉事项' }),
    category: Nullable(Type.String({ description: '投诉类别' })),
    cause: Nullable(Type.String({ description: '调查得出的原因' })),
    productModel: Nullable(Type.String({ description: '涉及产品型号' })),
    severity: SeveritySchema,
    acceptedBy: Nullable(Uuid),
    ownerId: Nullable(Uuid),
    respondBy: Nullable(Type.String({ format: 'date-time', description: '响应时限：受理时间加制度的 complaints.responseHours（早于此功能受理的投诉为 null）' })),
    responseOverdue: Type.Boolean({ description: '已过响应时限仍为“已受理”（未开始调查）' }),
    apologySentAt: Nullable(Timestamp),
    agreedMethod: Nullable(Type.String({ description: '与客户约定的处理方式（方案批准后记录）' })),
    agreedAt: Nullable(Timestamp),
    attributedStaffId: Nullable(Uuid),
    attributionNote: Nullable(Type.String()),
    revisitOutcome: Nullable(RevisitOutcomeSchema),
    revisitedAt: Nullable(Timestamp),
    closedAt: Nullable(Timestamp),
    archivedAt: Nullable(Timestamp),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'Complaint' },
);
export type ComplaintView = Static<typeof ComplaintView>;

/** CP1: past its response deadline and still not taken up; `responseOverdueCondition` is the SQL twin. */
export function responseOverdue(r: Pick<ComplaintRow, 'status' | 'respondBy'>, now: Date): boolean {
  return r.status === 'accepted' && r.respondBy !== null && r.respondBy <= now;
}

export function complaintView(r: ComplaintRow, now: Date): ComplaintView {
  return {
    id: r.id,
    number: r.number,
    status: r.status as ComplaintStatus,
    customerId: r.customerId,
    conversationId: r.conversationId,
    receivedAt: iso(r.receivedAt),
    complainantName: r.complainantName,
    contact: r.contact,
    channel: r.channel as ComplaintChannel,
    matter: r.matter,
    category: r.category,
    cause: r.cause,
    productModel: r.productModel,
    severity: r.severity as Severity,
    acceptedBy: r.acceptedBy,
    ownerId: r.ownerId,
    respondBy: isoOrNull(r.respondBy),
    responseOverdue: responseOverdue(r, now),
    apologySentAt: isoOrNull(r.apologySentAt),
    agreedMethod: r.agreedMethod,
    agreedAt: isoOrNull(r.agreedAt),
    attributedStaffId: r.attributedStaffId,
    attributionNote: r.attributionNote,
    revisitOutcome: r.revisitOutcome as RevisitOutcome | null,
    revisitedAt: isoOrNull(r.revisitedAt),
    closedAt: isoOrNull(r.closedAt),
    archivedAt: isoOrNull(r.archivedAt),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

export const EvidenceView = Type.Object(
  {
    id: Uuid,
    complaintId: Uuid,
    kind: EvidenceKindSchema,
    refId: Uuid,
    note: Nullable(Type.String()),
    snapshot: Type.Record(Type.String(), Type.Unknown(), { description: '添加时记录内容的副本（会话摘录、订单号与金额、通话时间等），原记录之后修改也不影响' }),
    link: Type.String({ description: '查看原记录的接口地址' }),
    addedBy: Nullable(Uuid),
    addedAt: Timestamp,
  },
  { title: 'ComplaintEvidence' },
);
export type EvidenceView = Static<typeof EvidenceView>;
export type EvidenceRow = typeof complaintEvidence.$inferSelect;

/** Where the live record is read; the snapshot holds the ids the link needs. */
function linkOf(r: EvidenceRow): string {
  const s = r.snapshot as { conversationId?: string; customerId?: string; recordingId?: string };
  switch (r.kind as EvidenceKind) {
    case 'conversation':
      return `/api/conversations/${r.refId}`;
    case 'message':
    case 'email':
      return `/api/conversations/${s.conversationId}/messages`;
    case 'call_recording':
      return `/api/attachments/${s.recordingId}`;
    case 'order':
      return `/api/customers/${s.customerId}/orders`;
    case 'attachment':
      return `/api/attachments/${r.refId}`;
  }
}

export function evidenceView(r: EvidenceRow): EvidenceView {
  return {
    id: r.id,
    complaintId: r.complaintId,
    kind: r.kind as EvidenceKind,
    refId: r.refId,
    note: r.note,
    snapshot: r.snapshot,
    link: linkOf(r),
    addedBy: r.addedBy,
    addedAt: iso(r.addedAt),
  };
}

export const ApprovalView = Type.Object(
  {
    id: Uuid,
    proposalId: Uuid,
    step: Type.Integer({ description: '审核顺序，从 1 开始' }),
    departmentId: Uuid,
    departmentCode: Type.String(),
    departmentName: Type.String(),
    decision: ApprovalDecisionSchema,
    comment: Nullable(Type.String()),
    decidedBy: Nullable(Uuid),
    decidedByName: Nullable(Type.String()),
    decidedAt: Nullable(Timestamp),
  },
  { title: 'ComplaintApproval' },
);
export type ApprovalView = Static<typeof ApprovalView>;

export const ProposalView = Type.Object(
  {
    id: Uuid,
    complaintId: Uuid,
    version: Type.Integer({ description: '第几版方案；驳回后重新提交为下一版' }),
    solution: Type.String(),
    agreedMethod: Type.String(),
    agreedAt: Timestamp,
    status: Literals(PROPOSAL_STATUSES, 'pending 审核中 / approved 已批准 / rejected 已驳回'),
    createdBy: Nullable(Uuid),
    createdAt: Timestamp,
    decidedAt: Nullable(Timestamp),
    approvals: Type.Array(ApprovalView),
  },
  { title: 'ComplaintProposal' },
);
export type ProposalView = Static<typeof ProposalView>;

export function proposalView(r: typeof complaintProposals.$inferSelect, approvals: ApprovalView[]): ProposalView {
  return {
    id: r.id,
    complaintId: r.complaintId,
    version: r.version,
    solution: r.solution,
    agreedMethod: r.agreedMethod,
    agreedAt: iso(r.agreedAt),
    status: r.status as ProposalView['status'],
    createdBy: r.createdBy,
    createdAt: iso(r.createdAt),
    decidedAt: isoOrNull(r.decidedAt),
    approvals,
  };
}

/** What an approver sees of the case: the matter and the solution, never the complainant's contact. */
export const ApprovalTaskView = Type.Composite(
  [
    ApprovalView,
    Type.Object({
      stepsTotal: Type.Integer(),
      complaint: Type.Object({
        id: Uuid,
        number: Type.Integer(),
        status: ComplaintStatusSchema,
        matter: Type.String(),
        category: Nullable(Type.String()),
        productModel: Nullable(Type.String()),
        severity: SeveritySchema,
        receivedAt: Timestamp,
      }),
      proposal: Type.Object({
        id: Uuid,
        version: Type.Integer(),
        solution: Type.String(),
        agreedMethod: Type.String(),
        agreedAt: Timestamp,
        createdBy: Nullable(Uuid),
      }),
    }),
  ],
  { title: 'ComplaintApprovalTask' },
);
export type ApprovalTaskView = Static<typeof ApprovalTaskView>;

export const ActionView = Type.Object(
  {
    id: Uuid,
    complaintId: Uuid,
    title: Type.String(),
    assigneeId: Nullable(Uuid),
    departmentId: Nullable(Uuid),
    dueAt: Nullable(Timestamp),
    status: Literals(ACTION_STATUSES, 'open 进行中 / done 已完成 / cancelled 已取消'),
    result: Nullable(Type.String()),
    createdBy: Nullable(Uuid),
    createdAt: Timestamp,
    doneAt: Nullable(Timestamp),
    doneBy: Nullable(Uuid),
    cancelledAt: Nullable(Timestamp),
    cancelledBy: Nullable(Uuid),
    cancelReason: Nullable(Type.String({ description: '取消原因' })),
  },
  { title: 'ComplaintAction' },
);
export type ActionView = Static<typeof ActionView>;

export type ActionRow = typeof complaintActions.$inferSelect;

export function actionView(r: ActionRow): ActionView {
  return {
    ...r,
    status: r.status as ActionView['status'],
    dueAt: isoOrNull(r.dueAt),
    createdAt: iso(r.createdAt),
    doneAt: isoOrNull(r.doneAt),
    cancelledAt: isoOrNull(r.cancelledAt),
  };
}

export const TimelineEntryView = Type.Object(
  {
    at: Timestamp,
    actorId: Nullable(Type.String()),
    actorName: Nullable(Type.String()),
    action: Type.String({ description: 'create / update' }),
    entityType: Type.String({ description: 'complaint / complaint_evidence / complaint_proposal / complaint_approval / complaint_action' }),
    entityId: Nullable(Type.String()),
    changes: Nullable(Type.Record(Type.String(), Type.Unknown(), { description: '{字段: {from, to}}，个人信息已脱敏' })),
    reason: Nullable(Type.String({ description: '驳回意见、回访记录、结案说明等' })),
  },
  { title: 'ComplaintTimelineEntry' },
);
export type TimelineEntryView = Static<typeof TimelineEntryView>;

export const ComplaintDetailView = Type.Composite(
  [
    ComplaintView,
    Type.Object({
      customerName: Nullable(Type.String()),
      evidence: Type.Array(EvidenceView),
      proposals: Type.Array(ProposalView),
      actions: Type.Array(ActionView),
      timeline: Type.Array(TimelineEntryView),
    }),
  ],
  { title: 'ComplaintDetail' },
);
export type ComplaintDetailView = Static<typeof ComplaintDetailView>;

export const ANALYSIS_DIMENSIONS = ['cause', 'category', 'product', 'agent', 'complainant'] as const;
export type AnalysisDimension = (typeof ANALYSIS_DIMENSIONS)[number];
export const AnalysisDimensionSchema = Literals(
  ANALYSIS_DIMENSIONS,
  'cause 按原因 / category 按类别 / product 按产品型号 / agent 按归责员工 / complainant 重复投诉的客户（2 次及以上）',
);

export const AnalysisView = Type.Object(
  {
    by: AnalysisDimensionSchema,
    from: Nullable(Timestamp),
    to: Nullable(Timestamp),
    total: Type.Integer({ description: '时间段内的投诉总数' }),
    rows: Type.Array(
      Type.Object({
        key: Nullable(Type.String({ description: '原因、类别、型号，或员工 / 客户 id；未填写为 null' })),
        label: Type.String(),
        count: Type.Integer(),
        closed: Type.Integer({ description: '其中已结案' }),
      }),
    ),
  },
  { title: 'ComplaintAnalysis' },
);
export type AnalysisView = Static<typeof AnalysisView>;
