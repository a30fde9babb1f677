import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { at, id } from '../../db/columns.ts';
import { customers } from '../customers/schema.ts';
import { staff, teams } from '../org/schema.ts';

/** CH6: where work waits. A conversation matches a queue by channel, and by skill and tier when the queue names them. */
export const queues = pgTable(
  'queues',
  {
    id: id(),
    code: text().notNull(),
    name: text().notNull(),
    channels: text().array().notNull(),
    skills: text().array().notNull(),
    tiers: text().array().notNull(),
    strategy: text().notNull(),
    /** Higher wins when several queues match. */
    priority: integer().notNull(),
    teamId: uuid().references(() => teams.id),
    createdAt: at().notNull(),
    updatedAt: at().notNull(),
  },
  (t) => [uniqueIndex('queues_code_key').on(t.code)],
);

export const queueMembers = pgTable(
  'queue_members',
  {
    queueId: uuid()
      .notNull()
      .references(() => queues.id, { onDelete: 'cascade' }),
    staffId: uuid()
      .notNull()
      .references(() => staff.id),
    /** Round-robin takes the member assigned longest ago. */
    lastAssignedAt: at(),
  },
  (t) => [primaryKey({ columns: [t.queueId, t.staffId] }), index('queue_members_staff_idx').on(t.staffId)],
);

/** CH6: an agent's availability, capacity per channel and skills. */
export const agentStates = pgTable('agent_states', {
  staffId: uuid()
    .primaryKey()
    .references(() => staff.id),
  status: text().notNull(),
  capacity: jsonb().$type<Record<string, number>>().notNull(),
  skills: text().array().notNull(),
  statusSince: at().notNull(),
  updatedAt: at().notNull(),
});

export interface Intake {
  orderNumber?: string;
  productModel?: string;
  serialNumber?: string;
  problemDescription?: string;
  contact?: string;
}

/** CH1: one model for every channel. */
export const conversations = pgTable(
  'conversations',
  {
    id: id(),
    number: integer().generatedAlwaysAsIdentity({ startWith: 10001 }).notNull(),
    channel: text().notNull(),
    status: text().notNull(),
    priority: text().notNull(),
    subject: text(),
    customerId: uuid()
      .notNull()
      .references(() => customers.id),
    queueId: uuid().references(() => queues.id),
    assigneeId: uuid().references(() => staff.id),
    teamId: uuid().references(() => teams.id),
    tags: text().array().notNull(),
    skill: text(),
    /** 1 = front line; escalation raises it (高级支持请求). */
    supportLevel: integer().notNull(),
    /** CH5: problem type and business domain from the policy's catalogue; the other intake fields beside. */
    problemType: text(),
    businessDomain: text(),
    intake: jsonb().$type<Intake>().notNull(),
    /** Left while nobody could answer (留言). */
    leftMessage: boolean().notNull(),
    /** The chat widget's visitor that opened it; only that visitor may read it. */
    visitorId: text(),
    createdAt: at().notNull(),
    updatedAt: at().notNull(),
    assignedAt: at(),
    firstResponseAt: at(),
    lastCustomerMessageAt: at(),
    lastAgentMessageAt: at(),
    pendingSince: at(),
    resolvedAt: at(),
    closedAt: at(),
    reopenCount: integer().notNull(),
    /** S1 phone milestones: the agent greeted the caller / confirmed the core problem (one click or the CTI). */
    greetedAt: at(),
    problemConfirmedAt: at(),
    /** S6: first-contact resolution is lost by any transfer or escalation; counted where they happen. */
    transferCount: integer().notNull().default(0),
    escalationCount: integer().notNull().default(0),
    /** CH9: an overdue follow-up flags the conversation until someone acts. */
    followUpDueAt: at(),
    /** AHT (CH11): agent-active milliseconds so far, and since when the clock runs. */
    handlingMs: bigint({ mode: 'number' }).notNull(),
    activeSince: at(),
  },
  (t) => [
    uniqueIndex('conversations_number_key').on(t.number),
    index('conversations_status_idx').on(t.status, t.id),
    index('conversations_assignee_idx').on(t.assigneeId, t.status),
    index('conversations_queue_idx').on(t.queueId, t.status),
    index('conversations_customer_idx').on(t.customerId, t.createdAt),
    index('conversations_created_idx').on(t.createdAt),
    // KPIs by resolution period (AHT, workload): bench/kpi.ts.
    index('conversations_resolved_idx').on(t.resolvedAt),
    index('conversations_visitor_idx').on(t.visitorId),
    index('conversations_tags_idx').using('gin', t.tags),
  ],
);

export interface MessageDelivery {
  state: 'pending' | 'sent' | 'failed';
  attempts: number;
  error: string | null;
  at: string | null;
}

