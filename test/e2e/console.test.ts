import { expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeInBrowser } from '../support/browser.ts';
import { consoleSuite, eventually, navItems } from '../support/console.ts';
import { DEMO_PASSWORD } from '../support/kefu.ts';
import { http, loginOver } from '../support/process.ts';

/**
 * Issue 5, first slice: the web console in a real browser (Debian's Chromium driven by
 * playwright-core) against a real `kefu start` on the embedded database with the demo preset.
 */

describeInBrowser('web console in Chromium', () => {
  const kefu = consoleSuite();
  const { run } = kefu;

  /** Opens the console signed out: `/` leads to it and it asks for a sign-in (the session probe answers 401). */
  async function openSignedOut(page: Page, expectHttpError: (s: number, p: string) => void) {
    expectHttpError(401, '/api/auth/me');
    await page.goto('/');
    await page.waitForURL('**/console/login');
  }

  async function signIn(page: Page, username: string, password = DEMO_PASSWORD) {
    await page.getByLabel('用户名').fill(username);
    await page.getByLabel('密码').fill(password);
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/auth/login')), page.getByRole('button', { name: /登\s*录/ }).click()]);
    return res;
  }

  /**
   * The SCREENS rows of web/src/nav.tsx whose permission the role holds (server/platform/rbac/permissions.ts),
   * in table order: an agent reads conversations, the knowledge base, customers, complaints (and approves their department's
   * steps, CP3) and their own KPIs; an admin holds every permission.
   */
  const AGENT_NAV = ['工作台', '会话接待', '知识库', '客户档案', '投诉处理', '投诉审核', '快捷回复', '指标报表'];
  const ADMIN_NAV = ['工作台', '会话接待', '知识库', '客户档案', '组织架构', 'API 令牌', '制度管理', '审计日志', 'Webhook', '实时看板', '投诉处理', '投诉审核', '快捷回复', '指标报表'];
  const ADMIN_NAV_EN = ['Home', 'Workspace', 'Knowledge base', 'Customers', 'Organisation', 'API tokens', 'Policy', 'Audit log', 'Webhooks', 'Wallboard', 'Complaints', 'Complaint approvals', 'Canned replies', 'KPI reports'];

  it('O5 (issue 5 §2, §9): five wrong passwords lock the account and the login page says so', async () => {
    await run('O5 lockout', async ({ page, expectHttpError }) => {
      await openSignedOut(page, expectHttpError);
      expectHttpError(401, '/api/auth/login');
      expectHttpError(423, '/api/auth/login');
      const alert = page.getByTestId('login-error');
      for (let attempt = 1; attempt <= 4; attempt++) {
        expect((await signIn(page, 'agent2', `wrong-${attempt}`)).status()).toBe(401);
        await eventually(() => alert.innerText()).toContain('用户名或密码错误');
      }
      expect((await signIn(page, 'agent2', 'wrong-5')).status()).toBe(423);
      await eventually(() => alert.innerText()).toContain('账号已锁定');
      expect(await alert.innerText()).toMatch(/连续登录失败次数过多，账号已锁定，请 15 分钟后再试/);
      // The lock holds against the right password too, in the page and at the API.
      expect((await signIn(page, 'agent2')).status()).toBe(423);
      await eventually(() => alert.innerText()).toContain('账号已锁定');
      expect(page.url()).toMatch(/\/console\/login$/);
      expect((await http(kefu.server.url, 'POST', '/api/auth/login', { body: { username: 'agent2', password: DEMO_PASSWORD } })).body.error.code).toBe('auth.account_locked');
    });
  });

  it("O2: an agent's navigation lists only an agent's screens; the home page switches their status", async () => {
    await run('O2 agent navigation', async ({ page, expectHttpError }) => {
      await openSignedOut(page, expectHttpError);
      expect((await signIn(page, 'agent1')).status()).toBe(200);
      await page.waitForURL(/\/console\/?$/);
      await eventually(() => navItems(page)).toEqual(AGENT_NAV);
      for (const adminScreen of ['组织架构', '审计日志', 'Webhook', 'API 令牌', '制度管理', '实时看板']) expect(await navItems(page)).not.toContain(adminScreen);
      const status = page.getByTestId('my-status');
      await status.getByText('离开', { exact: true }).click();
      await eventually(() => status.locator('.ant-tag').innerText()).toBe('离开');
      const token = await loginOver(kefu.server.url, 'agent1', DEMO_PASSWORD);
      expect((await http(kefu.server.url, 'GET', '/api/agent-states/me', { token })).body.status).toBe('away');
      await expect(page.getByTestId('team-overview').count()).resolves.toBe(0);
      // An admin screen reached by its address answers like a page that does not exist.
      await page.goto('/console/api-tokens');
      await eventually(() => page.getByText('页面不存在').count()).toBe(1);
      expect(await navItems(page)).toEqual(AGENT_NAV);
    });
  });

  it("O2 / R1 / X3: an admin's navigation lists the admin screens, the home page gives a team overview, API tokens are made and revoked", async () => {
    await run('O2 admin navigation', async ({ page, expectHttpError }) => {
      await openSignedOut(page, expectHttpError);
      expect((await signIn(page, 'admin')).status()).toBe(200);
      await eventually(() => navItems(page)).toEqual(ADMIN_NAV);
      await eventually(() => page.getByTestId('team-overview').innerText()).toContain('队列');
      await page.getByRole('navigation').getByRole('link', { name: 'API 令牌' }).click();
      await page.waitForURL('**/console/api-tokens');
      await eventually(() => page.getByRole('heading', { name: 'API 令牌' }).count()).toBe(1);

      // X3: a token is created with its clear text shown once, works at the API, and is revoked from the list.
      await page.getByRole('button', { name: '新建令牌' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('名称').fill('工单系统对接');
      await dialog.getByRole('button', { name: '新建令牌' }).click();
      const shown = page.getByTestId('new-token');
      await eventually(() => shown.innerText()).toMatch(/^kefu_\S+/);
      const token = (await shown.innerText()).trim();
      expect((await http(kefu.server.url, 'GET', '/api/auth/me', { token })).body.username).toBe('admin');
      await page.getByRole('button', { name: '我已保存' }).click();
      const row = page.getByRole('row', { name: /工单系统对接/ });
      await row.getByRole('button', { name: /吊\s*销/ }).click();
      await page.getByRole('tooltip').getByRole('button', { name: /确\s*定|OK/ }).click();
      await eventually(() => row.getByText('已吊销').count()).toBe(1);
      expect((await http(kefu.server.url, 'GET', '/api/auth/me', { token })).status).toBe(401);
    });
  });

  it('X4: the language switch turns the UI to English and back, Ant Design included, and is kept across reloads', async () => {
    await run('X4 language switch', async ({ page, expectHttpError }) => {
      await openSignedOut(page, expectHttpError);
      expect((await signIn(page, 'admin')).status()).toBe(200);
      await eventually(() => navItems(page)).toEqual(ADMIN_NAV);

      await page.getByTestId('language-switch').click();
      await page.getByRole('menuitem', { name: 'English' }).click();
      await eventually(() => navItems(page)).toEqual(ADMIN_NAV_EN);
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      await page.reload();
      await eventually(() => navItems(page)).toEqual(ADMIN_NAV_EN);
      // Ant Design's own words follow: the dialog's cancel button.
      await page.getByRole('link', { name: 'API tokens' }).click();
      await page.getByRole('button', { name: 'New token' }).click();
      await eventually(() => page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).count()).toBe(1);
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

      await page.getByTestId('language-switch').click();
      await page.getByRole('menuitem', { name: '简体中文' }).click();
      await eventually(() => navItems(page)).toEqual(ADMIN_NAV);
      expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
      await page.getByRole('button', { name: '新建令牌' }).click();
      await eventually(() => page.getByRole('dialog').getByRole('button', { name: /取\s*消/ }).count()).toBe(1);
    });
  });

  it('O5: logout returns to the login page and the session is gone (the next /api call gets 401)', async () => {
    await run('O5 logout', async ({ page, expectHttpError }) => {
      await openSignedOut(page, expectHttpError);
      expect((await signIn(page, 'agent1')).status()).toBe(200);
      await eventually(() => navItems(page)).toEqual(AGENT_NAV);
      await eventually(() => page.getByTestId('my-status').locator('.ant-tag').count()).toBe(1);
      const cookie = (await page.context().cookies()).find((c) => c.name === 'kefu_session');
      expect(cookie?.httpOnly).toBe(true);

      await page.getByTestId('user-menu').click();
      await page.getByRole('menuitem', { name: '退出登录' }).click();
      await page.waitForURL('**/console/login');
      await eventually(() => page.getByText('您已退出登录').count()).toBe(1);

      // The browser holds no session any more, and the old token is revoked at the server.
      const status = await page.evaluate(async () => (await fetch('/api/auth/me')).status);
      expect(status).toBe(401);
      const old = await http(kefu.server.url, 'GET', '/api/auth/me', { token: cookie!.value });
      expect(old.status).toBe(401);
      expect(old.body.error.code).toBe('auth.session_revoked');
      // Back to a console page: the sign-in is asked for again.
      await page.goto('/console/');
      await page.waitForURL('**/console/login');
    });
  });
});
