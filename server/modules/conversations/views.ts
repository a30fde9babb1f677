import { Type, type Static } from '@sinclair/typebox';
import { Literals, Nullable, Timestamp, Uuid, iso, isoOrNull } from '../../platform/http/schemas.ts';
import { Pii } from '../../platform/pii/schema-mask.ts';
import { CHANNELS } from '../policy/document.ts';
import type { agentStates, assignments, attachments, cannedReplies, conversationReopens, conversationTasks, conversations, messages, queues } from './schema.ts';


export const STATUSES = ['new', 'open', 'pending_customer', 'pending_internal', 'resolved', 'closed'] as const;
export type Status = (typeof STATUSES)[number];
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const AUTHORS = ['customer', 'agent', 'system', 'note'] as const;
export type Author = (typeof AUTHORS)[number];
export const AGENT_STATUSES = ['online', 'busy', 'away', 'offline'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];
export const STRATEGIES = ['round_robin', 'least_busy'] as const;
export const TASK_KINDS = ['handoff', 'escalation', 'follow_up', 'callback'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];
export const TASK_STATUSES = ['open', 'done', 'cancelled'] as const;
export const TASK_ORIGINS = ['agent', 'missed_call', 'closure'] as const;
export type TaskOrigin = (typeof TASK_ORIGINS)[number];
/** S5: what a callback achieved; all but `unreached` mean the customer was reached. */
export const CALLBACK_OUTCOMES = ['reached', 'unreached', 'satisfied', 'not_satisfied'] as const;
export type CallbackOutcome = (typeof CALLBACK_OUTCOMES)[number];
export const REOPEN_SOURCES = ['customer_message', 'confirmation', 'callback', 'agent'] as const;

export const ChannelSchema = Literals(CHANNELS, 'chat 在线 / email 邮件 / phone 电话 / form 表单 / api 接口');
export const StatusSchema = Literals(
  STATUSES,
  'new 新建 / open 处理中 / pending_customer 待客户回复 / pending_internal 待内部处理 / resolved 已解决 / closed 已关闭',
);
export const PrioritySchema = Literals(PRIORITIES, 'low 低 / normal 普通 / high 高 / urgent 紧急');
export const AuthorSchema = Literals(AUTHORS, 'customer 客户 / agent 客服 / system 系统 / note 内部备注');
export const AgentStatusSchema = Literals(AGENT_STATUSES, 'online 在线 / busy 忙碌 / away 离开 / offline 离线');
export const StrategySchema = Literals(STRATEGIES, 'round_robin 轮询 / least_busy 最空闲优先');
export const TaskKindSchema = Literals(TASK_KINDS, 'handoff 协同部门转办 / escalation 升级 / follow_up 跟进 / callback 电话回拨');
export const TaskStatusSchema = Literals(TASK_STATUSES);
export const TaskOriginSchema = Literals(TASK_ORIGINS, 'agent 人工安排 / missed_call 未接来电 / closure 结案回访');
export const CallbackOutcomeSchema = Literals(CALLBACK_OUTCOMES, 'reached 已联系上 / unreached 未接通 / satisfied 客户满意 / not_satisfied 客户不满意');

/** The problem record's fields; a change may send "" (minLength 0) to clear one. */
const intakeFields = (minLength: 0 | 1) => ({
  orderNumber: Type.Optional(Type.String({ minLength, maxLength: 64 })),
  productModel: Type.Optional(Type.String({ minLength, maxLength: 100 })),
  serialNumber: Type.Optional(Type.String({ minLength, maxLength: 100 })),
  problemDescription: Type.Optional(Type.String({ minLength, maxLength: 5000 })),
  contact: Type.Optional(Pii('phone', { minLength, maxLength: 100, description: '回访联系方式' })),
});
export const IntakeSchema = Type.Object(intakeFields(1), { additionalProperties: false, description: '问题记录（CH5）' });
export const IntakeChangeSchema = Type.Object(intakeFields(0), {
  additionalProperties: false,
  description: '问题记录（CH5）的修改：只改所给的项，其余保留；某项传 "" 即清空该项',
});

