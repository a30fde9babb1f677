import { expect, it } from 'vitest';
import type { Locator } from 'playwright-core';
import { describeInBrowser } from '../support/browser.ts';
import { chooseOption, consoleSuite, eventually, navItems, signIn } from '../support/console.ts';
import { DEMO_PASSWORD } from '../support/kefu.ts';
import { http } from '../support/process.ts';

/** Issue 5 §6 (first half): departments, teams, staff and roles in Chromium against a real `kefu start`. */

describeInBrowser('organisation admin in the web console', () => {
  const kefu = consoleSuite();
  const { run } = kefu;

  /** Picks an option of an Ant Design select reached by its label. */
  const choose = (scope: Locator, label: string, option: string) => chooseOption(scope.page(), scope.getByLabel(label, { exact: true }), option, { exact: true });

  /** The error Ant Design shows under a form field. */
  const fieldError = (scope: Locator, label: string) => scope.locator('.ant-form-item').filter({ has: scope.page().getByLabel(label, { exact: true }) }).locator('.ant-form-item-explain-error');

  it('issue 5 §6 / O1, O5: an admin creates a team and a staff member (a taken username is flagged on its field); the new member signs in', async () => {
    await run('O1 team and staff', async (b) => {
      const { page, expectHttpError } = b;
      await signIn(b, 'admin');
      await page.getByRole('navigation').getByRole('link', { name: '组织架构' }).click();
      await page.waitForURL('**/console/org');

      await page.getByRole('tab', { name: '班组' }).click();
      await page.getByRole('button', { name: '新建班组' }).click();
      let dialog = page.getByRole('dialog');
      await dialog.getByLabel('名称').fill('夜班组');
      await dialog.getByLabel('编码').fill('night_shift');
      await choose(dialog, '部门', '服务运营部');
      await dialog.getByRole('button', { name: /保\s*存/ }).click();
      const teams = page.getByTestId('team-list');
      await eventually(() => teams.getByRole('row', { name: /夜班组/ }).count()).toBe(1);
      expect(await teams.getByRole('row', { name: /夜班组/ }).innerText()).toContain('服务运营部');

      await page.getByRole('tab', { name: '员工' }).click();
      await page.getByRole('button', { name: '新建员工' }).click();
      dialog = page.getByRole('dialog');
      await dialog.getByLabel('用户名').fill('agent1');
      await dialog.getByLabel('初始密码').fill('night-shift-2026');
      await dialog.getByLabel('姓名').fill('周敏');
      await choose(dialog, '部门', '服务运营部');
      await choose(dialog, '班组', '夜班组');
      expectHttpError(409, '/api/staff');
      await dialog.getByRole('button', { name: /保\s*存/ }).click();
      await eventually(() => fieldError(dialog, '用户名').innerText()).toBe('用户名 agent1 已被使用');

      await dialog.getByLabel('用户名').fill('zhoumin');
      await dialog.getByRole('button', { name: /保\s*存/ }).click();
      const row = page.getByTestId('staff-list').getByRole('row', { name: /zhoumin/ });
      await eventually(() => row.count()).toBe(1);
      expect(await row.innerText()).toMatch(/周敏[\s\S]*客服专员[\s\S]*服务运营部[\s\S]*夜班组[\s\S]*启用/);

      // O3: a promotion with its reason.
      await row.getByRole('button', { name: '调整等级' }).click();
      dialog = page.getByRole('dialog');
      await choose(dialog, '等级', '中级');
      await dialog.getByLabel('调整原因').fill('试用期考核优秀');
      await dialog.getByRole('button', { name: /保\s*存/ }).click();
      await eventually(() => row.innerText()).toContain('中级');
    });
    await run('O5 new staff member signs in', async (b) => {
      await signIn(b, 'zhoumin', 'night-shift-2026');
      await eventually(() => b.page.getByTestId('user-menu').innerText()).toContain('周敏');
      expect(await navItems(b.page)).not.toContain('组织架构');
    });
  });

  it('issue 5 §6 / O5: a locked account shows as locked and the admin unlocks it', async () => {
    for (let i = 0; i < 5; i++) await http(kefu.server.url, 'POST', '/api/auth/login', { body: { username: 'agent2', password: `wrong-${i}` } });
    await run('O5 unlock', async (b) => {
      const { page } = b;
      await signIn(b, 'admin');
      await page.goto('/console/org?tab=staff');
      const row = page.getByTestId('staff-list').getByRole('row', { name: /agent2/ });
      await eventually(() => row.innerText()).toContain('已锁定');
      await row.getByRole('button', { name: '解除锁定' }).click();
      await eventually(() => row.innerText()).not.toContain('已锁定');
      expect((await http(kefu.server.url, 'POST', '/api/auth/login', { body: { username: 'agent2', password: DEMO_PASSWORD } })).status).toBe(200);
    });
  });

  it('issue 5 §6 / O2: the roles tab shows the server permission table', async () => {
    await run('O2 roles', async (b) => {
      const { page } = b;
      await signIn(b, 'admin');
      await page.goto('/console/org?tab=roles');
      const matrix = page.getByTestId('role-matrix');
      const row = matrix.getByRole('row', { name: /org\.manage/ });
      await eventually(() => row.count()).toBe(1);
      expect(await row.getByLabel('有此权限').count()).toBe(2);
      expect(await matrix.getByRole('columnheader').allInnerTexts()).toEqual(expect.arrayContaining(['客服专员', '系统管理员']));
    });
  });

  it('issue 5 §6 / O2: an agent has no organisation screens and gets the not-found page at their address', async () => {
    await run('O2 agent', async (b) => {
      const { page } = b;
      await signIn(b, 'agent1');
      await eventually(() => navItems(page)).toContain('工作台');
      expect(await navItems(page)).not.toContain('组织架构');
      await page.goto('/console/org');
      await eventually(() => page.getByText('页面不存在').count()).toBe(1);
      expect(await page.getByTestId('staff-list').count()).toBe(0);
    });
  });
});
