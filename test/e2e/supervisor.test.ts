import { expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeInBrowser } from '../support/browser.ts';
import { consoleSuite, eventually, signInAt } from '../support/console.ts';

/** Issue 5 §4: the supervisor's live wallboard and complaint approvals, in Chromium against a real `kefu start`. */

describeInBrowser('supervisor screens in Chromium', () => {
  const { run, api } = consoleSuite();

  let phone = 13900005000;
  async function customer(): Promise<string> {
    return (await api('lead1', 'POST', '/api/customers', { kind: 'person', name: '周先生', phones: [String(phone++)] })).id;
  }

  const tileValue = (page: Page, id: string) => page.getByTestId(`${id}-value`).innerText();

  it('issue 5 §4 / R1 / X2: the wallboard counts a new conversation and an agent going away without a reload', async () => {
    await run('R1 wallboard live', async (t) => {
      const { page } = t;
      await signInAt(t, '/wallboard', 'manager1');
      await eventually(() => page.getByRole('heading', { name: '实时看板' }).count()).toBe(1);
      await eventually(() => page.getByTestId('wallboard-waiting-value').count()).toBe(1);
      const before = Number(await tileValue(page, 'wallboard-waiting'));
      await eventually(() => page.getByTestId('wallboard-service-level').innerText()).toMatch(/秒内接听/);

      // Nobody is online, so a chat created now waits in the queue.
      await api('lead1', 'POST', '/api/conversations', { channel: 'chat', customerId: await customer(), message: { body: '你好，快递一直没到' } });
      await eventually(() => tileValue(page, 'wallboard-waiting')).toBe(String(before + 1));
      await eventually(() => page.getByTestId('wallboard-longest-value').innerText()).toMatch(/^\d+:\d{2}$/);

      await api('agent2', 'PUT', '/api/agent-states/me', { status: 'online' });
      await eventually(() => page.getByTestId('wallboard-agents-online').innerText()).toContain('刘洋');
      const online = Number(await tileValue(page, 'wallboard-agents-online'));
      const away = Number(await tileValue(page, 'wallboard-agents-away'));
      await api('agent2', 'PUT', '/api/agent-states/me', { status: 'away' });
      await eventually(() => page.getByTestId('wallboard-agents-away').innerText()).toContain('刘洋');
      expect(await page.getByTestId('wallboard-agents-online').innerText()).not.toContain('刘洋');
      expect(Number(await tileValue(page, 'wallboard-agents-online'))).toBe(online - 1);
      expect(Number(await tileValue(page, 'wallboard-agents-away'))).toBe(away + 1);
    });
  });

  /** A complaint with a proposal awaiting the chain service_operations → quality (call-center preset), submitted by agent1. */
  async function proposedComplaint(): Promise<{ id: string; number: number }> {
    const created = await api('agent1', 'POST', '/api/complaints', {
      customerId: await customer(),
      complainantName: '周先生',
      contact: '13900006000',
      channel: 'phone',
      matter: '维修后打印机仍然卡纸，要求更换',
    });
    await api('agent1', 'PATCH', `/api/complaints/${created.id}`, { cause: '维修未更换搓纸轮' });
    await api('agent1', 'POST', `/api/complaints/${created.id}/proposals`, {
      solution: '上门更换搓纸轮并赠送一年保修',
      agreedMethod: '上门维修',
      agreedAt: new Date(Date.now() + 3 * 86_400_000).toISOString(),
    });
    return created;
  }

  it('issue 5 §4 / CP3: only the department whose turn it is can approve; its approval advances the step on screen', async () => {
    const complaint = await proposedComplaint();
    const approve = (page: Page) => page.getByRole('button', { name: /^通\s*过$/ });

    // Quality approves second: while service operations has not decided, QA sees the step and no button.
    await run('CP3 other department', async (t) => {
      const { page } = t;
      await signInAt(t, `/complaints?id=${complaint.id}`, 'qa1');
      await eventually(() => page.getByTestId('approval-step-1').count()).toBe(1);
      await eventually(() => page.getByTestId('complaint-status').innerText()).toBe('方案审核中');
      expect(await page.getByTestId('complaint-proposals').innerText()).toMatch(/第 1 级：服务运营部\s*待审核[\s\S]*第 2 级：质检部\s*等待前一级/);
      expect(await approve(page).count()).toBe(0);
      expect(await page.getByTestId('approval-decision').count()).toBe(0);
    });

    await run('CP3 approving department', async (t) => {
      const { page } = t;
      await signInAt(t, `/complaints?id=${complaint.id}`, 'manager1');
      await eventually(() => approve(page).count()).toBe(1);
      await page.getByLabel('审核意见').fill('同意更换方案');
      await approve(page).click();
      await eventually(() => page.getByTestId('complaint-proposals').innerText()).toMatch(/第 1 级：服务运营部\s*通过[\s\S]*同意更换方案[\s\S]*第 2 级：质检部\s*待审核/);
      // Not manager1's department for step 2: no button is offered any more.
      expect(await approve(page).count()).toBe(0);
    });
    const detail = await api('qa1', 'GET', `/api/complaints/${complaint.id}`);
    expect(detail.proposals[0].approvals.map((a: { decision: string }) => a.decision)).toEqual(['approved', 'pending']);
  });
});
