import { index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { at, id } from '../../db/columns.ts';
import { conversations } from '../conversations/schema.ts';
import { customers } from '../customers/schema.ts';
import { departments, staff } from '../org/schema.ts';

/**
 * CP1–CP5: a complaint from acceptance to archive. The status machine lives in the service:
 * accepted → investigating → proposed → approved → implementing → revisiting → closed.
 * A closed complaint is read-only (archivedAt set).
 */
export const complaints = pgTable(
  'complaints',
  {
    id: id(),
    number: integer().generatedAlwaysAsIdentity({ startWith: 1001 }).notNull(),
    status: text().notNull(),
    customerId: uuid()
      .notNull()
      .references(() => customers.id),
    conversationId: uuid().references(() => conversations.id),
    /** CP1 acceptance record. */
    receivedAt: at().notNull(),
    complainantName: text().notNull(),
    contact: text().notNull(),
    channel: text().notNull(),
    matter: text().notNull(),
    category: text(),
    cause: text(),
    productModel: text(),
    severity: text().notNull(),
    acceptedBy: uuid().references(() => staff.id),
    ownerId: uuid().references(() => staff.id),
    /** CP1: the response deadline under the policy at acceptance (complaints.responseHours); null for complaints accepted before it was kept. */
    respondBy: at(),
    apologySentAt: at(),
    /** CP3: what was agreed with the customer, when and how it will be done. */
    agreedMethod: text(),
    agreedAt: at(),
    /** CP5: the staff member the complaint is attributed to (feeds fines and performance), if any. */
    attributedStaffId: uuid().references(() => staff.id),
    attributionNote: text(),
    /** CP4 revisit: satisfied closes; anything else sends it back. */
    revisitOutcome: text(),
    revisitedAt: at(),
    closedAt: at(),
    archivedAt: at(),
    createdAt: at().notNull(),
    updatedAt: at().notNull(),
  },
  (t) => [
    uniqueIndex('complaints_number_key').on(t.number),
    index('complaints_status_idx').on(t.status, t.id),
    index('complaints_customer_idx').on(t.customerId, t.receivedAt),
    index('complaints_received_idx').on(t.receivedAt),
  ],
);

/** CP2: evidence is a link to something the system holds, with a snapshot of what it showed then. */
export const complaintEvidence = pgTable(
  'complaint_evidence',
  {
    id: id(),
    complaintId: uuid()
      .notNull()
      .references(() => complaints.id),
    /** conversation | message | call_recording | order | email | attachment */
    kind: text().notNull(),
    refId: uuid().notNull(),
    note: text(),
    snapshot: jsonb().$type<Record<string, unknown>>().notNull(),
    addedBy: uuid(),
    addedAt: at().notNull(),
  },
  (t) => [index('complaint_evidence_complaint_idx').on(t.complaintId), uniqueIndex('complaint_evidence_ref_key').on(t.complaintId, t.kind, t.refId)],
);

/** CP3: a solution proposal; a rejected one is superseded by the next version. */
export const complaintProposals = pgTable(
  'complaint_proposals',
  {
    id: id(),
    complaintId: uuid()
      .notNull()
      .references(() => complaints.id),
    version: integer().notNull(),
    solution: text().notNull(),
    agreedMethod: text().notNull(),
    agreedAt: at().notNull(),
    /** pending | approved | rejected */
    status: text().notNull(),
    createdBy: uuid(),
    createdAt: at().notNull(),
    decidedAt: at(),
  },
  (t) => [uniqueIndex('complaint_proposals_version_key').on(t.complaintId, t.version)],
);

/** CP3: one step of the approval chain, decided in order by the configured department. */
export const complaintApprovals = pgTable(
  'complaint_approvals',
  {
    id: id(),
    proposalId: uuid()
      .notNull()
      .references(() => complaintProposals.id),
    step: integer().notNull(),
    departmentId: uuid()
      .notNull()
      .references(() => departments.id),
    /** waiting (an earlier step is open) | pending | approved | rejected | skipped */
    decision: text().notNull(),
    comment: text(),
    decidedBy: uuid(),
    decidedAt: at(),
  },
  (t) => [uniqueIndex('complaint_approvals_step_key').on(t.proposalId, t.step), index('complaint_approvals_department_idx').on(t.departmentId, t.decision)],
);

/** CP4: implementation work, tracked until done. */
export const complaintActions = pgTable(
  'complaint_actions',
  {
    id: id(),
    complaintId: uuid()
      .notNull()
      .references(() => complaints.id),
    title: text().notNull(),
    assigneeId: uuid(),
    departmentId: uuid(),
    dueAt: at(),
    /** open | done | cancelled */
    status: text().notNull(),
    result: text(),
    createdBy: uuid(),
    createdAt: at().notNull(),
    doneAt: at(),
    doneBy: uuid(),
    cancelledAt: at(),
    cancelledBy: uuid(),
    cancelReason: text(),
  },
  (t) => [index('complaint_actions_complaint_idx').on(t.complaintId)],
);
