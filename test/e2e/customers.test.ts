import { beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeInBrowser } from '../support/browser.ts';
import { consoleSuite, eventually, signIn } from '../support/console.ts';
import { DEMO_PASSWORD } from '../support/kefu.ts';
import { http, loginOver } from '../support/process.ts';

/**
 * Issue 5 §5: the customer screens in Chromium against a real `kefu start` (call-center preset with
 * its demo staff); the customers are seeded through the HTTP API.
 */

describeInBrowser('customers in the web console', () => {
  const kefu = consoleSuite();
  const { run } = kefu;
  let customerId: string;

  beforeAll(async () => {
    const admin = await loginOver(kefu.server.url, 'admin', DEMO_PASSWORD);
    const created = await http(kefu.server.url, 'POST', '/api/customers', {
      token: admin,
      body: { name: '周婷', phones: ['13912345678'], emails: ['zhouting@example.com'], tags: ['老客户'], addresses: [{ city: '杭州市', street: '文三路 90 号' }] },
    });
    expect(created.status).toBe(201);
    customerId = created.body.id;
  });

  async function openCustomers(page: Page) {
    await page.getByRole('navigation').getByRole('link', { name: '客户档案' }).click();
    await page.waitForURL('**/console/customers');
  }

  it('issue 5 §5 / C1, C4: search finds the customer; the profile shows the phone masked; revealing needs a reason and shows it in clear', async () => {
    await run('C4 reveal', async (b) => {
      const { page } = b;
      await signIn(b, 'lead1');
      await openCustomers(page);
      const list = page.getByTestId('customer-list');

      // By a full phone number written the way people write it, then by part of the name.
      await page.getByLabel('搜索客户').fill('139 1234 5678');
      await page.getByLabel('搜索客户').press('Enter');
      await eventually(() => list.getByRole('link').allInnerTexts()).toEqual(['周婷']);
      expect(await list.innerText()).toContain('139****5678');
      await page.getByLabel('搜索客户').fill('周');
      await page.getByLabel('搜索客户').press('Enter');
      await eventually(() => page.url()).toContain('q=%E5%91%A8');
      await eventually(() => list.getByRole('link').allInnerTexts()).toEqual(['周婷']);

      await list.getByRole('link', { name: '周婷' }).click();
      await eventually(() => page.getByRole('heading', { name: '周婷' }).count()).toBe(1);
      const masked = page.getByTestId('masked-phones.0');
      await eventually(() => masked.innerText()).toBe('139****5678');
      expect(await page.getByTestId('customer-profile').innerText()).not.toContain('13912345678');

      await page.getByRole('button', { name: '查看原文：手机 1' }).click();
      const dialog = page.getByRole('dialog');
      const ok = dialog.getByRole('button', { name: /查\s*看/ });
      // No reason, or blanks and a single character, is no reason.
      expect(await ok.isDisabled()).toBe(true);
      await dialog.getByLabel('查看原因').fill('  a ');
      expect(await ok.isDisabled()).toBe(true);
      await dialog.getByLabel('查看原因').fill('回拨客户确认收货地址');
      await ok.click();
      await eventually(() => page.getByTestId('clear-phones.0').innerText()).toContain('13912345678');

      // The server recorded who looked, at what and why.
      const admin = await loginOver(kefu.server.url, 'admin', DEMO_PASSWORD);
      const audit = await http(kefu.server.url, 'GET', `/api/audit?action=reveal&entityId=${customerId}`, { token: admin });
      expect(audit.body.data).toEqual([expect.objectContaining({ reason: '回拨客户确认收货地址' })]);

      // A note added on the profile shows in its list.
      await page.getByRole('tab', { name: '备注' }).click();
      await page.getByLabel('新增备注').fill('客户希望工作日晚上联系');
      await page.getByRole('button', { name: '添加备注' }).click();
      await eventually(() => page.getByTestId('customer-notes').innerText()).toContain('客户希望工作日晚上联系');
    });
  });

  it('issue 5 §5 / C4: an agent sees the phone masked and has no reveal button', async () => {
    await run('C4 agent masked', async (b) => {
      const { page } = b;
      await signIn(b, 'agent1');
      await page.goto(`/console/customers?id=${customerId}`);
      await eventually(() => page.getByTestId('masked-phones.0').innerText()).toBe('139****5678');
      expect(await page.getByRole('button', { name: /查看原文/ }).count()).toBe(0);
      expect(await page.getByRole('button', { name: /导\s*入/ }).count()).toBe(0);
    });
  });

  it('issue 5 §5 / C5: a CSV with one bad row imports with progress to 100 %, reports the bad row and its reason, and the good rows join the list', async () => {
    await run('C5 import', async (b) => {
      const { page } = b;
      await signIn(b, 'lead1');
      await openCustomers(page);
      await page.getByRole('button', { name: /导\s*入/ }).click();
      const dialog = page.getByRole('dialog');
      const csv = ['姓名,手机,邮箱,标签', '导入甲,13800001111,jia@example.com,批量', '导入乙,12345,,批量', '导入丙,13800002222,,批量'].join('\n');
      await dialog.locator('input[type=file]').setInputFiles({ name: '客户名单.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      await dialog.getByText('导入正确的行，报告错误的行').click();
      await dialog.getByRole('button', { name: '开始导入' }).click();

      const progress = dialog.getByRole('progressbar');
      await eventually(() => progress.getAttribute('aria-valuenow')).toBe('100');
      expect(await dialog.getByTestId('import-progress').innerText()).toContain('100%');
      await eventually(() => dialog.getByTestId('import-status').innerText()).toContain('已处理 3/3 行，导入 2 行，错误 1 处');
      const report = dialog.getByTestId('import-report');
      const bad = report.getByRole('row', { name: /第 1 个手机号格式不正确/ });
      expect(await bad.getByRole('cell').allInnerTexts()).toEqual(['3', '手机', '第 1 个手机号格式不正确']);

      // The report downloads as a file too.
      const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: '下载错误报告' }).click()]);
      expect(download.suggestedFilename()).toBe('客户名单-错误报告.csv');

      await dialog.getByRole('button', { name: /完\s*成/ }).click();
      const names = () => page.getByTestId('customer-list').getByRole('link').allInnerTexts();
      await eventually(names).toEqual(expect.arrayContaining(['导入甲', '导入丙']));
      expect(await names()).not.toContain('导入乙');
      // Filtered by the tag the file gave them.
      await page.getByLabel('标签', { exact: true }).fill('批量');
      await page.getByLabel('标签', { exact: true }).press('Enter');
      await eventually(async () => (await names()).sort()).toEqual(['导入丙', '导入甲']);
    });
  });

  it('issue 5 §5 / C5, C4: a manager exports the filtered list after giving a reason', async () => {
    await run('C5 export', async (b) => {
      const { page } = b;
      await signIn(b, 'manager1');
      await page.goto('/console/customers?q=%E5%91%A8%E5%A9%B7');
      await eventually(() => page.getByTestId('customer-list').getByRole('link').allInnerTexts()).toEqual(['周婷']);
      await page.getByRole('button', { name: /导\s*出/ }).click();
      const dialog = page.getByRole('dialog');
      expect(await dialog.innerText()).toContain('将按列表当前的 1 个筛选条件导出');
      await dialog.getByLabel('CSV').check();
      await dialog.getByLabel('导出原因').fill('年度客户回访');
      const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: /导\s*出/ }).click()]);
      expect(download.suggestedFilename()).toMatch(/^customers-\d{8}-\d{6}\.csv$/);
      const text = (await import('node:fs')).readFileSync((await download.path())!, 'utf8');
      expect(text).toContain('周婷');
      expect(text).toContain('13912345678');
      expect(text).not.toContain('导入甲');
      await eventually(() => page.getByText('已导出 1 个客户档案').count()).toBe(1);
    });
  });
});
