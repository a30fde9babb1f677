import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeInBrowser } from '../support/browser.ts';
import { chooseOption, consoleSuite, eventually, navItems, signIn } from '../support/console.ts';
import { DEMO_PASSWORD } from '../support/kefu.ts';
import { http, loginOver } from '../support/process.ts';

/**
 * Issue 5 §6, administration: the policy of the active preset (draft → approve → publish), the
 * audit log viewer and webhooks, in Chromium against a real `kefu start` with the call-center demo.
 */

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  body: { type: string; entity: { type: string; id: string } };
}

describeInBrowser('administration screens in Chromium', () => {
  const kefu = consoleSuite();
  const { run } = kefu;
  let receiver: HttpServer;
  let receiverUrl: string;
  const received: Received[] = [];

  beforeAll(async () => {
    // A webhook receiver in the test process: records every POST and answers 200.
    receiver = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (raw += chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, raw, body: JSON.parse(raw) });
        res.writeHead(200, { 'content-type': 'text/plain' }).end('received');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/kefu`;
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver?.close(resolve));
  });

  /** Ant Design spaces two-character Chinese button labels (发 布); an icon's name may come first. */
  const button = (scope: Page | ReturnType<Page['getByRole']>, text: string) => scope.getByRole('button', { name: new RegExp(`(^|\\s)${[...text].join('\\s*')}$`) });
  const confirmPopover = (page: Page) => page.getByRole('tooltip').getByRole('button', { name: /确\s*定|OK/ }).click();

  it('issue 5 §6 / E4 / PR1 / O4: an admin edits the chat first-response target in a draft, approves and publishes it; the console, the API and the audit log agree', async () => {
    const token = await loginOver(kefu.server.url, 'admin', DEMO_PASSWORD);
    const before = (await http(kefu.server.url, 'GET', '/api/policies/current', { token })).body;
    expect(before.version).toBe(1);
    const firstResponse = before.document.sla.chat.firstResponseSeconds;
    const target = firstResponse.value + 15;

    await run('E4 policy draft approve publish', async (b) => {
      const { page, expectHttpError } = b;
      await signIn(b, 'admin');
      await page.getByRole('navigation').getByRole('link', { name: '制度管理' }).click();
      await page.waitForURL('**/console/policy');
      const status = page.getByTestId('policy-status');
      await eventually(() => status.innerText()).toBe('已发布');
      const sla = page.getByTestId('policy-sla');
      // The regulation's words stand next to the rule they justify.
      await eventually(() => sla.innerText()).toContain(`「${firstResponse.source.quote}」`);
      const field = page.getByLabel('在线客服首次响应');
      expect(await field.isDisabled()).toBe(true);

      await button(page, '起草新版本').click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('修订说明').fill('缩短在线首次响应时限');
      await button(dialog, '起草新版本').click();
      await eventually(() => status.innerText()).toBe('草稿');
      const draft = (await http(kefu.server.url, 'GET', '/api/policies', { token })).body.data[0];
      expect(draft).toMatchObject({ version: 2, status: 'draft', note: '缩短在线首次响应时限' });

      // The server's cross-checks come back with the field they concern: an approval step by a department that does not exist.
      expectHttpError(400, `/api/policies/${draft.id}`);
      await page.getByRole('tab', { name: /JSON/ }).click();
      const json = page.getByRole('textbox', { name: 'JSON（全部内容）' });
      const broken = structuredClone(before.document);
      broken.complaints.approvalChain.value = ['no_such_dept'];
      await json.fill(JSON.stringify(broken, null, 2));
      await button(page, '校验并应用').click();
      await button(page, '保存草稿').click();
      const problems = page.getByTestId('policy-problems');
      await eventually(() => problems.innerText()).toContain('complaints.approvalChain.0');
      expect(await problems.innerText()).toContain('no_such_dept');
      // A document that breaks the schema is stopped in the page, with its path, before any request.
      broken.sla.chat.firstResponseSeconds.value = 'soon';
      await json.fill(JSON.stringify(broken, null, 2));
      await button(page, '校验并应用').click();
      await eventually(() => problems.innerText()).toContain('sla.chat.firstResponseSeconds.value');
      await json.fill(JSON.stringify(before.document, null, 2));
      await button(page, '校验并应用').click();
      await eventually(() => problems.count()).toBe(0);

      // The structured editor: the SLA table.
      await page.getByRole('tab', { name: '规则编辑' }).click();
      expect(await field.isDisabled()).toBe(false);
      await field.fill(String(target));
      await page.getByRole('tab', { name: /与生效版本对比/ }).click();
      const diff = page.getByTestId('policy-diff');
      await eventually(() => diff.innerText()).toContain('sla.chat.firstResponseSeconds.value');
      expect(await diff.getByRole('row').count()).toBe(2);
      expect(await diff.getByRole('row').nth(1).innerText()).toMatch(new RegExp(`${firstResponse.value}\\s+${target}`));
      await button(page, '保存草稿').click();
      await eventually(() => page.getByText('草稿已保存').count()).toBe(1);
      expect((await http(kefu.server.url, 'GET', `/api/policies/${draft.id}`, { token })).body.document.sla.chat.firstResponseSeconds.value).toBe(target);

      await button(page, '审批通过').click();
      await confirmPopover(page);
      await eventually(() => status.innerText()).toBe('已审批');
      await button(page, '发布').click();
      await confirmPopover(page);
      await eventually(() => status.innerText()).toBe('已发布');

      // Who and when, and the published version shows the new value.
      const who = page.getByTestId('policy-who');
      await eventually(() => who.innerText()).toMatch(/发布\s+系统管理员|发布\s+\S+ · /);
      await eventually(() => page.getByTestId('policy-current').innerText()).toContain('第 2 版');
      await page.getByRole('tab', { name: '规则编辑' }).click();
      expect(await field.inputValue()).toBe(String(target));
      expect(await field.isDisabled()).toBe(true);
      const versions = page.getByTestId('policy-versions');
      await eventually(() => versions.getByText('已废止').count()).toBe(1);

      // The audit viewer lists the publication: policy entries, newest first, with the status change.
      await page.getByRole('navigation').getByRole('link', { name: '审计日志' }).click();
      await page.waitForURL('**/console/audit');
      await page.getByTestId('audit-filters').getByLabel('对象类型').fill('policy');
      await button(page, '查询').click();
      const table = page.getByTestId('audit-table');
      const publication = table.getByRole('row').filter({ hasText: 'approved → published' });
      await eventually(() => publication.count()).toBe(1);
      expect(await publication.innerText()).toContain('制度');
      await publication.click();
      const detail = page.getByTestId('audit-detail');
      await eventually(() => detail.innerText()).toContain(draft.id);
      expect(await detail.innerText()).toContain(`"value": ${target}`);
    });

    const after = (await http(kefu.server.url, 'GET', '/api/policies/current', { token })).body;
    expect(after).toMatchObject({ version: 2, status: 'published', note: '缩短在线首次响应时限' });
    expect(after.document.sla.chat.firstResponseSeconds.value).toBe(target);
    expect(after.publishedBy).toBe((await http(kefu.server.url, 'GET', '/api/auth/me', { token })).body.id);
  }, 180_000);

  it('issue 5 §6 / O4 / C4: the audit viewer filters by action and actor and lists reveals of personal data with their reason', async () => {
    const token = await loginOver(kefu.server.url, 'admin', DEMO_PASSWORD);
    const staff = (await http(kefu.server.url, 'GET', '/api/staff?limit=200', { token })).body.data as Array<{ id: string; username: string; phone: string | null }>;
    const agent = staff.find((s) => s.username === 'agent1' && s.phone)!;
    const reason = '核对员工紧急联系电话';
    expect((await http(kefu.server.url, 'POST', '/api/reveals', { token, body: { entityType: 'staff', entityId: agent.id, field: 'phone', reason } })).status).toBe(200);

    await run('O4 audit reveals', async (b) => {
      const { page } = b;
      await signIn(b, 'admin');
      await page.goto('/console/audit');
      const table = page.getByTestId('audit-table');
      await eventually(() => table.getByRole('row').count()).toBeGreaterThan(2);
      await button(page, '只看查看原文记录').click();
      const rows = table.locator('tbody tr.ant-table-row');
      await eventually(() => rows.count()).toBe(1);
      expect(await rows.first().innerText()).toContain(reason);
      expect(await rows.first().innerText()).toContain('查看原文');
      // Filtering by another actor leaves nothing; the actor who revealed finds it again.
      const actor = page.getByTestId('audit-filters').getByLabel('操作人');
      await chooseOption(page, actor, 'agent2', { search: 'agent2' });
      await button(page, '查询').click();
      await eventually(() => table.getByText(reason).count()).toBe(0);
      await chooseOption(page, actor, '（admin）', { search: 'admin' });
      await button(page, '查询').click();
      await eventually(() => table.getByText(reason).count()).toBe(1);
    });
  });

  it('issue 5 §6 / X3: a webhook made in the console gets its ping at a real receiver, signed with the secret shown once; its delivery is logged', async () => {
    await run('X3 webhook ping', async (b) => {
      const { page } = b;
      await signIn(b, 'admin');
      await page.getByRole('navigation').getByRole('link', { name: 'Webhook' }).click();
      await page.waitForURL('**/console/webhooks');
      await button(page, '新建 Webhook').click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('名称').fill('测试接收方');
      await dialog.getByLabel('接收地址').fill(receiverUrl);
      await chooseOption(page, dialog.getByLabel('订阅的事件'), '制度版本已发布', { search: 'policy.published' });
      await page.keyboard.press('Escape');
      await button(dialog, '保存').click();

      const secretShown = page.getByTestId('new-secret');
      await eventually(() => secretShown.innerText()).toMatch(/^whsec_\S+/);
      const secret = (await secretShown.innerText()).trim();
      await button(page, '我已保存').click();
      const row = page.getByRole('row', { name: /测试接收方/ });
      await eventually(() => row.innerText()).toContain('policy.published');
      expect(await row.innerText()).not.toContain(secret);

      await button(row, '发送测试').click();
      await eventually(() => received.filter((r) => r.body.type === 'webhook.ping').length).toBe(1);
      const ping = received.find((r) => r.body.type === 'webhook.ping')!;
      expect(ping.headers['x-kefu-event']).toBe('webhook.ping');
      const { t, v1 } = Object.fromEntries(String(ping.headers['x-kefu-signature']).split(',').map((p) => p.split('='))) as { t: string; v1: string };
      expect(createHmac('sha256', secret).update(`${t}.${ping.raw}`).digest('hex')).toBe(v1);

      await button(row, '投递记录').click();
      const log = page.getByTestId('webhook-deliveries');
      await eventually(() => log.innerText()).toContain('成功');
      expect(await log.innerText()).toMatch(/webhook\.ping[\s\S]*200/);
      // Redelivery sends it again and logs the new attempt.
      await button(log.getByRole('row').nth(1), '重新投递').click();
      await eventually(() => received.filter((r) => r.body.type === 'webhook.ping').length).toBe(2);
      await eventually(() => log.getByText('成功').count()).toBe(2);
      await page.keyboard.press('Escape');

      // Disabling it shows in the API.
      await row.getByRole('switch', { name: '启用 测试接收方' }).click();
      const token = await loginOver(kefu.server.url, 'admin', DEMO_PASSWORD);
      await eventually(async () => (await http(kefu.server.url, 'GET', '/api/webhooks', { token })).body.data[0].active).toBe(false);
    });
  });

  it('issue 5 §2 / O2: an agent sees none of the administration screens, in the navigation or by address', async () => {
    await run('O2 agent no admin screens', async (b) => {
      const { page } = b;
      await signIn(b, 'agent1');
      await eventually(() => navItems(page)).toContain('工作台');
      const items = await navItems(page);
      for (const name of ['制度管理', '审计日志', 'Webhook']) expect(items).not.toContain(name);
      for (const path of ['/console/policy', '/console/audit', '/console/webhooks']) {
        await page.goto(path);
        await eventually(() => page.getByText('页面不存在').count()).toBe(1);
      }
    });
  });
});
