import { expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeInBrowser } from '../support/browser.ts';
import { consoleSuite, eventually, navItems, signInAt } from '../support/console.ts';

/** Issue 5 §3 / CH8: the screen where supervisors keep the shared canned replies and everyone their own, in Chromium against a real `kefu start`. */

describeInBrowser('canned replies in Chromium', () => {
  const { run, api } = consoleSuite();

  const table = (page: Page) => page.getByTestId('canned-table');
  const dialog = (page: Page) => page.getByRole('dialog');
  const save = (page: Page) => dialog(page).getByRole('button', { name: /^保\s*存$/ });

  const rowOf = (page: Page, title: string) => table(page).locator('tr.ant-table-row').filter({ hasText: title });

  it('CH8: a team lead creates a shared reply with variables and a preview, edits it, finds it, and an agent can use it', async () => {
    await api('trainer1', 'POST', '/api/canned-replies', { scope: 'shared', title: '上门安装预约', body: '师傅将于明天上午上门安装。', category: '售后' });
    await run('CH8 shared reply', async (t) => {
      const { page } = t;
      await signInAt(t, '/canned', 'lead1');
      await eventually(() => page.getByRole('heading', { name: '快捷回复' }).count()).toBe(1);
      expect(await navItems(page)).toContain('快捷回复');

      await page.getByRole('button', { name: '新建快捷回复' }).click();
      await eventually(() => dialog(page).getByText('可用变量', { exact: false }).count()).toBe(1);
      expect(await dialog(page).getByRole('radio', { name: '公共话术' }).isChecked()).toBe(true);
      await page.getByLabel('标题').fill('物流延迟致歉');
      await page.getByLabel('类别', { exact: true }).fill('物流');
      await page.getByLabel('快捷键').fill('delay');
      // The variables are inserted where the caret is, and the preview fills them with example values.
      await page.getByLabel('内容').fill('，您的订单 已催促快递加急，请您留意。');
      await page.getByLabel('内容').press('Home');
      await page.getByRole('button', { name: '插入变量：客户姓名' }).click();
      await eventually(() => page.getByLabel('内容').inputValue()).toBe('{customer.name}，您的订单 已催促快递加急，请您留意。');
      await page.getByLabel('内容').fill('{customer.name}，您的订单 {order.number} 已催促快递加急。{customer.phone}');
      await eventually(() => page.getByTestId('canned-preview').innerText()).toBe('王先生，您的订单 DD20260301001 已催促快递加急。{customer.phone}');
      expect(await dialog(page).getByText('以下变量不受支持').innerText()).toContain('{customer.phone}');
      await page.getByLabel('内容').fill('{customer.name}，您的订单 {order.number} 已催促快递加急。');
      await save(page).click();
      await eventually(() => rowOf(page, '物流延迟致歉').count()).toBe(1);
      expect(await rowOf(page, '物流延迟致歉').innerText()).toMatch(/物流[\s\S]*\/delay[\s\S]*公共话术/);

      // The server's error lands on the field it names: the shortcut is taken among the shared replies.
      await page.getByRole('button', { name: '新建快捷回复' }).click();
      await page.getByLabel('标题').fill('物流延迟（备用）');
      await page.getByLabel('快捷键').fill('delay');
      await page.getByLabel('内容').fill('非常抱歉，快递有所延迟。');
      t.expectHttpError(409, '/api/canned-replies');
      await save(page).click();
      const shortcutError = dialog(page).locator('.ant-form-item').filter({ has: page.getByLabel('快捷键') }).locator('.ant-form-item-explain-error');
      await eventually(() => shortcutError.innerText()).toBe('快捷键 delay 已被使用');
      await dialog(page).getByRole('button', { name: /^取\s*消$/ }).click();

      // Edit, then find it by searching.
      await rowOf(page, '物流延迟致歉').getByRole('button', { name: /^编\s*辑$/ }).click();
      await eventually(() => page.getByLabel('标题').inputValue()).toBe('物流延迟致歉');
      await page.getByLabel('标题').fill('物流延迟致歉（催件）');
      await save(page).click();
      await eventually(() => rowOf(page, '物流延迟致歉（催件）').count()).toBe(1);
      expect(await rowOf(page, '上门安装预约').count()).toBe(1);
      await page.getByLabel('搜索').fill('催件');
      await page.getByLabel('搜索').press('Enter');
      await eventually(() => rowOf(page, '上门安装预约').count()).toBe(0);
      expect(await rowOf(page, '物流延迟致歉（催件）').count()).toBe(1);
    });

    const replies: Array<{ title: string; scope: string; body: string }> = await api('agent1', 'GET', '/api/canned-replies?q=%E5%82%AC%E4%BB%B6');
    expect(replies).toEqual([expect.objectContaining({ title: '物流延迟致歉（催件）', scope: 'shared', body: '{customer.name}，您的订单 {order.number} 已催促快递加急。' })]);
  }, 180_000);

  it('CH8: a shared reply is deleted after confirming', async () => {
    await api('trainer1', 'POST', '/api/canned-replies', { scope: 'shared', title: '节假日安排', body: '国庆期间客服 9:00–18:00 在线。', category: '通知' });
    await run('CH8 delete', async (t) => {
      const { page } = t;
      await signInAt(t, '/canned', 'manager1');
      const row = rowOf(page, '节假日安排');
      await eventually(() => row.count()).toBe(1);
      await row.getByRole('button', { name: /^删\s*除$/ }).click();
      await page.locator('.ant-popconfirm').getByRole('button', { name: /^(确\s*定|OK)$/ }).click();
      await eventually(() => row.count()).toBe(0);
    });
    const left: Array<{ title: string }> = await api('manager1', 'GET', '/api/canned-replies?scope=shared');
    expect(left.map((r) => r.title)).not.toContain('节假日安排');
  }, 120_000);

  it('CH8 / O2: an agent keeps their own replies on the screen and reads the shared ones without changing them; nobody else sees theirs', async () => {
    await api('lead1', 'POST', '/api/canned-replies', { scope: 'shared', title: '发票开具说明', body: '电子发票将在订单完成后发送到您的邮箱。' });
    await run('CH8 agent', async (t) => {
      const { page } = t;
      await signInAt(t, '/canned', 'agent1');
      await eventually(() => rowOf(page, '发票开具说明').count()).toBe(1);
      expect(await navItems(page)).toContain('快捷回复');
      expect(await rowOf(page, '发票开具说明').getByRole('button').count()).toBe(0);

      await page.getByRole('button', { name: '新建快捷回复' }).click();
      // Only a personal reply can be made here: no choice of scope.
      await eventually(() => dialog(page).getByLabel('标题').count()).toBe(1);
      expect(await dialog(page).getByRole('radio').count()).toBe(0);
      await page.getByLabel('标题').fill('我的结束语');
      await page.getByLabel('快捷键').fill('bye');
      await page.getByLabel('内容').fill('感谢您的耐心，{customer.name}，祝您生活愉快！');
      await save(page).click();
      const mine = rowOf(page, '我的结束语');
      await eventually(() => mine.innerText()).toMatch(/我的结束语[\s\S]*\/bye[\s\S]*我的话术/);

      await mine.getByRole('button', { name: /编\s*辑/ }).click();
      await eventually(() => page.getByLabel('标题').inputValue()).toBe('我的结束语');
      await page.getByLabel('内容').fill('感谢您的耐心，祝您生活愉快！');
      await save(page).click();
      await eventually(() => mine.innerText()).toContain('感谢您的耐心，祝您生活愉快！');
    });
    const titles = async (as: string) => ((await api(as, 'GET', '/api/canned-replies')) as Array<{ title: string }>).map((r) => r.title);
    expect(await titles('agent1')).toContain('我的结束语');
    expect(await titles('agent2')).not.toContain('我的结束语');
    expect(await titles('lead1')).not.toContain('我的结束语');
  }, 120_000);
});
