import fs from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import WebSocket from 'ws';
import { eq } from 'drizzle-orm';
import { openDatabase } from '../../server/db/client.ts';
import { newId } from '../../server/db/columns.ts';
import { conversations, queues } from '../../server/modules/conversations/schema.ts';
import { customers } from '../../server/modules/customers/schema.ts';
import { staff } from '../../server/modules/org/schema.ts';
import { describeInBrowser, type BrowserTest } from '../support/browser.ts';
import { chooseOption, consoleSuite, eventually, signInAt } from '../support/console.ts';
import { http, loginOver } from '../support/process.ts';
import { DEMO_PASSWORD } from '../support/kefu.ts';
import { Peer } from '../support/socket.ts';

/**
 * Issue 5 §3 and §10: the agent workspace in Chromium against a real `kefu start` (call-center
 * demo). Customers chat over the widget's own protocol (/api/chat/ws, docs/chat-widget.md); the
 * volume test seeds 10 000 conversations with SQL into the data directory before the server starts.
 */

const VOLUME = 10_000;
/** Small, so the too-large upload is quick to make. */
const ATTACHMENT_MAX = 200_000;

describeInBrowser('agent workspace in Chromium', () => {
  /** The oldest of the seeded conversations: the last row of engineer1's list. */
  let oldestSeeded = '';
  const kefu = consoleSuite({ KEFU_ATTACHMENT_MAX_BYTES: String(ATTACHMENT_MAX) }, { beforeStart: seedVolume });
  const run = (name: string, body: (t: BrowserTest) => Promise<void>) => kefu.run(name, body);
  const tokens: Record<string, string> = {};
  const peers: Peer[] = [];
  afterAll(() => {
    for (const p of peers) p.ws.close();
  });
  const api = async <T = any,>(as: string, method: string, url: string, body?: unknown) => {
    tokens[as] ??= await loginOver(kefu.server.url, as, DEMO_PASSWORD);
    return http<T>(kefu.server.url, method, url, { token: tokens[as], body });
  };

  /** 10 000 open conversations of engineer1 (their own team, so nobody else's inbox changes). */
  async function seedVolume(dataDir: string) {
    const database = await openDatabase({ dataDir });
    try {
      const db = database.db;
      const [engineer] = await db.select().from(staff).where(eq(staff.username, 'engineer1'));
      const [queue] = await db.select().from(queues).where(eq(queues.code, 'online'));
      const now = new Date();
      const customerId = newId();
      await db.insert(customers).values({ id: customerId, kind: 'person', name: '批量客户', phones: [], emails: [], addresses: [], tags: [], createdAt: now, updatedAt: now });
      const ids: string[] = [];
      for (let start = 0; start < VOLUME; start += 1000) {
        const rows = Array.from({ length: 1000 }, (_, i) => {
          const id = newId();
          ids.push(id);
          return {
            id,
            channel: 'email',
            status: 'open',
            priority: 'normal',
            subject: `批量会话 ${start + i + 1}`,
            customerId,
            queueId: queue!.id,
            assigneeId: engineer!.id,
            teamId: engineer!.teamId,
            tags: [],
            supportLevel: 1,
            intake: {},
            leftMessage: false,
            createdAt: now,
            updatedAt: now,
            assignedAt: now,
            reopenCount: 0,
            handlingMs: 0,
          };
        });
        await db.insert(conversations).values(rows);
      }
      oldestSeeded = ids.sort()[0]!;
    } finally {
      await database.close();
    }
  }

  /** Signs in and opens the workspace (at a conversation with `?c=`), once its list is there. */
  async function signIn(t: BrowserTest, username: string, path = '/workspace') {
    await signInAt(t, path, username);
    await t.page.getByTestId('inbox-list').waitFor();
  }

  /** A web-chat customer speaking the widget's protocol. */
  async function customer(name: string, phone: string): Promise<Peer> {
    const ws = new WebSocket(`${kefu.server.url.replace(/^http/, 'ws')}/api/chat/ws`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const peer = new Peer(ws);
    peers.push(peer);
    peer.send({ type: 'hello', name, phone });
    await peer.next((f) => f.type === 'welcome');
    return peer;
  }

  async function say(peer: Peer, body: string): Promise<string> {
    const clientId = newId();
    peer.send({ type: 'message', clientId, body });
    const ack = await peer.next((f) => f.type === 'ack' && f.clientId === clientId);
    return ack.conversationId as string;
  }

  const row = (page: Page, id: string) => page.locator(`[data-testid="inbox-row"][data-conversation-id="${id}"]`);
  const messageList = (page: Page) => page.getByTestId('message-list');
  const replyBox = (page: Page) => page.getByTestId('reply-box').getByRole('textbox');

  it('issue 5 §3 / CH2: a customer’s chat appears in the inbox live, new messages show live, the reply (Ctrl+Enter) reaches the customer and a note never does', async () => {
    await run('workspace live chat', async (t) => {
      const { page } = t;
      await signIn(t, 'agent1');
      // Online from the workspace header: routing gives the agent the next chat.
      await page.getByTestId('agent-status').getByText('在线', { exact: true }).click();
      await eventually(async () => (await api('agent1', 'GET', '/api/agent-states/me')).body.status).toBe('online');
      await eventually(() => page.getByTestId('count-mine').innerText()).toBe('0');

      const peer = await customer('李女士', '13900001111');
      const conversationId = await say(peer, '我的订单还没发货');
      await eventually(() => row(page, conversationId).count()).toBe(1);
      await eventually(() => page.getByTestId('count-mine').innerText()).toBe('1');
      await expect(row(page, conversationId).innerText()).resolves.toContain('李女士');

      await row(page, conversationId).click();
      await eventually(() => messageList(page).innerText()).toContain('我的订单还没发货');
      expect(new URL(page.url()).searchParams.get('c')).toBe(conversationId);

      // The customer types, then writes again: both show without a reload.
      peer.send({ type: 'typing', on: true });
      await eventually(() => page.getByTestId('customer-typing').count()).toBe(1);
      await say(peer, '订单号 SO-1001');
      await eventually(() => messageList(page).innerText()).toContain('订单号 SO-1001');
      await eventually(() => page.getByTestId('customer-typing').count()).toBe(0);

      // Reply with Ctrl+Enter: the customer receives it.
      await replyBox(page).fill('您好，我来帮您查询物流');
      await replyBox(page).press('Control+Enter');
      const reply = await peer.next((f) => f.type === 'message' && f.message.author === 'agent');
      expect(reply.message.body).toBe('您好，我来帮您查询物流');
      await eventually(() => replyBox(page).inputValue()).toBe('');
      await eventually(() => page.getByTestId('conversation-status').innerText()).toBe('处理中');

      // An internal note: shown as a note, never sent to the customer.
      await page.getByTestId('reply-box').getByText('内部备注', { exact: true }).click();
      await eventually(() => page.getByTestId('reply-box').getAttribute('data-mode')).toBe('note');
      await replyBox(page).fill('客户情绪急，优先处理');
      await replyBox(page).press('Control+Enter');
      const note = messageList(page).locator('[data-testid="message"][data-author="note"]');
      await eventually(() => note.innerText()).toContain('客户情绪急，优先处理');
      expect(await note.innerText()).toContain('内部备注');
      // A later reply reaches the customer after the note would have (events arrive in commit order).
      await page.getByTestId('reply-box').getByText('回复客户', { exact: true }).click();
      await replyBox(page).fill('已为您加急');
      await replyBox(page).press('Control+Enter');
      await peer.next((f) => f.type === 'message' && f.message.body === '已为您加急');
      expect(peer.of('message').map((f) => f.message.body)).not.toContain('客户情绪急，优先处理');
      expect(peer.of('message').some((f) => f.message.author === 'note')).toBe(false);
    });
  });

  it('issue 5 §3 / CH7: a transfer with its note moves the conversation out of the agent’s “mine” list', async () => {
    const target = (await api('agent2', 'GET', '/api/auth/me')).body as { id: string; displayName: string };
    expect((await api('agent1', 'PUT', '/api/agent-states/me', { status: 'online' })).status).toBe(200);
    const peer = await customer('周先生', '13700002222');
    const conversationId = await say(peer, '想换货');
    expect((await api('agent1', 'GET', `/api/conversations/${conversationId}`)).body.assigneeId).not.toBeNull();

    await run('workspace transfer', async (t) => {
      const { page } = t;
      await signIn(t, 'agent1', `/workspace?c=${conversationId}`);
      await eventually(() => row(page, conversationId).count()).toBe(1);
      await eventually(() => page.getByTestId('count-mine').innerText()).toMatch(/^\d+$/);
      const before = Number(await page.getByTestId('count-mine').innerText());
      await page.getByTestId('more-actions').click();
      await page.getByRole('menuitem', { name: '转交' }).click();
      const dialog = page.getByRole('dialog');
      await chooseOption(page, dialog.getByRole('combobox', { name: '坐席' }), target.displayName);
      // The note is required: the server needs the reason for the next agent.
      await dialog.getByRole('button', { name: /转\s*交/ }).click();
      await eventually(() => dialog.getByText('请填写说明').count()).toBe(1);
      await dialog.getByLabel('说明').fill('客户要求换货，转交售后熟手');
      await dialog.getByRole('button', { name: /转\s*交/ }).click();
      await eventually(() => row(page, conversationId).count()).toBe(0);
      await eventually(() => page.getByTestId('count-mine').innerText()).toBe(String(before - 1));
    });
    expect((await api('lead1', 'GET', `/api/conversations/${conversationId}`)).body.assigneeId).toBe(target.id);
  });

  it('issue 5 §3 / C4: the customer panel shows the phone masked; revealing asks for a reason and shows the clear number; the history tab lists the case', async () => {
    const created = await api('lead1', 'POST', '/api/customers', { kind: 'person', name: '赵女士', phones: ['13612345678'] });
    expect(created.status).toBe(201);
    const conv = await api('lead1', 'POST', '/api/conversations', { channel: 'phone', customerId: created.body.id, subject: '来电咨询保修', assignToSelf: true });
    expect(conv.status).toBe(201);

    await run('workspace reveal', async (t) => {
      const { page } = t;
      await signIn(t, 'lead1', `/workspace?c=${conv.body.id}`);
      const panel = page.getByTestId('customer-panel');
      await eventually(() => panel.getByTestId('masked-phones.0').innerText()).toMatch(/^136\*+5678$|^136.*5678$/);
      expect(await panel.getByTestId('masked-phones.0').innerText()).not.toBe('13612345678');
      await panel.getByRole('button', { name: '查看原文：手机 1' }).click();
      const dialog = page.getByRole('dialog');
      await eventually(() => dialog.innerText()).toContain('查看手机 1原文');
      // The reason field takes the focus when the dialog is ready; without a reason there is nothing to confirm.
      await eventually(() => dialog.getByLabel('查看原因').evaluate((el) => el === document.activeElement)).toBe(true);
      const ok = dialog.getByRole('button', { name: /查\s*看/ });
      expect(await ok.isDisabled()).toBe(true);
      await dialog.getByLabel('查看原因').fill('好');
      expect(await ok.isDisabled()).toBe(true);
      await dialog.getByLabel('查看原因').fill('回拨客户确认保修地址');
      await eventually(() => ok.isDisabled()).toBe(false);
      await ok.click();
      await eventually(() => panel.getByTestId('clear-phones.0').innerText()).toContain('13612345678');
      // The history tab lists this conversation as the current one.
      await panel.getByRole('tab', { name: /历史会话/ }).click();
      await eventually(() => panel.getByTestId('customer-history').innerText()).toContain('来电咨询保修');
    });
    const audit = await api('admin', 'GET', `/api/audit?entityType=customer&entityId=${created.body.id}`);
    expect(JSON.stringify(audit.body)).toContain('回拨客户确认保修地址');
  });

  it('issue 5 §3 / CH8 / CH5: a canned reply is inserted with its variables filled; resolving asks for the problem record the problem type requires; an emptied field is cleared', async () => {
    expect((await api('agent1', 'POST', '/api/canned-replies', { scope: 'personal', title: '问候语', body: '{customer.name}您好，请问有什么可以帮您？' })).status).toBe(201);
    expect((await api('agent1', 'PUT', '/api/agent-states/me', { status: 'online' })).status).toBe(200);
    const peer = await customer('钱女士', '13500003333');
    const conversationId = await say(peer, '想办理退货');

    await run('workspace canned and intake', async (t) => {
      const { page } = t;
      await signIn(t, 'agent1', `/workspace?c=${conversationId}`);
      await eventually(() => messageList(page).innerText()).toContain('想办理退货');
      await chooseOption(page, page.getByTestId('reply-box').getByRole('combobox', { name: '快捷回复' }), '问候语', { acts: true });
      await eventually(() => replyBox(page).inputValue()).toBe('钱女士您好，请问有什么可以帮您？');
      await replyBox(page).press('Control+Enter');
      await peer.next((f) => f.type === 'message' && f.message.body === '钱女士您好，请问有什么可以帮您？');

      // Resolving without a problem type: the server refuses, the problem record opens at the field.
      t.expectHttpError(422, `/api/conversations/${conversationId}/status`);
      await page.getByTestId('resolve').click();
      const intake = page.getByTestId('intake-form');
      await eventually(() => intake.innerText()).toContain('解决前须选择问题类型');
      await chooseOption(page, intake.getByRole('combobox', { name: '问题类型' }), '业务办理');
      // 业务办理 requires the order number and a description.
      await intake.getByRole('button', { name: '保存问题记录' }).click();
      await eventually(() => intake.innerText()).toContain('请填写订单号');
      await intake.getByLabel('订单号').fill('SO-2024-0001');
      await intake.getByLabel('问题描述').fill('客户申请七天无理由退货');
      await intake.getByRole('button', { name: '保存问题记录' }).click();
      const intakeNow = async () => (await api('agent1', 'GET', `/api/conversations/${conversationId}`)).body.intake;
      await eventually(async () => (await intakeNow()).orderNumber).toBe('SO-2024-0001');
      // A field the agent empties is cleared on the server, not kept.
      await intake.getByLabel('产品型号').fill('KF-X9');
      await intake.getByRole('button', { name: '保存问题记录' }).click();
      await eventually(async () => (await intakeNow()).productModel).toBe('KF-X9');
      await intake.getByLabel('产品型号').fill('');
      await intake.getByRole('button', { name: '保存问题记录' }).click();
      await eventually(async () => (await intakeNow()).productModel ?? null).toBe(null);
      expect((await intakeNow()).orderNumber).toBe('SO-2024-0001');
      await page.getByTestId('resolve').click();
      await eventually(() => page.getByTestId('conversation-status').innerText()).toBe('已解决');
    });
  });

  it('issue 5 §3 / CH2: the agent attaches a file to a reply; the customer gets it and the agent can download it; a too-large file shows the server’s reason', async () => {
    expect((await api('agent1', 'PUT', '/api/agent-states/me', { status: 'online' })).status).toBe(200);
    const peer = await customer('孙先生', '13600004444');
    const conversationId = await say(peer, '请把发票发给我');
    // Agent1's own case, however many chats earlier tests left them.
    expect((await api('agent1', 'POST', `/api/conversations/${conversationId}/claims`)).status).toBe(200);
    const content = '发票号 INV-2024-0042，金额 ¥199.00';

    await run('workspace attachments', async (t) => {
      const { page } = t;
      await signIn(t, 'agent1', `/workspace?c=${conversationId}`);
      await eventually(() => messageList(page).innerText()).toContain('请把发票发给我');
      const attach = page.getByTestId('reply-box').getByRole('button', { name: '添加附件' });

      // Over the limit: the server refuses it and says why; nothing waits to be sent.
      t.expectHttpError(413, `/api/conversations/${conversationId}/attachments`);
      const [tooBig] = await Promise.all([page.waitForEvent('filechooser'), attach.click()]);
      await tooBig.setFiles({ name: '录音.wav', mimeType: 'audio/wav', buffer: Buffer.alloc(ATTACHMENT_MAX + 1, 1) });
      await eventually(() => page.locator('.ant-message').innerText()).toContain(`录音.wav 上传失败：文件超过 ${ATTACHMENT_MAX} 字节上限`);
      expect(await page.getByTestId('reply-attachments').count()).toBe(0);

      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), attach.click()]);
      await chooser.setFiles({ name: '发票.txt', mimeType: 'text/plain', buffer: Buffer.from(content) });
      await eventually(() => page.getByTestId('reply-attachments').innerText()).toContain('发票.txt');
      await replyBox(page).fill('发票已开好，请查收');
      await page.getByTestId('send').click();
      const sent = await peer.next((f) => f.type === 'message' && f.message.body === '发票已开好，请查收');
      expect(sent.message.attachments).toMatchObject([{ fileName: '发票.txt', size: Buffer.byteLength(content) }]);
      await eventually(() => page.getByTestId('reply-attachments').count()).toBe(0);

      // The reply shows its file with a download link.
      const link = messageList(page).getByRole('link', { name: /发票\.txt/ });
      await eventually(() => link.count()).toBe(1);
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      expect(download.suggestedFilename()).toBe('发票.txt');
      expect(fs.readFileSync(await download.path(), 'utf8')).toBe(content);
    });
  });

  it('issue 5 §3 / CH6: the inbox lists the agent’s queues with waiting and open counts that follow live; a queue filters the list', async () => {
    // Nobody online: the next chat waits in its queue.
    expect((await api('agent1', 'PUT', '/api/agent-states/me', { status: 'away' })).status).toBe(200);
    await run('workspace queues', async (t) => {
      const { page } = t;
      await signIn(t, 'agent1');
      const peer = await customer('吴女士', '13600005555');
      const conversationId = await say(peer, '请问门店几点关门');
      const conv = (await api('agent1', 'GET', `/api/conversations/${conversationId}`)).body;
      expect(conv.assigneeId).toBeNull();
      const queue = ((await api('agent1', 'GET', '/api/queues')).body as Array<{ id: string; code: string; name: string }>).find((q) => q.id === conv.queueId)!;
      const counts = async () => (await api('agent1', 'GET', '/api/conversations/counts')).body.byQueue[queue.id] as { waiting: number; active: number };
      const button = page.getByTestId(`queue-${queue.code}`);
      const shown = page.getByTestId(`queue-count-${queue.code}`);
      // The count shown is the server's, the new chat among its waiting ones, without a reload.
      const before = await counts();
      expect(before.waiting).toBeGreaterThanOrEqual(1);
      await eventually(() => shown.innerText()).toBe(`${before.waiting}/${before.active}`);
      expect(await button.innerText()).toContain(queue.name);

      await button.click();
      await eventually(() => button.getAttribute('aria-pressed')).toBe('true');
      await eventually(() => page.getByTestId('inbox-list').getAttribute('aria-rowcount')).toBe(String(before.active));
      await eventually(() => row(page, conversationId).count()).toBe(1);

      // Claimed: one fewer waiting, as the server counts.
      await row(page, conversationId).click();
      await page.getByTestId('claim').click();
      await eventually(() => shown.innerText()).toBe(`${before.waiting - 1}/${before.active}`);
      expect(await counts()).toEqual({ waiting: before.waiting - 1, active: before.active });

      // Pressed again: every queue's work.
      await button.click();
      await eventually(() => button.getAttribute('aria-pressed')).toBe('false');
    });
  });

  it('CH8: "/" in the reply box offers the canned replies, a word narrows them, ↑/↓ and Enter insert one with its variables filled', async () => {
    for (const [title, body] of [
      ['物流查询', '{customer.name}您好，您的包裹正在派送中'],
      ['物流延误', '{customer.name}您好，很抱歉物流延误了'],
    ]) {
      expect((await api('agent1', 'POST', '/api/canned-replies', { scope: 'personal', title, body })).status).toBe(201);
    }
    expect((await api('agent1', 'PUT', '/api/agent-states/me', { status: 'online' })).status).toBe(200);
    const peer = await customer('郑先生', '13600006666');
    const conversationId = await say(peer, '快递到哪了？');

    await run('workspace slash canned', async (t) => {
      const { page } = t;
      await signIn(t, 'agent1', `/workspace?c=${conversationId}`);
      await eventually(() => messageList(page).innerText()).toContain('快递到哪了？');
      const list = page.getByTestId('reply-box').getByRole('listbox', { name: '快捷回复' });
      await replyBox(page).click();
      await page.keyboard.type('/');
      await eventually(() => list.getByRole('option').count()).toBeGreaterThanOrEqual(2);
      await page.keyboard.type('物流');
      await eventually(() => list.getByRole('option').count()).toBe(2);
      const selected = list.locator('[role="option"][aria-selected="true"]');
      const first = await selected.innerText();
      await page.keyboard.press('ArrowDown');
      await eventually(() => selected.innerText()).not.toBe(first);
      await page.keyboard.press('ArrowUp');
      await eventually(() => selected.innerText()).toBe(first);
      await page.keyboard.press('ArrowDown');
      const picked = (await selected.innerText()).includes('物流延误') ? '郑先生您好，很抱歉物流延误了' : '郑先生您好，您的包裹正在派送中';
      await page.keyboard.press('Enter');
      await eventually(() => replyBox(page).inputValue()).toBe(picked);
      expect(await list.count()).toBe(0);
      // A word nothing matches says so; Esc closes the list and the text stays.
      await replyBox(page).fill('/无此回复');
      await eventually(() => page.getByTestId('slash-canned').innerText()).toContain('没有匹配的快捷回复');
      await replyBox(page).press('Escape');
      await eventually(() => page.getByTestId('slash-canned').count()).toBe(0);
      expect(await replyBox(page).inputValue()).toBe('/无此回复');
    });
  });

  it('CH7: escalating lets the agent pick who receives it (else an online engineer) and says the support level it goes to', async () => {
    const created = await api('lead1', 'POST', '/api/customers', { kind: 'person', name: '冯先生', phones: ['13600007777'] });
    const conv = (await api('agent1', 'POST', '/api/conversations', { channel: 'phone', customerId: created.body.id, subject: '主板故障', assignToSelf: true })).body;
    const lead = (await api('lead1', 'GET', '/api/auth/me')).body as { id: string; displayName: string };

    await run('workspace escalate', async (t) => {
      const { page } = t;
      await signIn(t, 'agent1', `/workspace?c=${conv.id}`);
      await page.getByTestId('more-actions').click();
      await page.getByRole('menuitem', { name: '升级至高级支持' }).click();
      const dialog = page.getByRole('dialog');
      await eventually(() => dialog.innerText()).toContain('会话升至 2 级支持');
      await chooseOption(page, dialog.getByRole('combobox', { name: '升级给' }), lead.displayName);
      await dialog.getByLabel('说明').fill('主板疑似硬件故障，请高级支持判断');
      await dialog.getByRole('button', { name: /升\s*级/ }).click();
      await eventually(() => page.getByRole('dialog').count()).toBe(0);
    });
    const tasks = (await api('admin', 'GET', `/api/tasks?conversationId=${conv.id}&kind=escalation`)).body.data;
    expect(tasks).toMatchObject([{ assigneeId: lead.id, note: '主板疑似硬件故障，请高级支持判断' }]);
  });

  /** An article written by agent1 and published by lead1 (authors do not review their own). */
  async function publishedArticle(d: { title: string; body: string; problemType: string; visibility: 'public' | 'internal' }) {
    const created = await api('agent1', 'POST', '/api/knowledge-articles', { type: 'article', ...d });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { id, number } = created.body as { id: string; number: number };
    expect((await api('agent1', 'POST', `/api/knowledge-articles/${id}/versions/1/submissions`)).status).toBe(201);
    expect((await api('lead1', 'POST', `/api/knowledge-articles/${id}/versions/1/reviews`, { decision: 'approve' })).status).toBe(201);
    return { id, number };
  }

  it('K2: the knowledge panel suggests the problem type’s article, follows the customer’s words (traditional too) with them marked, searches, shows the article with its files, and inserts the article’s link or text into the reply', async () => {
    const body = '七天无理由退货：请客户在订单页申请退货，审核通过后寄回商品。';
    const article = await publishedArticle({ title: '退货办理流程', body, problemType: 'business', visibility: 'public' });
    const form = new FormData();
    form.append('file', new Blob(['退货单：订单号、退货原因、联系电话']), '退货单.txt');
    const upload = await fetch(`${kefu.server.url}/api/knowledge-articles/${article.id}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${tokens.lead1}` }, body: form });
    expect(upload.status).toBe(201);
    const file = (await upload.json()) as { id: string };
    expect((await api('agent1', 'PUT', '/api/agent-states/me', { status: 'online' })).status).toBe(200);
    const peer = await customer('吴女士', '13500008888');
    const conversationId = await say(peer, '你好');

    await run('workspace knowledge suggestions', async (t) => {
      const { page } = t;
      await signIn(t, 'agent1', `/workspace?c=${conversationId}`);
      await eventually(() => messageList(page).innerText()).toContain('你好');
      await page.getByRole('tab', { name: '知识推荐' }).click();
      const panel = page.getByTestId('knowledge-panel');
      const hit = panel.locator(`[data-testid="knowledge-hit"][data-article-id="${article.id}"]`);
      await eventually(() => panel.getByTestId('knowledge-empty').innerText()).toContain('暂无推荐');
      // Nothing said that matches yet: once the problem type is set, its newest articles.
      expect((await api('agent1', 'PATCH', `/api/conversations/${conversationId}`, { problemType: 'business' })).status).toBe(200);
      await eventually(() => panel.getByTestId('knowledge-basis').innerText()).toBe('该问题类型的最新知识');
      await eventually(() => hit.count()).toBe(1);
      expect(await hit.locator('mark').count()).toBe(0);

      // The customer writes in traditional characters: the panel follows, the matched word marked.
      await say(peer, '我想退貨');
      await eventually(() => panel.getByTestId('knowledge-basis').innerText()).toBe('按客户最后一条消息推荐，同问题类型优先');
      await eventually(() => hit.locator('mark').allInnerTexts()).toContain('退货');

      await hit.getByRole('button', { name: /退货办理流程/ }).click();
      const drawer = page.getByRole('dialog');
      await eventually(() => drawer.innerText()).toContain('审核通过后寄回商品');
      // The article's files are downloads under its text (K1).
      const files = drawer.getByTestId('knowledge-attachments').getByRole('link', { name: /退货单\.txt/ });
      expect(await files.getAttribute('href')).toBe(`/api/knowledge-attachments/${file.id}`);
      expect(await files.getAttribute('download')).toBe('退货单.txt');
      await drawer.getByRole('button', { name: '插入链接' }).click();
      const link = `KB-${article.number} 退货办理流程 ${new URL(page.url()).origin}/help/articles/${article.number}`;
      await eventually(() => replyBox(page).inputValue()).toBe(link);
      await eventually(() => page.getByRole('dialog').count()).toBe(0);
      await hit.getByRole('button', { name: /退货办理流程/ }).click();
      await page.getByRole('dialog').getByRole('button', { name: '插入内容' }).click();
      await eventually(() => replyBox(page).inputValue()).toBe(`${link}\n${body}`);

      // The search box: a word nothing has is a partial match; nothing at all is an empty result.
      const box = panel.getByLabel('搜索知识库');
      await box.fill('退货 火星');
      await box.press('Enter');
      await eventually(() => panel.getByTestId('knowledge-basis').innerText()).toContain('部分匹配');
      await eventually(() => hit.count()).toBe(1);
      await box.fill('火星');
      await box.press('Enter');
      await eventually(() => panel.getByTestId('knowledge-empty').innerText()).toContain('没有找到相关知识');
      // Nothing was sent to the customer.
      expect(peer.of('message').map((f) => f.message.body)).not.toContain(link);
    });
    const gaps = (await api('lead1', 'GET', '/api/knowledge-gaps')).body.data as Array<Record<string, unknown>>;
    expect(JSON.stringify(gaps)).toContain('火星');
  });

  it('K3: on a resolved conversation “生成案例” creates a draft case article without the customer’s phone number', async () => {
    expect((await api('agent1', 'PUT', '/api/agent-states/me', { status: 'online' })).status).toBe(200);
    const peer = await customer('孙先生', '13800001111');
    const conversationId = await say(peer, '耳机没有声音，回电 138-0000-1111');
    expect((await api('agent1', 'PATCH', `/api/conversations/${conversationId}`, { problemType: 'consultation', intake: { problemDescription: '蓝牙耳机连接后无声' } })).status).toBe(200);

    await run('workspace case article', async (t) => {
      const { page } = t;
      await signIn(t, 'agent1', `/workspace?c=${conversationId}`);
      await eventually(() => messageList(page).innerText()).toContain('耳机没有声音');
      await page.getByTestId('resolve').click();
      await eventually(() => page.getByTestId('conversation-status').innerText()).toBe('已解决');
      await page.getByTestId('more-actions').click();
      await page.getByRole('menuitem', { name: '生成案例' }).click();
      await eventually(() => page.locator('.ant-message').innerText()).toMatch(/已生成案例草稿 KB-\d+/);
    });
    const cases = (await api('agent1', 'GET', '/api/knowledge-articles?type=case')).body.data as Array<{ id: string; sourceConversationId: string | null; status: string }>;
    const draft = cases.find((a) => a.sourceConversationId === conversationId);
    expect(draft).toMatchObject({ status: 'draft' });
    const detail = (await api('agent1', 'GET', `/api/knowledge-articles/${draft!.id}`)).body;
    expect(detail.open.body).toContain('蓝牙耳机连接后无声');
    expect(detail.open.body).not.toMatch(/13800001111|138-0000-1111/);
  });

  it('issue 5 §10: a list of 10 000 conversations scrolls to its end with only a window of rows in the page', async () => {
    await run('workspace 10k', async (t) => {
      const { page } = t;
      await signIn(t, 'engineer1');
      await eventually(() => page.getByTestId('count-mine').innerText()).toBe(String(VOLUME));
      const list = page.getByTestId('inbox-list');
      await eventually(() => page.getByTestId('inbox-row').count()).toBeGreaterThan(5);

      // Keyboard: a row opens, Alt+↓ moves to the next conversation.
      const first = page.getByTestId('inbox-row').first();
      const firstId = await first.getAttribute('data-conversation-id');
      await first.click();
      await eventually(() => new URL(page.url()).searchParams.get('c')).toBe(firstId);
      await eventually(() => first.getAttribute('aria-selected')).toBe('true');
      await first.focus();
      await page.keyboard.press('Alt+ArrowDown');
      await eventually(() => new URL(page.url()).searchParams.get('c')).not.toBe(firstId);
      // "?" lists the shortcuts; it toggles.
      await page.keyboard.press('?');
      await eventually(() => page.getByTestId('shortcut-help').innerText()).toContain('Ctrl + Enter');
      expect(await page.getByTestId('shortcut-help').innerText()).toContain('写内部备注');
      await page.keyboard.press('?');
      await eventually(() => page.getByTestId('shortcut-help').isVisible()).toBe(false);

      // Scroll to the end, page after page from the server, until the oldest conversation shows.
      await eventually(
        async () => {
          await list.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
          return row(page, oldestSeeded).count();
        },
        120_000,
      ).toBe(1);
      expect(await list.getAttribute('aria-rowcount')).toBe(String(VOLUME));
      const inDom = await page.getByTestId('inbox-row').count();
      expect(inDom).toBeGreaterThan(5);
      expect(inDom).toBeLessThan(80);
    });
  }, 180_000);
});
