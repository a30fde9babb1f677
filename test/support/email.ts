import { eq } from 'drizzle-orm';
import type { Kefu } from '../../server/app.ts';
import { acceptMail } from '../../server/modules/channels/email/receiver.ts';
import { assign } from '../../server/modules/conversations/routing.ts';
import { conversations, messages } from '../../server/modules/conversations/schema.ts';
import { addSystemMessage } from '../../server/modules/conversations/service.ts';
import { staff } from '../../server/modules/org/schema.ts';
import { systemCtx } from '../../server/platform/context.ts';
import { write } from '../../server/platform/write.ts';

let seq = 0;

/**
 * An email conversation with a follow-up notice that could not be sent, for tests that need a
 * failed email reply; assigned to `assignee` (a username) when given, else waiting in its queue.
 * The Kefu must have no relay (KEFU_SMTP_RELAY_URL).
 */
export async function failedEmailReply(kefu: Kefu, assignee?: string | null): Promise<string> {
  const from = `walk${++seq}@example.com`;
  const raw = `From: ${from}\r\nSubject: 邮件咨询\r\nMessage-ID: <walk-${Date.now()}-${seq}@example.com>\r\n\r\n你好\r\n`;
  const stored = await acceptMail({ database: kefu.database, clock: kefu.clock, config: kefu.config, files: kefu.files, log: kefu.app.log }, Buffer.from(raw), from);
  if (stored.outcome !== 'created') throw new Error(`fixture mail was ${stored.outcome}`);
  const id = await write(systemCtx(kefu.database.db, kefu.clock), async (w) => {
    let [conv] = await w.tx.select().from(conversations).where(eq(conversations.id, stored.conversationId));
    const [person] = assignee ? await w.tx.select({ id: staff.id }).from(staff).where(eq(staff.username, assignee)) : [];
    if (person) conv = await assign(w, conv!, person.id, { code: 'manual', text: '测试指派' });
    return (await addSystemMessage(w, conv!, '您的问题仍在处理中。', { toCustomer: true })).id;
  });
  await kefu.jobs.runDue();
  const [row] = await kefu.database.db.select({ delivery: messages.delivery }).from(messages).where(eq(messages.id, id));
  if (row?.delivery?.state !== 'failed') throw new Error(`fixture reply is ${JSON.stringify(row?.delivery)}, not failed`);
  return id;
}
