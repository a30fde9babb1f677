import fs from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { and, asc, count, eq } from 'drizzle-orm';
import iconv from 'iconv-lite';
import { simpleParser, type ParsedMail } from 'mailparser';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { SMTPServer, type SMTPServerEnvelope } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/support/errors.ts';
import { createHarness, testConfig } from '../../../../test/support/kefu.ts';
import { buildKefu } from '../../../app.ts';
import { events } from '../../../platform/events/schema.ts';
import { attachments, conversations, messages } from '../../conversations/schema.ts';
import { customers } from '../../customers/schema.ts';
import { parseMail } from './mail.ts';
import { acceptMail, startEmailReceiver, type EmailReceiver } from './receiver.ts';
import { SEND_MAX_ATTEMPTS } from './sender.ts';
import { baseSubject, stripQuoted, subjectTag } from './threading.ts';

/** The customer's mail server: a real SMTP server on loopback that keeps what it receives. */
class CustomerMailServer {
  received: Array<{ envelope: SMTPServerEnvelope; raw: Buffer }> = [];
  private server: SMTPServer | null = null;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          this.received.push({ envelope: structuredClone(session.envelope), raw: Buffer.concat(chunks) });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }

  async lastParsed(): Promise<ParsedMail> {
    return simpleParser(this.received.at(-1)!.raw);
  }
}

const customerServer = new CustomerMailServer();
await customerServer.start();
const RELAY = `smtp://127.0.0.1:${customerServer.port}`;

// Small attachments keep the size-limit test cheap: the receiver takes about 1.1 MB per mail.
const h = await createHarness({ bus: true, config: { smtpRelayUrl: RELAY, attachmentMaxBytes: 100_000 } });
const db = h.kefu.database.db;
let receiver: EmailReceiver;