export const messages = pgTable(
  'messages',
  {
    id: id(),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id),
    /** customer | agent | system | note (internal, never shown to the customer) */
    author: text().notNull(),
    staffId: uuid().references(() => staff.id),
    body: text().notNull(),
    /** Set by the sender (chat widget, API) so a resend after a lost acknowledgement is dropped. */
    clientId: text(),
    /** Email: our own or the sender's Message-ID and the thread it answers. */
    emailMessageId: text(),
    emailInReplyTo: text(),
    /** Outbound delivery on the conversation's channel (email, chat push). */
    delivery: jsonb().$type<MessageDelivery>(),
    createdAt: at().notNull(),
  },
  (t) => [
    index('messages_conversation_idx').on(t.conversationId, t.id),
    uniqueIndex('messages_client_id_key').on(t.conversationId, t.clientId),
    uniqueIndex('messages_email_message_id_key').on(t.emailMessageId),
  ],
);

/** Files live under the data dir; the row holds what the server itself found out about them. */
export const attachments = pgTable(
  'attachments',
  {
    id: id(),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id),
    messageId: uuid().references(() => messages.id),
    fileName: text().notNull(),
    contentType: text().notNull(),
    size: integer().notNull(),
    sha256: text().notNull(),
    storageKey: text().notNull(),
    uploadedBy: uuid(),
    createdAt: at().notNull(),
  },
  (t) => [index('attachments_conversation_idx').on(t.conversationId), index('attachments_message_idx').on(t.messageId)],
);

/** CH6: every assignment with the reason it was made ("why me"). */
export const assignments = pgTable(
  'assignments',
  {
    id: id(),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id),
    staffId: uuid()
      .notNull()
      .references(() => staff.id),
    queueId: uuid(),
    reason: jsonb().$type<{ code: string; text: string; details?: Record<string, unknown> }>().notNull(),
    assignedBy: uuid(),
    startedAt: at().notNull(),
    endedAt: at(),
    endReason: text(),
  },
  (t) => [index('assignments_conversation_idx').on(t.conversationId, t.startedAt), index('assignments_staff_idx').on(t.staffId, t.startedAt)],
);

/** CH7/CH9: internal work that hangs off a conversation — partner hand-offs, escalations, follow-ups, callbacks. */
export const conversationTasks = pgTable(
  'conversation_tasks',
  {
    id: id(),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id),
    kind: text().notNull(),
    status: text().notNull(),
    title: text().notNull(),
    note: text(),
    departmentId: uuid(),
    assigneeId: uuid(),
    dueAt: at(),
    /** Follow-ups: what the customer is told when it fires, if anything. */
    customerMessage: text(),
    result: text(),
    /** Callbacks (S5): what the call achieved — reached, unreached, satisfied, not_satisfied. */
    outcome: text(),
    /** Why the task exists: agent (scheduled by hand), missed_call, closure (the 24-hour 回访). */
    origin: text().notNull().default('agent'),
    createdBy: uuid(),
    createdAt: at().notNull(),
    updatedAt: at().notNull(),
    completedAt: at(),
    completedBy: uuid(),
  },
  (t) => [
    index('conversation_tasks_conversation_idx').on(t.conversationId),
    index('conversation_tasks_department_idx').on(t.departmentId, t.status),
    index('conversation_tasks_due_idx').on(t.status, t.dueAt),
    index('conversation_tasks_kind_idx').on(t.kind, t.origin, t.dueAt),
  ],
);

/** S3: every reopen with its reason, so the chain "until the customer is satisfied" is visible. */
export const conversationReopens = pgTable(
  'conversation_reopens',
  {
    id: id(),
    conversationId: uuid()
      .notNull()
      .references(() => conversations.id),
    fromStatus: text().notNull(),
    /** customer_message | confirmation | callback | agent */
    source: text().notNull(),
    reason: text(),
    actorId: uuid(),
    at: at().notNull(),
  },
  (t) => [index('conversation_reopens_conversation_idx').on(t.conversationId, t.at)],
);

/** CH8: personal (owner set) and shared (owner null) canned replies. */
export const cannedReplies = pgTable(
  'canned_replies',
  {
    id: id(),
    ownerId: uuid().references(() => staff.id),
    title: text().notNull(),
    body: text().notNull(),
    category: text(),
    shortcut: text(),
    usageCount: integer().notNull(),
    createdBy: uuid(),
    createdAt: at().notNull(),
    updatedAt: at().notNull(),
  },
  (t) => [
    index('canned_replies_owner_idx').on(t.ownerId),
    uniqueIndex('canned_replies_shortcut_key').on(sql`coalesce(${t.ownerId}, '00000000-0000-0000-0000-000000000000'::uuid)`, t.shortcut),
  ],
);
