import { and, asc, eq, gt } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/columns.ts';
import type { Actor, Ctx } from '../../platform/context.ts';
import { maskPhone } from '../../platform/pii/mask.ts';
import { write } from '../../platform/write.ts';
import { callRecords } from '../channels/schema.ts';
import { findVisible } from '../conversations/record.ts';
import { attachments, messages } from '../conversations/schema.ts';
import { pageMessages } from '../conversations/service.ts';
import type { ConversationRow } from '../conversations/views.ts';
import { historySubjects } from '../customers/service.ts';
import { customerBrief, orderBrief } from '../customers/lookup.ts';
import { staff } from '../org/schema.ts';
import { ComplaintError, complaintAudience, findComplaint, findForWrite, moveComplaint } from './record.ts';
import { complaintEvidence } from './schema.ts';
import { EvidenceView, evidenceView, type EvidenceKind } from './views.ts';

/** A transcript excerpt keeps this many messages of this many characters each. */
const TRANSCRIPT_MESSAGES = 50;
const EXCERPT_CHARS = 500;

const excerpt = (s: string) => [...s].slice(0, EXCERPT_CHARS).join('');

interface Found {
  customerId: string;
  snapshot: Record<string, unknown>;
}

const notFound = () => ComplaintError('evidence_not_found', { field: 'refId' });

/** The conversation behind a record, as the caller may see it: another's work answers "not found". */
async function visibleConversation(db: Executor, actor: Actor, id: string): Promise<ConversationRow> {
  return findVisible(db, actor, id).catch(() => Promise.reject(notFound()));
}

const conversationHead = (c: ConversationRow) => ({ conversationId: c.id, conversationNumber: c.number, channel: c.channel, subject: c.subject });

async function messageSnapshot(db: Executor, actor: Actor, id: string, email: boolean): Promise<Found> {
  const [m] = await db.select().from(messages).where(eq(messages.id, id)).limit(1);
  if (!m) throw notFound();
  const conv = await visibleConversation(db, actor, m.conversationId);
  // An email is a message that travelled as one: it carries a Message-ID or sits in an email conversation.
  if (email && !m.emailMessageId && conv.channel !== 'email') throw ComplaintError('not_email', { field: 'refId' });
  const files = await db.select({ fileName: attachments.fileName }).from(attachments).where(eq(attachments.messageId, m.id)).orderBy(asc(attachments.id));
  return {
    customerId: conv.customerId,
    snapshot: {
      ...conversationHead(conv),
      author: m.author,
      body: m.body,
      at: m.createdAt.toISOString(),
      attachments: files.map((f) => f.fileName),
      ...(email ? { emailMessageId: m.emailMessageId, emailInReplyTo: m.emailInReplyTo } : {}),
    },
  };
}

