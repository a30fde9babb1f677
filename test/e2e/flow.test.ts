import { expect, it } from 'vitest';
import { describeInBrowser } from '../support/browser.ts';
import { chooseOption, consoleSuite, eventually as poll, signIn } from '../support/console.ts';

/**
 * Issue 5 §9, the main flow end to end in Chromium against one real `kefu start` (call-center demo,
 * web chat on /demo/chat): a customer chats, an agent answers and resolves in the workspace, the
 * customer rates in the widget, and a manager finds that rating in the KPI dashboard. Each person
 * has their own browser context; nothing is reloaded, every change arrives live.
 */

describeInBrowser('main flow in Chromium', () => {
  const { runMany, api } = consoleSuite();

  /** Waits for the page to get there; the limit only guards against a hang on a busy machine. */
  const eventually = <T,>(read: () => T | Promise<T>) => poll(read, 30_000);

  /** The date in the organisation's time zone, as the dashboard's period is counted. */
  const orgToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());

  it('issue 5 §9 / CH2 CH5 S3 S4 R3: a web chat is answered live in the workspace, resolved, rated 5 by the customer, and the rating shows in the CSAT of the KPI dashboard', async () => {
    let conversationId = '';
    await runMany('main flow', ['customer', 'agent', 'manager'] as const, async ({ customer, agent, manager }) => {
      // The agent signs in, opens the workspace and goes online: routing gives them the next chat.
      await signIn(agent, 'agent1');
      await agent.page.getByRole('navigation').getByRole('link', { name: '会话接待' }).click();
      await agent.page.getByTestId('inbox-list').waitFor();
      await agent.page.getByTestId('agent-status').getByText('在线', { exact: true }).click();
      await eventually(() => agent.page.getByTestId('count-mine').innerText()).toBe('0');

      // The customer opens the shop's chat and writes.
      const widget = customer.page.getByRole('dialog', { name: '在线客服' });
      const chatLog = widget.getByRole('log', { name: '聊天记录' });
      await customer.page.goto('/demo/chat');
      await customer.page.getByRole('button', { name: '在线客服' }).click();
      await widget.getByRole('button', { name: '跳过' }).click();
      const composer = widget.getByRole('textbox', { name: '输入消息' });
      await composer.fill('你好，我想查询一下话费账单');
      await composer.press('Enter');
      await eventually(() => chatLog.getByText('发送中…').count()).toBe(0);

      // The conversation appears in the agent's inbox (their own chats) without a reload; the agent opens it.
      const row = agent.page.getByTestId('inbox-row');
      await eventually(() => agent.page.getByTestId('count-mine').innerText()).toBe('1');
      await eventually(() => row.count()).toBe(1);
      conversationId = (await row.getAttribute('data-conversation-id'))!;
      await row.click();
      const conversation = agent.page.locator(`[data-testid="conversation"][data-conversation-id="${conversationId}"]`);
      const messages = conversation.getByTestId('message-list');
      await eventually(() => messages.innerText()).toContain('你好，我想查询一下话费账单');
      const number = /#(\d+)/.exec(await conversation.getByRole('heading').first().innerText())![1]!;

      // The answer shows in the customer's widget as it is sent.
      const reply = conversation.getByTestId('reply-box').getByRole('textbox');
      await reply.fill('您好，您本月的话费账单已发送到您的手机，请查收');
      await reply.press('Control+Enter');
      await eventually(() => chatLog.getByText('您好，您本月的话费账单已发送到您的手机，请查收').count()).toBe(1);
      await eventually(() => conversation.getByTestId('conversation-status').innerText()).toBe('处理中');

      // The problem record the problem type requires, then resolve.
      await conversation.getByText('问题记录', { exact: true }).click();
      const intake = conversation.getByTestId('intake-form');
      await chooseOption(agent.page, intake.getByRole('combobox', { name: '问题类型' }), '客户咨询');
      await intake.getByLabel('问题描述').fill('客户查询本月话费账单');
      await intake.getByRole('button', { name: '保存问题记录' }).click();
      await eventually(() => conversation.locator('.ant-collapse-header').innerText()).toContain('客户咨询');
      await conversation.getByTestId('resolve').click();
      await eventually(() => conversation.getByTestId('conversation-status').innerText()).toBe('已解决');

      // The widget asks for the result and a rating: solved, 5 (very satisfied).
      const survey = widget.getByRole('region', { name: '服务评价' });
      await eventually(() => survey.getByRole('group', { name: '问题是否已解决？' }).isVisible()).toBe(true);
      await eventually(() => widget.locator('.kf-notice').innerText()).toContain('客服已将问题标记为已解决');
      await survey.getByRole('radio', { name: '已解决' }).check();
      await survey.getByRole('radio', { name: '5 分 非常满意' }).check();
      await survey.getByRole('button', { name: '提交评价' }).click();
      await eventually(() => survey.getByRole('status').innerText()).toBe('感谢您的评价！');
      // A solved rating closes the case (S3); the agent's open conversation follows live.
      await eventually(() => widget.locator('.kf-notice').innerText()).toContain('本次会话已结束');
      await eventually(() => conversation.getByTestId('conversation-status').innerText()).toBe('已关闭');

      // A manager (kpi.read_all) opens the dashboard on CSAT for today: the one rating, 5.
      await signIn(manager, 'manager1');
      await manager.page.getByRole('navigation').getByRole('link', { name: '指标报表' }).click();
      // The list is virtual (only what fits is rendered): search it as a user would.
      await manager.page.getByLabel('选择指标').fill('客户满意度（平均分）');
      await eventually(() => manager.page.locator('.ant-select-item-option').allInnerTexts()).toEqual(['客户满意度（平均分）']);
      await manager.page.keyboard.press('Enter');
      await eventually(() => manager.page.getByTestId('kpi-definition').innerText()).toContain('越高越好');
      const today = orgToday();
      await manager.page.locator('.ant-picker-range input').first().click();
      const todayCell = manager.page.locator(`.ant-picker-dropdown .ant-picker-cell-in-view[title="${today}"]`).first();
      await todayCell.click();
      await todayCell.click();
      await eventually(() => manager.page.locator('.ant-picker-range input').evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value))).toEqual([today, today]);
      const total = manager.page.getByTestId('kpi-total');
      await eventually(() => total.innerText()).toContain('5.00');
      await eventually(() => manager.page.getByText('分子 5 / 分母 1').count()).toBe(1);

      // The drill-down behind agent1's figure lists this conversation.
      const breakdown = manager.page.getByTestId('kpi-breakdown');
      await breakdown.getByRole('button', { name: '表格视图' }).click();
      await breakdown.getByRole('button', { name: '查看“张伟”背后的记录' }).click();
      const drawer = manager.page.getByRole('dialog');
      await eventually(() => drawer.innerText()).toContain('“张伟”背后的记录');
      await eventually(() => drawer.getByRole('link', { name: `#${number}` }).count()).toBe(1);
      expect(await drawer.getByTestId('kpi-drill').locator('tbody tr.ant-table-row').count()).toBe(1);
    });

    // What the server recorded: the rating came from the chat and counts in agent1's CSAT.
    expect(await api('manager1', 'GET', `/api/conversations/${conversationId}`)).toMatchObject({ channel: 'chat', status: 'closed' });
    const surveys = await api('manager1', 'GET', `/api/surveys?conversationId=${conversationId}`);
    expect(surveys.data).toHaveLength(1);
    expect(surveys.data[0]).toMatchObject({ via: 'chat', solved: true, csat: 5 });
  });
});