beforeAll(async () => {
  receiver = await startEmailReceiver({ database: h.kefu.database, clock: h.clock, config: h.kefu.config, files: h.kefu.files, log: h.kefu.app.log }, { port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await receiver.close();
  await customerServer.stop();
  await h.close();
});
beforeEach(async () => {
  await h.reset();
  customerServer.received = [];
  h.kefu.config.smtpRelayUrl = RELAY;
});

const SUPPORT = 'support@kefu.localhost';

function client() {
  return nodemailer.createTransport({ host: '127.0.0.1', port: receiver.port, secure: false, ignoreTLS: true });
}

/** Sends a composed mail to the Kefu receiver; returns the SMTP answer. */
async function send(mail: SendMailOptions): Promise<string> {
  const t = client();
  try {
    return (await t.sendMail({ to: SUPPORT, ...mail })).response;
  } finally {
    t.close();
  }
}

/** Sends bytes as they are; the envelope sender may be empty ('' = MAIL FROM:<>). */
async function sendRaw(raw: Buffer | string, opts: { from?: string; to?: string } = {}): Promise<string> {
  const t = client();
  try {
    return (await t.sendMail({ envelope: { from: opts.from ?? 'corpus@example.com', to: [opts.to ?? SUPPORT] }, raw })).response;
  } finally {
    t.close();
  }
}

/** The SMTP code a refused mail was answered with. */
async function refusal(p: Promise<unknown>): Promise<{ code: number; response: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { responseCode?: number; response?: string; message: string };
    return { code: e.responseCode ?? 0, response: e.response ?? e.message };
  }
  throw new Error('the mail was accepted');
}

async function rowCounts() {
  const n = async (t: typeof conversations | typeof messages | typeof attachments | typeof customers) => (await db.select({ n: count() }).from(t))[0]!.n;
  return { conversations: await n(conversations), messages: await n(messages), attachments: await n(attachments), customers: await n(customers) };
}

async function convByMessageId(messageId: string) {
  const [m] = await db.select().from(messages).where(eq(messages.emailMessageId, messageId));
  if (!m) throw new Error(`no message ${messageId}`);
  const [c] = await db.select().from(conversations).where(eq(conversations.id, m.conversationId));
  return c!;
}

const thread = (conversationId: string) => db.select().from(messages).where(eq(messages.conversationId, conversationId)).orderBy(asc(messages.id));
const emailConversations = () => db.select().from(conversations).where(eq(conversations.channel, 'email')).orderBy(asc(conversations.number));

async function reply(conversationId: string, body: string, as = 'agent1') {
  const res = await h.api('POST', `/api/conversations/${conversationId}/messages`, { as, body: { body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; delivery: { state: string } };
}

const messageRow = async (id: string) => (await db.select().from(messages).where(eq(messages.id, id)))[0]!;

/** A customer's first mail and an agent's reply that reached the customer's server. */
async function conversationWithReply() {
  await send({ from: '张三 <zhangsan@example.com>', subject: '订单 20260301 没有发货', text: '我三天前下的订单还没有发货，请帮忙查一下。', messageId: '<first@mail.example.com>' });
  const conv = await convByMessageId('<first@mail.example.com>');
  const sent = await reply(conv.id, '您好，已为您催促仓库，今天会发出。');
  await h.kefu.jobs.runDue();
  const row = await messageRow(sent.id);
  expect(row.delivery?.state).toBe('sent');
  return { conv, replyId: sent.id, replyMessageId: row.emailMessageId! };
}

describe('CH3 inbound mail threads into conversations', () => {
  it('CH3: a first mail opens an email conversation for the sender, with subject, body and Message-ID', async () => {
    const answer = await send({ from: '张三 <ZhangSan@Example.com>', subject: '发票抬头写错了', text: '请帮我把发票抬头改为“上海某某公司”。', messageId: '<new-1@mail.example.com>' });
    expect(answer).toMatch(/^250 /);
    const [conv] = await emailConversations();
    expect(conv).toMatchObject({ channel: 'email', subject: '发票抬头写错了', status: 'new' });
    const [customer] = await db.select().from(customers).where(eq(customers.id, conv!.customerId));
    expect(customer).toMatchObject({ name: '张三', emails: ['zhangsan@example.com'], source: 'email' });
    const [msg] = await thread(conv!.id);
    expect(msg).toMatchObject({ author: 'customer', body: '请帮我把发票抬头改为“上海某某公司”。', emailMessageId: '<new-1@mail.example.com>' });
  });

  it('CH3: a reply threads by In-Reply-To to the message it answers, even with another subject', async () => {
    const { conv, replyMessageId } = await conversationWithReply();
    await send({ from: 'zhangsan@example.com', subject: '谢谢', text: '收到了，谢谢！', messageId: '<r1@mail.example.com>', inReplyTo: replyMessageId, references: ['<first@mail.example.com>', replyMessageId] });
    const all = await thread(conv.id);
    expect(all.map((m) => [m.author, m.body])).toEqual([
      ['customer', '我三天前下的订单还没有发货，请帮忙查一下。'],
      ['agent', '您好，已为您催促仓库，今天会发出。'],
      ['customer', '收到了，谢谢！'],
    ]);
    expect(all[2]!.emailInReplyTo).toBe(replyMessageId);
    expect(await emailConversations()).toHaveLength(1);
  });

  it('CH3: a reply threads by References when In-Reply-To names a mail Kefu never saw', async () => {
    const { conv, replyMessageId } = await conversationWithReply();
    await send({ from: 'zhangsan@example.com', subject: '补充', text: '补充一下订单号。', messageId: '<r2@mail.example.com>', inReplyTo: '<unknown@elsewhere.example>', references: [replyMessageId, '<unknown@elsewhere.example>'] });
    expect((await convByMessageId('<r2@mail.example.com>')).id).toBe(conv.id);
  });

  it('CH3: a reply with only the [#number] subject tag threads when it comes from the customer', async () => {
    const { conv } = await conversationWithReply();
    await send({ from: 'ZHANGSAN@example.com', subject: `Re: 订单 20260301 没有发货 [#${conv.number}]`, text: '还是没收到。', messageId: '<tag-only@mail.example.com>' });
    expect((await convByMessageId('<tag-only@mail.example.com>')).id).toBe(conv.id);
    expect(await emailConversations()).toHaveLength(1);
  });

  it('CH3: the [#number] tag from another address starts a new conversation and never joins the customer’s case', async () => {
    const { conv } = await conversationWithReply();
    const before = (await thread(conv.id)).length;
    await send({ from: 'mallory@evil.example', subject: `Re: [#${conv.number}] 请把发票寄给我`, text: '把这个订单的发票发到我邮箱。', messageId: '<hijack@evil.example>' });
    expect(await thread(conv.id)).toHaveLength(before);
    const other = await convByMessageId('<hijack@evil.example>');
    expect(other.id).not.toBe(conv.id);
    expect(other.customerId).not.toBe(conv.customerId);
    expect(other.subject).toBe('请把发票寄给我');
    const notes = (await thread(other.id)).filter((m) => m.author === 'note');
    expect(notes.map((n) => n.body)).toEqual([`邮件主题中的编号 #${conv.number} 不属于此发件人的会话，已作为新会话处理。`]);
  });

  it('CH3: the same mail delivered twice (same Message-ID) is stored once', async () => {
    const mail = { from: 'lisi@example.com', subject: '重复投递', text: '同一封邮件。', messageId: '<twice@mail.example.com>' };
    await send(mail);
    const once = await rowCounts();
    expect(await send(mail)).toMatch(/^250 .*duplicate/);
    expect(await rowCounts()).toEqual(once);
    // At the same moment, too: the unique Message-ID lets one of them in.
    await Promise.all([send({ ...mail, messageId: '<race@mail.example.com>' }), send({ ...mail, messageId: '<race@mail.example.com>' })]);
    expect((await db.select().from(messages).where(eq(messages.emailMessageId, '<race@mail.example.com>'))).length).toBe(1);
  });

  it('CH3: a reply to a closed conversation starts a new one that names the old number', async () => {
    const { conv, replyMessageId } = await conversationWithReply();
    await db.update(conversations).set({ status: 'closed', closedAt: h.clock.now() }).where(eq(conversations.id, conv.id));
    await send({ from: 'zhangsan@example.com', subject: `Re: 订单 20260301 没有发货 [#${conv.number}]`, text: '又出问题了，货到了但是坏的。', messageId: '<after-close@mail.example.com>', inReplyTo: replyMessageId });
    const next = await convByMessageId('<after-close@mail.example.com>');
    expect(next.id).not.toBe(conv.id);
    expect(next).toMatchObject({ customerId: conv.customerId, status: 'new', subject: `订单 20260301 没有发货（接续 #${conv.number}）`, tags: [`接续#${conv.number}`] });
    const [closed] = await db.select().from(conversations).where(eq(conversations.id, conv.id));
    expect(closed!.status).toBe('closed');
  });

  it('CH3: quoted history is left out of the stored message', async () => {
    const { conv, replyMessageId } = await conversationWithReply();
    const text = ['好的，我等等看。', '', '在 2026年3月2日 09:00，Kefu 客服 <support@kefu.localhost> 写道：', '> 您好，已为您催促仓库，今天会发出。'].join('\n');
    await send({ from: 'zhangsan@example.com', subject: 'Re: 订单', text, messageId: '<quoted@mail.example.com>', inReplyTo: replyMessageId });
    expect((await thread(conv.id)).at(-1)!.body).toBe('好的，我等等看。');
  });

  it('CH3: mail for another domain is refused at RCPT with 550 and nothing is stored', async () => {
    const before = await rowCounts();
    const refused = await refusal(send({ from: 'a@example.com', to: 'someone@other.example', subject: 'x', text: 'y' }));
    expect(refused.code).toBe(550);
    expect(refused.response).toContain('@kefu.localhost');
    expect(await rowCounts()).toEqual(before);
  });

  it('CH3: a mail with no usable sender address is refused (550 5.1.7) and stores nothing', async () => {
    const before = await rowCounts();
    // SMTP itself refuses MAIL FROM:<nobody> (501), so the guard is reached through acceptMail.
    expect((await refusal(sendRaw('Subject: 谁发的\r\n\r\n没有发件人\r\n', { from: 'nobody' }))).code).toBe(501);
    const deps = { database: h.kefu.database, clock: h.clock, config: h.kefu.config, files: h.kefu.files, log: h.kefu.app.log };
    await expect(acceptMail(deps, Buffer.from('From: 没有地址\r\nSubject: 谁发的\r\n\r\n没有发件人\r\n'), 'nobody')).rejects.toMatchObject({ responseCode: 550, enhanced: '5.1.7' });
    expect(await rowCounts()).toEqual(before);
  });

  it('CH3: a mail over the size limit is refused with 552', async () => {
    const before = await rowCounts();
    const big = `From: a@example.com\r\nSubject: big\r\n\r\n${'x'.repeat(76).concat('\r\n').repeat(17_000)}`;
    expect((await refusal(sendRaw(big))).code).toBe(552);
    expect(await rowCounts()).toEqual(before);
  });
});

describe('CH3 Chinese encodings', () => {
  it('CH3: GBK and GB2312 8-bit and quoted-printable bodies with encoded subjects decode to the same Chinese', async () => {
    const gbkSubject = `=?GBK?B?${iconv.encode('退款进度查询', 'gbk').toString('base64')}?=`;
    await sendRaw(
      Buffer.concat([
        Buffer.from(`From: =?GBK?B?${iconv.encode('王五', 'gbk').toString('base64')}?= <wangwu@example.com>\r\nSubject: ${gbkSubject}\r\nMessage-ID: <gbk@mail.example.com>\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: 8bit\r\n\r\n`),
        iconv.encode('您好，我的退款申请已经提交五天了。', 'gbk'),
        Buffer.from('\r\n'),
      ]),
    );
    const qp = (buf: Buffer) => [...buf].map((b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    await sendRaw(
      `From: zhaoliu@example.com\r\nSubject: =?gb2312?Q?${qp(iconv.encode('发票问题', 'gb2312'))}?=\r\nMessage-ID: <gb2312@mail.example.com>\r\nContent-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${qp(iconv.encode('请开具增值税专用发票', 'gb2312'))}\r\n`,
    );
    await sendRaw(
      `From: sunqi@example.com\r\nSubject: =?UTF-8?B?${Buffer.from('产品咨询：型号 K-100').toString('base64')}?=\r\nMessage-ID: <b64@mail.example.com>\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from('这个型号支持5G吗？').toString('base64')}\r\n`,
    );
    const gbk = await convByMessageId('<gbk@mail.example.com>');
    expect(gbk.subject).toBe('退款进度查询');
    expect((await thread(gbk.id))[0]!.body).toBe('您好，我的退款申请已经提交五天了。');
    expect((await db.select().from(customers).where(eq(customers.id, gbk.customerId)))[0]!.name).toBe('王五');
    const gb2312 = await convByMessageId('<gb2312@mail.example.com>');
    expect(gb2312.subject).toBe('发票问题');
    expect((await thread(gb2312.id))[0]!.body).toBe('请开具增值税专用发票');
    const b64 = await convByMessageId('<b64@mail.example.com>');
    expect(b64.subject).toBe('产品咨询：型号 K-100');
    expect((await thread(b64.id))[0]!.body).toBe('这个型号支持5G吗？');
  });

  it('CH3: an HTML-only mail is stored as its text', async () => {
    await send({ from: 'html@example.com', subject: 'HTML', html: '<p>屏幕<b>闪烁</b>，怎么办？</p>', messageId: '<html@mail.example.com>' });
    const conv = await convByMessageId('<html@mail.example.com>');
    expect((await thread(conv.id))[0]!.body).toBe('屏幕闪烁，怎么办？');
  });
});

describe('CH3 attachments', () => {
  const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
  const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]);

  it('CH3: attachments are stored with the type found in their bytes; refused types are listed in a note', async () => {
    await send({
      from: 'photo@example.com',
      subject: '屏幕坏了',
      text: '见截图。',
      messageId: '<att@mail.example.com>',
      attachments: [
        { filename: '截图.jpg', content: PNG, contentType: 'application/octet-stream' },
        { filename: 'setup.pdf', content: EXE, contentType: 'application/pdf' },
      ],
    });
    const conv = await convByMessageId('<att@mail.example.com>');
    const msgs = await thread(conv.id);
    const customerMsg = msgs.find((m) => m.author === 'customer')!;
    const files = await db.select().from(attachments).where(eq(attachments.conversationId, conv.id));
    expect(files.map((f) => [f.fileName, f.contentType, f.size, f.messageId])).toEqual([['截图.jpg', 'image/png', PNG.length, customerMsg.id]]);
    const note = msgs.find((m) => m.author === 'note')!;
    expect(note.body).toContain('setup.pdf');
    expect(note.body).toContain('application/x-msdownload');
  });

  it('CH3: a failure while storing answers 451 (the sender retries) and leaves nothing half-written', async () => {
    const mail = { from: 'disk@example.com', subject: '发票', text: '见附件', messageId: '<disk@mail.example.com>', attachments: [{ filename: 'a.png', content: PNG }] };
    const files = h.kefu.files;
    const put = files.put;
    const before = await rowCounts();
    files.put = async () => {
      throw new Error('ENOSPC: no space left on device');
    };
    try {
      expect((await refusal(send(mail))).code).toBe(451);
    } finally {
      files.put = put;
    }
    expect(await rowCounts()).toEqual(before);
    // The sending server's retry then stores it whole.
    expect(await send(mail)).toMatch(/^250 .*created/);
    const conv = await convByMessageId('<disk@mail.example.com>');
    expect(await db.select().from(attachments).where(eq(attachments.conversationId, conv.id))).toHaveLength(1);
  });

  it('CH3: attachments of a reply go with the reply in the existing conversation', async () => {
    const { conv, replyMessageId } = await conversationWithReply();
    await send({ from: 'zhangsan@example.com', subject: 'Re', text: '照片在附件里', messageId: '<att-reply@mail.example.com>', inReplyTo: replyMessageId, attachments: [{ filename: 'box.png', content: PNG }] });
    const last = (await thread(conv.id)).at(-1)!;
    expect(last.body).toBe('照片在附件里');
    const files = await db.select().from(attachments).where(eq(attachments.messageId, last.id));
    expect(files.map((f) => f.contentType)).toEqual(['image/png']);
  });
});

describe('CH3 auto-replies and bounces', () => {
  async function resolved() {
    const c = await conversationWithReply();
    await db.update(conversations).set({ status: 'resolved', resolvedAt: h.clock.now() }).where(eq(conversations.id, c.conv.id));
    const [conv] = await db.select().from(conversations).where(eq(conversations.id, c.conv.id));
    return { ...c, conv: conv! };
  }

  it('CH3: an out-of-office reply becomes an internal note and does not reopen the case or touch its times', async () => {
    const { conv, replyMessageId } = await resolved();
    h.clock.advance(60_000);
    await send({
      from: 'zhangsan@example.com',
      subject: `自动回复: Re: 订单 20260301 没有发货 [#${conv.number}]`,
      text: '我正在休假，3月9日回来。',
      messageId: '<ooo@mail.example.com>',
      inReplyTo: replyMessageId,
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    const [after] = await db.select().from(conversations).where(eq(conversations.id, conv.id));
    expect(after).toMatchObject({ status: 'resolved', reopenCount: 0, lastCustomerMessageAt: conv.lastCustomerMessageAt, updatedAt: conv.updatedAt });
    const last = (await thread(conv.id)).at(-1)!;
    expect(last.author).toBe('note');
    expect(last.body).toContain('自动回复');
    expect(last.body).toContain('我正在休假');
    // Kefu answers nothing: no job was queued and nothing reached the customer.
    expect(await h.kefu.jobs.runDue()).toBe(0);
    expect(customerServer.received).toHaveLength(1);
  });

  it('CH3: auto-replies are recognised by their headers and subjects; ordinary mail is not', async () => {
    const kind = async (headers: string, subject = '你好', envelope: string | null = 'x@example.com') =>
      (await parseMail(Buffer.from(`From: x@example.com\r\nSubject: ${subject}\r\n${headers}\r\nbody\r\n`), envelope)).kind;
    expect(await kind('Auto-Submitted: auto-replied\r\n')).toBe('auto_reply');
    expect(await kind('Auto-Submitted: auto-generated\r\n')).toBe('auto_reply');
    expect(await kind('Auto-Submitted: no\r\n')).toBe('mail');
    expect(await kind('X-Autoreply: yes\r\n')).toBe('auto_reply');
    expect(await kind('X-Autorespond: 1\r\n')).toBe('auto_reply');
    for (const p of ['bulk', 'junk', 'auto_reply']) expect(await kind(`Precedence: ${p}\r\n`)).toBe('auto_reply');
    for (const s of ['自动回复：您的邮件已收到', 'Auto Reply: hello', 'Out of Office: back Monday', '休假通知', 'Automatic reply: Re: order']) expect(await kind('', s), s).toBe('auto_reply');
    for (const s of ['【休假】张三', '休假中：3月9日回来']) expect(await kind('', s), s).toBe('auto_reply');
    for (const s of ['我休假回来后发现订单取消了', '休假期间能否发货', 'Re: 自动回复功能怎么关闭']) expect(await kind('', s), s).toBe('mail');
    // RFC 3834 auto-replies may come with an empty return path and are still auto-replies, not bounces.
    expect(await kind('Auto-Submitted: auto-replied\r\n', 'x', null)).toBe('auto_reply');
    expect(await kind('', 'Undelivered Mail', null)).toBe('bounce');
  });

  it('CH3: a delivery report marks the reply it names as failed and adds a note; the case is not reopened', async () => {
    const { conv, replyId, replyMessageId } = await resolved();
    const dsn = [
      'From: Mail Delivery System <MAILER-DAEMON@mx.example.com>',
      `To: ${SUPPORT}`,
      'Subject: Undelivered Mail Returned to Sender',
      'Message-ID: <dsn-1@mx.example.com>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="R"',
      '',
      '--R',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'This is the mail system at host mx.example.com. Your message could not be delivered.',
      '--R',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example.com',
      '',
      'Final-Recipient: rfc822; zhangsan@example.com',
      'Action: failed',
      'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 <zhangsan@example.com>: Recipient address rejected: User unknown',
      '--R',
      'Content-Type: text/rfc822-headers',
      '',
      `From: ${h.kefu.config.mailFrom}`,
      'To: zhangsan@example.com',
      `Subject: Re: 订单 [#${conv.number}]`,
      `Message-ID: ${replyMessageId}`,
      '--R--',
      '',
    ].join('\r\n');
    await sendRaw(dsn, { from: '' });
    const row = await messageRow(replyId);
    expect(row.delivery).toMatchObject({ state: 'failed' });
    expect(row.delivery!.error).toContain('5.1.1');
    const last = (await thread(conv.id)).at(-1)!;
    expect(last.author).toBe('note');
    expect(last.body).toContain('邮件退信');
    // Shown to every agent and pushed in events: the address is masked like any personal field.
    expect(last.body).toContain('z***@example.com');
    expect(`${last.body} ${row.delivery!.error}`).not.toContain('zhangsan@');
    const [after] = await db.select().from(conversations).where(eq(conversations.id, conv.id));
    expect(after!.status).toBe('resolved');
    const updates = await db.select().from(events).where(and(eq(events.type, 'message.delivery_updated'), eq(events.entityId, replyId)));
    expect(updates.map((e) => (e.data as { delivery: { state: string } }).delivery.state)).toEqual(['sent', 'failed']);
  });

  it('CH3: a bounce without the original Message-ID marks the latest reply to the failed recipient', async () => {
    const { replyId } = await conversationWithReply();
    await sendRaw(
      'From: MAILER-DAEMON@mx.example.com\r\nSubject: failure notice\r\nMessage-ID: <dsn-2@mx.example.com>\r\n\r\nSorry, I could not deliver.\r\n\r\nFinal-Recipient: rfc822; zhangsan@example.com\r\nStatus: 5.2.2\r\n',
      { from: '' },
    );
    expect((await messageRow(replyId)).delivery).toMatchObject({ state: 'failed' });
  });

  it('CH3: bounces and auto-replies that match nothing are accepted and dropped', async () => {
    const before = await rowCounts();
    expect(await sendRaw('From: MAILER-DAEMON@mx.example.com\r\nSubject: failure\r\n\r\nFinal-Recipient: rfc822; nobody@example.com\r\n', { from: '' })).toMatch(/^250 .*ignored/);
    expect(await send({ from: 'someone@example.com', subject: 'Out of Office', text: 'away', headers: { 'Auto-Submitted': 'auto-replied' } })).toMatch(/^250 .*ignored/);
    // Our own address writing to us is a loop, not a customer.
    expect(await send({ from: h.kefu.config.mailFrom, subject: 'Re: 订单 [#10001]', text: '回环' })).toMatch(/^250 .*ignored/);
    expect(await rowCounts()).toEqual(before);
  });
});

describe('CH3 outbound replies over SMTP', () => {
  it('CH3: an agent reply reaches the customer’s server with threading headers, the [#number] tag and the quoted question', async () => {
    const { conv, replyId, replyMessageId } = await conversationWithReply();
    expect(customerServer.received).toHaveLength(1);
    const got = customerServer.received[0]!;
    expect(got.envelope.rcptTo.map((r) => r.address)).toEqual(['zhangsan@example.com']);
    const mail = await customerServer.lastParsed();
    expect(replyMessageId).toMatch(/^<[0-9a-f-]{36}@kefu\.localhost>$/);
    expect(mail.messageId).toBe(replyMessageId);
    expect(mail.inReplyTo).toBe('<first@mail.example.com>');
    expect(mail.references).toBe('<first@mail.example.com>');
    expect(mail.subject).toBe(`Re: 订单 20260301 没有发货 [#${conv.number}]`);
    expect(mail.from!.text).toContain('support@kefu.localhost');
    expect(mail.text).toBe('您好，已为您催促仓库，今天会发出。\n\n在 2026年3月2日 09:00，张三 写道：\n> 我三天前下的订单还没有发货，请帮忙查一下。');
    expect(mail.html).toContain('<blockquote');
    expect(mail.html).toContain('我三天前下的订单还没有发货');
    expect((await messageRow(replyId)).delivery).toMatchObject({ state: 'sent', attempts: 1, error: null });

    // The customer answers the reply; Kefu's second reply carries the whole chain.
    await send({ from: 'zhangsan@example.com', subject: mail.subject!, text: '好的，谢谢。', messageId: '<thanks@mail.example.com>', inReplyTo: replyMessageId, references: ['<first@mail.example.com>', replyMessageId] });
    await reply(conv.id, '不客气，祝您生活愉快。');
    await h.kefu.jobs.runDue();
    const second = await customerServer.lastParsed();
    expect(second.inReplyTo).toBe('<thanks@mail.example.com>');
    expect(second.references).toEqual(['<first@mail.example.com>', replyMessageId, '<thanks@mail.example.com>']);
    expect(second.subject).toBe(`Re: 订单 20260301 没有发货 [#${conv.number}]`);
    expect(second.text).toContain('> 好的，谢谢。');
  });

  it('CH3: internal notes never leave by email', async () => {
    await send({ from: 'zhangsan@example.com', subject: '问题', text: '问一下', messageId: '<q@mail.example.com>' });
    const conv = await convByMessageId('<q@mail.example.com>');
    const res = await h.api('POST', `/api/conversations/${conv.id}/messages`, { as: 'agent1', body: { body: '内部：客户是老用户', internal: true } });
    expect(res.status).toBe(201);
    expect(await h.kefu.jobs.runDue()).toBe(0);
    expect(customerServer.received).toHaveLength(0);
  });

  it('CH3: a subject or name smuggling CR/LF never becomes a header of the reply', async () => {
    await sendRaw(fs.readFileSync(new URL('../../../../test/fixtures/mail/header-injection.eml', import.meta.url)), { from: 'mallory@example.com' });
    const conv = await convByMessageId('<injection@corpus.example.com>');
    expect(conv.subject).toBe('退款 Bcc: victim@evil.example X-Injected: 1');
    await reply(conv.id, '您好');
    await h.kefu.jobs.runDue();
    const got = customerServer.received.at(-1)!;
    expect(got.envelope.rcptTo.map((r) => r.address)).toEqual(['mallory@example.com']);
    const headerBlock = got.raw.toString('latin1').split('\r\n\r\n')[0]!;
    expect(headerBlock).not.toMatch(/^(bcc|x-injected):/im);
  });

  it('CH3: relay down: the reply stays pending with the error while retrying, and is sent when the relay is back', async () => {
    await send({ from: 'zhangsan@example.com', subject: '问题', text: '问一下', messageId: '<down@mail.example.com>' });
    const conv = await convByMessageId('<down@mail.example.com>');
    await customerServer.stop();
    try {
      const sent = await reply(conv.id, '稍等，正在查询。');
      expect(sent.delivery.state).toBe('pending');
      await h.kefu.jobs.runDue();
      h.clock.advance(31_000);
      await h.kefu.jobs.runDue();
      const row = await messageRow(sent.id);
      expect(row.delivery).toMatchObject({ state: 'pending', attempts: 2 });
      expect(row.delivery!.error).toMatch(/ECONNREFUSED/);
    } finally {
      await customerServer.start(customerServer.port);
    }
    h.clock.advance(61_000);
    await h.kefu.jobs.runDue();
    const [last] = await db.select().from(messages).where(and(eq(messages.conversationId, conv.id), eq(messages.author, 'agent')));
    expect(last!.delivery).toMatchObject({ state: 'sent', attempts: 3, error: null });
    expect(customerServer.received).toHaveLength(1);
  });

  it('CH3: relay down through every retry: the reply is marked failed; resending delivers it with the same Message-ID', async () => {
    await send({ from: 'zhangsan@example.com', subject: '问题', text: '问一下', messageId: '<fail@mail.example.com>' });
    const conv = await convByMessageId('<fail@mail.example.com>');
    await customerServer.stop();
    let sentId = '';
    try {
      sentId = (await reply(conv.id, '稍等，正在查询。')).id;
      for (let i = 0; i < SEND_MAX_ATTEMPTS; i++) {
        await h.kefu.jobs.runDue();
        h.clock.advance(31 * 60_000);
      }
      expect(await h.kefu.jobs.runDue()).toBe(0);
      expect((await messageRow(sentId)).delivery).toMatchObject({ state: 'failed', attempts: SEND_MAX_ATTEMPTS });
    } finally {
      await customerServer.start(customerServer.port);
    }
    const res = await h.api('POST', `/api/messages/${sentId}/resends`, { as: 'agent1' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.delivery).toMatchObject({ state: 'pending' });
    await h.kefu.jobs.runDue();
    const row = await messageRow(sentId);
    expect(row.delivery).toMatchObject({ state: 'sent', attempts: SEND_MAX_ATTEMPTS + 1 });
    expect((await customerServer.lastParsed()).messageId).toBe(row.emailMessageId);
    // A delivered reply is not sent again.
    expectError(await h.api('POST', `/api/messages/${sentId}/resends`, { as: 'agent1' }), 409, 'email.not_resendable');
    expectError(await h.api('POST', '/api/messages/01900000-0000-7000-8000-000000000000/resends', { as: 'agent1' }), 404, 'email.message_not_found');
  });

  it('CH3: the relay refusing the recipient (5xx) fails the reply at once, without retries', async () => {
    await send({ from: 'ghost@example.com', subject: '问题', text: '问一下', messageId: '<ghost@mail.example.com>' });
    const conv = await convByMessageId('<ghost@mail.example.com>');
    const refusing = new SMTPServer({ authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], logger: false, onRcptTo: (_a, _s, cb) => cb(Object.assign(new Error('5.1.1 no such user'), { responseCode: 550 })) });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    h.kefu.config.smtpRelayUrl = `smtp://127.0.0.1:${(refusing.server.address() as AddressInfo).port}`;
    try {
      const sent = await reply(conv.id, '您好');
      await h.kefu.jobs.runDue();
      const row = await messageRow(sent.id);
      expect(row.delivery).toMatchObject({ state: 'failed', attempts: 1 });
      expect(row.delivery!.error).toContain('no such user');
    } finally {
      await new Promise<void>((resolve) => refusing.close(() => resolve()));
    }
  });

  it('CH3: without a relay URL a reply is marked failed at once with a clear error', async () => {
    await send({ from: 'zhangsan@example.com', subject: '问题', text: '问一下', messageId: '<norelay@mail.example.com>' });
    const conv = await convByMessageId('<norelay@mail.example.com>');
    h.kefu.config.smtpRelayUrl = null;
    const sent = await reply(conv.id, '您好');
    await h.kefu.jobs.runDue();
    expect((await messageRow(sent.id)).delivery).toMatchObject({ state: 'failed', attempts: 1, error: '未配置发信服务器（KEFU_SMTP_RELAY_URL），邮件未发送' });
    h.clock.advance(24 * 3_600_000);
    expect(await h.kefu.jobs.runDue()).toBe(0);
  });
});

describe('CH3 quoted history and subjects (units)', () => {
  it('CH3: stripQuoted cuts the common Chinese and English quote headers and ">" blocks', () => {
    expect(stripQuoted('好的\n\n-----原始邮件-----\n发件人: 客服\n旧内容')).toBe('好的');
    expect(stripQuoted('OK\n\n-----Original Message-----\nFrom: x')).toBe('OK');
    expect(stripQuoted('收到\n\n在 2026年3月2日 09:00，客服 写道：\n> 旧')).toBe('收到');
    expect(stripQuoted('Thanks\n\nOn Mon, Mar 2, 2026 at 9:00 AM Kefu <support@kefu.localhost>\nwrote:\n> old')).toBe('Thanks');
    expect(stripQuoted('Thanks\nOn Mon, 2 Mar 2026, Kefu wrote:\n> old')).toBe('Thanks');
    expect(stripQuoted('明白\n\n发件人: 客服 <support@kefu.localhost>\n发送时间: 2026年3月2日 9:00\n收件人: 我\n主题: 旧')).toBe('明白');
    expect(stripQuoted('> 引用一行\n我的回答\n> 再引用\n补充')).toBe('我的回答\n补充');
    // A forward with no words of its own keeps its content.
    expect(stripQuoted('-----原始邮件-----\n发件人: 别人\n请处理这个问题')).toBe('-----原始邮件-----\n发件人: 别人\n请处理这个问题');
    expect(stripQuoted('From my phone: call me at 10')).toBe('From my phone: call me at 10');
  });

  it('CH3: subject tags and prefixes', () => {
    expect(subjectTag('Re: 订单 [#10001]')).toBe(10001);
    expect(subjectTag('Re: [#10001] 转 [#10002]')).toBe(10002);
    expect(subjectTag('订单 #10001')).toBeNull();
    expect(baseSubject('Re: 回复：Fwd: 订单 [#10001]')).toBe('订单');
  });
});

describe('CH3 malformed mail corpus (test/fixtures/mail)', () => {
  const dir = new URL('../../../../test/fixtures/mail/', import.meta.url);
  /** accepted: a conversation whose first message contains the text; rejected: the SMTP code. */
  const CORPUS: Record<string, { accepted: string } | { rejected: number }> = {
    'truncated-multipart.eml': { accepted: '截断的邮件 first part survives' },
    'missing-boundary.eml': { accepted: '（邮件无正文）' },
    'bad-base64.eml': { accepted: '你好' },
    'unknown-charset.eml': { accepted: 'plain words in an unknown charset' },
    'header-injection.eml': { accepted: 'header injection attempt' },
    'ten-thousand-headers.eml': { accepted: 'ten thousand headers above' },
    'rfc822-depth-bomb.eml': { accepted: '（见附件）' },
    'multipart-depth-bomb.eml': { rejected: 554 },
    'nul-bytes.eml': { accepted: 'beforeafter NUL' },
    'missing-from.eml': { accepted: 'no From header here' },
    'invalid-dates.eml': { accepted: 'dates are nonsense' },
    'overlong-line.eml': { accepted: '（邮件过长，已截断）' },
    'empty-body.eml': { accepted: '（邮件无正文）' },
    'headers-only.eml': { accepted: '（邮件无正文）' },
    'undeclared-8bit-gbk.eml': { accepted: '' },
    'garbage-content-type.eml': { accepted: 'the content type makes no sense' },
  };

  it('CH3: the corpus lists every file in the fixtures folder', () => {
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).sort()).toEqual(Object.keys(CORPUS).sort());
  });

  for (const [file, expected] of Object.entries(CORPUS)) {
    it(`CH3: ${file} is ${'rejected' in expected ? `refused with ${expected.rejected}` : 'accepted as a conversation'}, whole or not at all, and the receiver goes on`, async () => {
      const raw = fs.readFileSync(new URL(file, dir));
      const before = await rowCounts();
      if ('rejected' in expected) {
        const refused = await refusal(sendRaw(raw));
        expect(refused.code).toBe(expected.rejected);
        expect(refused.response).toMatch(/^\d{3} 5\.\d\.\d /);
        expect(await rowCounts()).toEqual(before);
      } else {
        expect(await sendRaw(raw)).toMatch(/^250 /);
        const after = await rowCounts();
        expect(after.conversations).toBe(before.conversations + 1);
        const [conv] = await emailConversations();
        const msgs = await thread(conv!.id);
        expect(msgs[0]!.author).toBe('customer');
        expect(msgs[0]!.body).toContain(expected.accepted);
        expect(msgs[0]!.body).not.toMatch(/\u0000/);
        expect([...msgs[0]!.body].length).toBeLessThanOrEqual(h.kefu.config.messageMaxChars);
        expect(conv!.subject ?? '').not.toMatch(/[\r\n\u0000]/);
        const [customer] = await db.select().from(customers).where(eq(customers.id, conv!.customerId));
        expect(customer!.emails).toHaveLength(1);
        expect(customer!.name).not.toMatch(/[\r\n]/);
        // Every stored attachment row belongs to the stored message.
        const files = await db.select().from(attachments).where(eq(attachments.conversationId, conv!.id));
        expect(files.every((f) => f.messageId === msgs[0]!.id)).toBe(true);
      }
      expect(await send({ from: 'next@example.com', subject: 'still there', text: 'the receiver still answers' })).toMatch(/^250 /);
    });
  }
});

describe('CH3 the receiver is part of `kefu start`', () => {
  it('CH3: with KEFU_SMTP_PORT set, startWorkers opens the receiver and close() shuts it', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const kefu = await buildKefu({ config: testConfig({ smtpPort: port, host: '127.0.0.1', smtpRelayUrl: RELAY }), database: h.kefu.database, clock: h.clock, logger: false });
    await kefu.startWorkers({ pollMs: null, jobs: false });
    try {
      const t = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
      await t.sendMail({ from: 'start@example.com', to: SUPPORT, subject: '启动', text: '通过 start 启动的接收器', messageId: '<start@mail.example.com>' });
      t.close();
      expect((await convByMessageId('<start@mail.example.com>')).channel).toBe('email');
    } finally {
      await kefu.close();
    }
    const refused = await new Promise<string>((resolve) => net.connect(port, '127.0.0.1').on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')).on('connect', () => resolve('connected')));
    expect(refused).toBe('ECONNREFUSED');
  });
});