/** What the record showed when it was linked, so later edits do not change the evidence. */
async function snapshotOf(db: Executor, actor: Actor, kind: EvidenceKind, refId: string): Promise<Found> {
  switch (kind) {
    case 'conversation': {
      const conv = await visibleConversation(db, actor, refId);
      const rows = await pageMessages(db, conv.id, { limit: TRANSCRIPT_MESSAGES });
      return {
        customerId: conv.customerId,
        snapshot: {
          ...conversationHead(conv),
          status: conv.status,
          createdAt: conv.createdAt.toISOString(),
          transcript: rows.slice(0, TRANSCRIPT_MESSAGES).map((m) => ({ at: m.createdAt, author: m.author, body: excerpt(m.body) })),
          truncated: rows.length > TRANSCRIPT_MESSAGES,
        },
      };
    }
    case 'message':
      return messageSnapshot(db, actor, refId, false);
    case 'email':
      return messageSnapshot(db, actor, refId, true);
    case 'call_recording': {
      const [call] = await db.select().from(callRecords).where(eq(callRecords.id, refId)).limit(1);
      if (!call) throw notFound();
      const conv = await visibleConversation(db, actor, call.conversationId);
      if (!call.recordingId) throw ComplaintError('no_recording', { field: 'refId' });
      const [file] = await db.select().from(attachments).where(eq(attachments.id, call.recordingId)).limit(1);
      const [agent] = call.agentId ? await db.select({ name: staff.displayName }).from(staff).where(eq(staff.id, call.agentId)) : [];
      return {
        customerId: conv.customerId,
        snapshot: {
          ...conversationHead(conv),
          callId: call.callId,
          direction: call.direction,
          // Evidence is read by every service role: numbers are kept masked, as the call record shows them.
          fromNumber: maskPhone(call.fromNumber),
          toNumber: maskPhone(call.toNumber),
          agentId: call.agentId,
          agentName: agent?.name ?? null,
          ringingAt: call.ringingAt?.toISOString() ?? null,
          answeredAt: call.answeredAt?.toISOString() ?? null,
          endedAt: call.endedAt?.toISOString() ?? null,
          talkSeconds: call.talkSeconds,
          holdSeconds: call.holdSeconds,
          recordingId: call.recordingId,
          recording: file ? { fileName: file.fileName, contentType: file.contentType, size: file.size, sha256: file.sha256 } : null,
        },
      };
    }
    case 'order': {
      const order = await orderBrief(db, refId);
      if (!order) throw notFound();
      return {
        customerId: order.customerId,
        snapshot: { customerId: order.customerId, number: order.number, amountFen: order.amountFen, status: order.status, orderedAt: order.orderedAt.toISOString(), items: order.items },
      };
    }
    case 'attachment': {
      const [file] = await db.select().from(attachments).where(eq(attachments.id, refId)).limit(1);
      if (!file) throw notFound();
      const conv = await visibleConversation(db, actor, file.conversationId);
      return {
        customerId: conv.customerId,
        snapshot: { ...conversationHead(conv), messageId: file.messageId, fileName: file.fileName, contentType: file.contentType, size: file.size, sha256: file.sha256 },
      };
    }
  }
}

/** The complaint's customer and, for an organisation, its contacts: whose records may be linked. */
export async function customersOf(ctx: Ctx, customerId: string): Promise<string[]> {
  if (!(await customerBrief(ctx.db, customerId))) throw ComplaintError('customer_not_found', { field: 'customerId' });
  return historySubjects(ctx, customerId);
}

export interface EvidenceInput {
  kind: EvidenceKind;
  refId: string;
  note?: string | null;
}

/** CP2: links a record the system holds; the first piece of evidence starts the investigation. */
export async function addEvidence(ctx: Ctx, complaintId: string, input: EvidenceInput): Promise<EvidenceView> {
  const subjects = await customersOf(ctx, (await findComplaint(ctx.db, complaintId)).customerId);
  return write(ctx, async (w) => {
    const complaint = await findForWrite(w, complaintId);
    const found = await snapshotOf(w.tx, ctx.actor, input.kind, input.refId);
    if (!subjects.includes(found.customerId)) throw ComplaintError('evidence_other_customer', { field: 'refId' });
    const inserted = await w.tx
      .insert(complaintEvidence)
      .values({ id: newId(), complaintId, kind: input.kind, refId: input.refId, note: input.note?.trim() || null, snapshot: found.snapshot, addedBy: ctx.actor.id, addedAt: w.now })
      .onConflictDoNothing({ target: [complaintEvidence.complaintId, complaintEvidence.kind, complaintEvidence.refId] })
      .returning();
    if (inserted.length === 0) throw ComplaintError('evidence_exists', { field: 'refId' });
    const view = evidenceView(inserted[0]!);
    await w.changed({ entityType: 'complaint_evidence', entityId: view.id, schema: EvidenceView, before: null, after: view, event: 'complaint.evidence_added', audience: complaintAudience(complaint) });
    if (complaint.status === 'accepted') await moveComplaint(w, complaint, 'investigating');
    return view;
  });
}

/** Oldest first, as the investigation gathered them. */
export async function listEvidence(db: Executor, complaintId: string, page: { afterId?: string; limit: number }) {
  return db
    .select()
    .from(complaintEvidence)
    .where(and(eq(complaintEvidence.complaintId, complaintId), page.afterId ? gt(complaintEvidence.id, page.afterId) : undefined))
    .orderBy(asc(complaintEvidence.id))
    .limit(page.limit + 1);
}