export const AssignmentReason = Type.Object({
  code: Type.String({ description: 'round_robin / least_busy / manual / claimed / transfer / reassigned_offline' }),
  text: Type.String({ description: '分配原因（"为什么是我"）' }),
});

export const ConversationView = Type.Object(
  {
    id: Uuid,
    number: Type.Integer({ description: '会话编号，邮件主题中以 [#编号] 出现' }),
    channel: ChannelSchema,
    status: StatusSchema,
    priority: PrioritySchema,
    subject: Nullable(Type.String()),
    customerId: Uuid,
    queueId: Nullable(Uuid),
    assigneeId: Nullable(Uuid),
    teamId: Nullable(Uuid),
    tags: Type.Array(Type.String()),
    skill: Nullable(Type.String()),
    supportLevel: Type.Integer({ description: '支持级别，升级后增加' }),
    problemType: Nullable(Type.String()),
    businessDomain: Nullable(Type.String()),
    intake: IntakeSchema,
    leftMessage: Type.Boolean({ description: '无人接待时客户留言生成' }),
    reopenCount: Type.Integer(),
    transferCount: Type.Integer(),
    escalationCount: Type.Integer({ description: '升级与转办协同部门次数（影响首问解决）' }),
    greetedAt: Nullable(Timestamp),
    problemConfirmedAt: Nullable(Timestamp),
    followUpDueAt: Nullable(Timestamp),
    handlingSeconds: Type.Integer({ description: '处理时长（AHT）：文字渠道为处理中时长，不含等待；电话为通话+保持+话后' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    assignedAt: Nullable(Timestamp),
    firstResponseAt: Nullable(Timestamp),
    lastCustomerMessageAt: Nullable(Timestamp),
    lastAgentMessageAt: Nullable(Timestamp),
    resolvedAt: Nullable(Timestamp),
    closedAt: Nullable(Timestamp),
  },
  { title: 'Conversation' },
);
export type ConversationView = Static<typeof ConversationView>;
export type ConversationRow = typeof conversations.$inferSelect;

export function conversationView(r: ConversationRow, now?: Date): ConversationView {
  const running = r.activeSince && now ? Math.max(0, now.getTime() - r.activeSince.getTime()) : 0;
  return {
    id: r.id,
    number: r.number,
    channel: r.channel as ConversationView['channel'],
    status: r.status as Status,
    priority: r.priority as Priority,
    subject: r.subject,
    customerId: r.customerId,
    queueId: r.queueId,
    assigneeId: r.assigneeId,
    teamId: r.teamId,
    tags: r.tags,
    skill: r.skill,
    supportLevel: r.supportLevel,
    problemType: r.problemType,
    businessDomain: r.businessDomain,
    intake: r.intake,
    leftMessage: r.leftMessage,
    reopenCount: r.reopenCount,
    transferCount: r.transferCount,
    escalationCount: r.escalationCount,
    greetedAt: isoOrNull(r.greetedAt),
    problemConfirmedAt: isoOrNull(r.problemConfirmedAt),
    followUpDueAt: isoOrNull(r.followUpDueAt),
    handlingSeconds: Math.floor((r.handlingMs + running) / 1000),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    assignedAt: isoOrNull(r.assignedAt),
    firstResponseAt: isoOrNull(r.firstResponseAt),
    lastCustomerMessageAt: isoOrNull(r.lastCustomerMessageAt),
    lastAgentMessageAt: isoOrNull(r.lastAgentMessageAt),
    resolvedAt: isoOrNull(r.resolvedAt),
    closedAt: isoOrNull(r.closedAt),
  };
}

export const AttachmentView = Type.Object(
  {
    id: Uuid,
    conversationId: Uuid,
    messageId: Nullable(Uuid),
    fileName: Type.String(),
    contentType: Type.String({ description: '服务器识别的文件类型' }),
    size: Type.Integer(),
    sha256: Type.String(),
    createdAt: Timestamp,
  },
  { title: 'Attachment' },
);
export type AttachmentView = Static<typeof AttachmentView>;

export function attachmentView(r: typeof attachments.$inferSelect): AttachmentView {
  return {
    id: r.id,
    conversationId: r.conversationId,
    messageId: r.messageId,
    fileName: r.fileName,
    contentType: r.contentType,
    size: r.size,
    sha256: r.sha256,
    createdAt: iso(r.createdAt),
  };
}

export const MessageView = Type.Object(
  {
    id: Uuid,
    conversationId: Uuid,
    author: AuthorSchema,
    staffId: Nullable(Uuid),
    body: Type.String(),
    clientId: Nullable(Type.String()),
    delivery: Nullable(
      Type.Object({
        state: Type.Union([Type.Literal('pending'), Type.Literal('sent'), Type.Literal('failed')]),
        attempts: Type.Integer(),
        error: Nullable(Type.String()),
        at: Nullable(Timestamp),
      }),
    ),
    attachments: Type.Array(AttachmentView),
    createdAt: Timestamp,
  },
  { title: 'Message' },
);
export type MessageView = Static<typeof MessageView>;

export function messageView(r: typeof messages.$inferSelect, files: AttachmentView[] = []): MessageView {
  return {
    id: r.id,
    conversationId: r.conversationId,
    author: r.author as Author,
    staffId: r.staffId,
    body: r.body,
    clientId: r.clientId,
    delivery: r.delivery,
    attachments: files,
    createdAt: iso(r.createdAt),
  };
}

export const AssignmentView = Type.Object(
  {
    id: Uuid,
    conversationId: Uuid,
    staffId: Uuid,
    queueId: Nullable(Uuid),
    reason: AssignmentReason,
    assignedBy: Nullable(Uuid),
    startedAt: Timestamp,
    endedAt: Nullable(Timestamp),
    endReason: Nullable(Type.String()),
  },
  { title: 'Assignment' },
);
export type AssignmentView = Static<typeof AssignmentView>;

export function assignmentView(r: typeof assignments.$inferSelect): AssignmentView {
  return {
    id: r.id,
    conversationId: r.conversationId,
    staffId: r.staffId,
    queueId: r.queueId,
    reason: { code: r.reason.code, text: r.reason.text },
    assignedBy: r.assignedBy,
    startedAt: iso(r.startedAt),
    endedAt: isoOrNull(r.endedAt),
    endReason: r.endReason,
  };
}

export const QueueView = Type.Object(
  {
    id: Uuid,
    code: Type.String(),
    name: Type.String(),
    channels: Type.Array(ChannelSchema),
    skills: Type.Array(Type.String()),
    tiers: Type.Array(Type.String()),
    strategy: StrategySchema,
    priority: Type.Integer(),
    teamId: Nullable(Uuid),
    memberIds: Type.Array(Uuid),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'Queue' },
);
export type QueueView = Static<typeof QueueView>;

export function queueView(r: typeof queues.$inferSelect, memberIds: string[]): QueueView {
  return {
    id: r.id,
    code: r.code,
    name: r.name,
    channels: r.channels as QueueView['channels'],
    skills: r.skills,
    tiers: r.tiers,
    strategy: r.strategy as QueueView['strategy'],
    priority: r.priority,
    teamId: r.teamId,
    memberIds,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

export const AgentStateView = Type.Object(
  {
    staffId: Uuid,
    displayName: Type.String(),
    teamId: Nullable(Uuid),
    status: AgentStatusSchema,
    capacity: Type.Record(Type.String(), Type.Integer(), { description: '各渠道同时接待上限' }),
    load: Type.Record(Type.String(), Type.Integer(), { description: '各渠道当前接待数' }),
    skills: Type.Array(Type.String()),
    statusSince: Timestamp,
  },
  { title: 'AgentState' },
);
export type AgentStateView = Static<typeof AgentStateView>;
export type AgentStateRow = typeof agentStates.$inferSelect;

export const TaskView = Type.Object(
  {
    id: Uuid,
    conversationId: Uuid,
    conversationNumber: Type.Integer(),
    kind: TaskKindSchema,
    status: TaskStatusSchema,
    title: Type.String(),
    note: Nullable(Type.String()),
    departmentId: Nullable(Uuid),
    assigneeId: Nullable(Uuid),
    dueAt: Nullable(Timestamp),
    overdue: Type.Boolean({ description: '已过期未完成；回拨任务未在到期前联系上客户（漏回访）也为 true' }),
    customerMessage: Nullable(Type.String()),
    result: Nullable(Type.String()),
    origin: TaskOriginSchema,
    outcome: Nullable(CallbackOutcomeSchema),
    createdBy: Nullable(Uuid),
    createdAt: Timestamp,
    completedAt: Nullable(Timestamp),
    completedBy: Nullable(Uuid),
  },
  { title: 'Task' },
);
export type TaskView = Static<typeof TaskView>;

/** S5: a callback counts as made when the customer was reached by its due time; otherwise it is missed once due. */
export function callbackMissed(r: Pick<typeof conversationTasks.$inferSelect, 'kind' | 'status' | 'dueAt' | 'outcome' | 'completedAt'>, now: Date): boolean {
  if (r.kind !== 'callback' || r.status === 'cancelled' || r.dueAt === null || r.dueAt > now) return false;
  return !(r.status === 'done' && r.outcome !== 'unreached' && r.completedAt !== null && r.completedAt <= r.dueAt);
}

export function taskView(r: typeof conversationTasks.$inferSelect, conversationNumber: number, now: Date): TaskView {
  return {
    id: r.id,
    conversationId: r.conversationId,
    conversationNumber,
    kind: r.kind as TaskKind,
    status: r.status as TaskView['status'],
    title: r.title,
    note: r.note,
    departmentId: r.departmentId,
    assigneeId: r.assigneeId,
    dueAt: isoOrNull(r.dueAt),
    overdue: (r.status === 'open' && r.dueAt !== null && r.dueAt <= now) || callbackMissed(r, now),
    customerMessage: r.customerMessage,
    result: r.result,
    origin: r.origin as TaskOrigin,
    outcome: r.outcome as CallbackOutcome | null,
    createdBy: r.createdBy,
    createdAt: iso(r.createdAt),
    completedAt: isoOrNull(r.completedAt),
    completedBy: r.completedBy,
  };
}

/** S3: one reopen of a resolved or closed conversation, with who or what reopened it and why. */
export const ReopenView = Type.Object(
  {
    id: Uuid,
    conversationId: Uuid,
    /** 1 for the first reopen: the conversation's reopen count after it. */
    seq: Type.Integer({ description: '第几次重开' }),
    fromStatus: StatusSchema,
    source: Literals(REOPEN_SOURCES, 'customer_message 客户回复 / confirmation 结果反馈未解决或不满意 / callback 回访不满意 / agent 客服重开'),
    reason: Nullable(Type.String()),
    actorId: Nullable(Uuid),
    at: Timestamp,
  },
  { title: 'Reopen' },
);
export type ReopenView = Static<typeof ReopenView>;

export function reopenView(r: typeof conversationReopens.$inferSelect, seq: number): ReopenView {
  return {
    id: r.id,
    conversationId: r.conversationId,
    seq,
    fromStatus: r.fromStatus as Status,
    source: r.source as ReopenView['source'],
    reason: r.reason,
    actorId: r.actorId,
    at: iso(r.at),
  };
}

/** What a partner department sees of the case behind its task: the problem, not the customer (CH7). */
export const HandoffBrief = Type.Object(
  {
    number: Type.Integer(),
    channel: ChannelSchema,
    subject: Nullable(Type.String()),
    problemType: Nullable(Type.String()),
    intake: Type.Omit(IntakeSchema, ['contact']),
    ownerName: Nullable(Type.String()),
  },
  { title: 'HandoffBrief' },
);

export const CannedReplyView = Type.Object(
  {
    id: Uuid,
    scope: Type.Union([Type.Literal('personal'), Type.Literal('shared')]),
    title: Type.String(),
    body: Type.String({ description: '可含变量 {customer.name} {agent.name} {order.number} {conversation.number}' }),
    category: Nullable(Type.String()),
    shortcut: Nullable(Type.String()),
    usageCount: Type.Integer(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'CannedReply' },
);
export type CannedReplyView = Static<typeof CannedReplyView>;

export function cannedReplyView(r: typeof cannedReplies.$inferSelect): CannedReplyView {
  return {
    id: r.id,
    scope: r.ownerId ? 'personal' : 'shared',
    title: r.title,
    body: r.body,
    category: r.category,
    shortcut: r.shortcut,
    usageCount: r.usageCount,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}
