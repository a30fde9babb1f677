import type { Writer } from '../../platform/write.ts';
import type { messages } from './schema.ts';
import type { ConversationRow } from './views.ts';

export type MessageRow = typeof messages.$inferSelect;

/**
 * How a reply leaves on a conversation's channel. A channel registers one sender; it runs in the
 * transaction that stored the message, so it should only schedule the delivery (a job), never send.
 * Chat needs none: the widget gateway pushes `message.created` events to the visitor.
 */
export type OutboundSender = (w: Writer, conv: ConversationRow, message: MessageRow) => Promise<void>;

const senders = new Map<string, OutboundSender>();

export function registerOutbound(channel: string, sender: OutboundSender): void {
  senders.set(channel, sender);
}

export async function sendOutbound(w: Writer, conv: ConversationRow, message: MessageRow): Promise<void> {
  await senders.get(conv.channel)?.(w, conv, message);
}
