import { beforeAll, expect, it } from 'vitest';
import { describeInBrowser, type BrowserTest } from '../support/browser.ts';
import { consoleSuite, eventually, signIn } from '../support/console.ts';

/** Issue 5 §7 / R3: the KPI dashboards in Chromium against a real `kefu start`, on figures seeded through the API. */

describeInBrowser('KPI dashboards in Chromium', () => {
  const { run, api } = consoleSuite();
  /** The conversation numbers each agent's rated case got. */
  const rated: Record<string, number> = {};

  /** A phone case the agent takes, resolves and gets rated on (one customer each, so every rating counts, S4). */
  async function ratedCase(agent: string, phone: string, csat: number): Promise<number> {
    const customer = await api('lead1', 'POST', '/api/customers', { kind: 'person', name: '吴女士', phones: [phone] });
    const conv = await api(agent, 'POST', '/api/conversations', { channel: 'phone', customerId: customer.id, subject: '咨询话费', assignToSelf: true });
    await api(agent, 'PATCH', `/api/conversations/${conv.id}`, { problemType: 'consultation', intake: { problemDescription: '咨询话费' } });
    await api(agent, 'POST', `/api/conversations/${conv.id}/status`, { status: 'resolved' });
    const [survey] = (await api(agent, 'GET', `/api/surveys?conversationId=${conv.id}`)).data;
    await api(agent, 'POST', `/api/surveys/${survey.id}/responses`, { csat });
    return conv.number;
  }

  beforeAll(async () => {
    rated['张伟'] = await ratedCase('agent1', '13900007001', 5);
    rated['刘洋'] = await ratedCase('agent2', '13900007002', 2);
  });

  async function openCsat(t: BrowserTest) {
    const { page } = t;
    await signIn(t, 'qa1');
    await page.getByRole('navigation').getByRole('link', { name: '指标报表' }).click();
    // The list is virtual (only what fits is rendered): search it as a user would.
    await page.getByLabel('选择指标').fill('客户满意度（平均分）');
    await eventually(() => page.locator('.ant-select-item-option').allInnerTexts()).toEqual(['客户满意度（平均分）']);
    await page.keyboard.press('Enter');
    await eventually(() => page.getByTestId('kpi-definition').innerText()).toContain('越高越好');
  }

  it('issue 5 §7 / R3: the CSAT shown is the API\'s, with its definition; the breakdown is drawn on a canvas', async () => {
    const values = await api('qa1', 'GET', '/api/kpis/csat/values?groupBy=agent');
    expect(values.total).toMatchObject({ value: 3.5, denominator: 2 });
    await run('R3 CSAT total', async (t) => {
      await openCsat(t);
      const { page } = t;
      await eventually(() => page.getByTestId('kpi-total').innerText()).toContain(values.total.value.toFixed(2));
      const definition = await page.getByTestId('kpi-definition').innerText();
      expect(definition).toContain('分（1–5）');
      expect(definition).toContain('有效评价的满意度平均分');
      await eventually(() => page.getByTestId('kpi-breakdown').locator('canvas').count()).toBe(1);
      await eventually(() => page.getByTestId('kpi-trend').locator('canvas').count()).toBe(1);
    });
  });

  it('issue 5 §7: clicking a bar lists the conversations behind it, linked to the workspace', async () => {
    const { rows } = await api('qa1', 'GET', '/api/kpis/csat/values?groupBy=agent');
    const first = rows[0] as { label: string };
    await run('R3 bar drill-down', async (t) => {
      await openCsat(t);
      const { page } = t;
      const canvas = page.getByTestId('kpi-breakdown').locator('canvas');
      await eventually(() => canvas.count()).toBe(1);
      // Two bars side by side: the middle of the left half of the plot is the first one.
      const box = (await canvas.boundingBox())!;
      const plotLeft = 56;
      const plotRight = box.width - 24;
      await canvas.click({ position: { x: plotLeft + (plotRight - plotLeft) / 4, y: box.height / 2 } });
      const drawer = page.getByRole('dialog');
      await eventually(() => drawer.innerText()).toContain(`“${first.label}”背后的记录`);
      const link = drawer.getByRole('link', { name: `#${rated[first.label]}` });
      await eventually(() => link.count()).toBe(1);
      expect(await drawer.getByTestId('kpi-drill').locator('tbody tr.ant-table-row').count()).toBe(1);
      expect(await link.getAttribute('href')).toMatch(/\/console\/workspace\?c=[0-9a-f-]{36}$/);
    });
  });

  it('issue 5 §7 / §10: the same breakdown as a table, each figure a button that drills down', async () => {
    await run('R3 table drill-down', async (t) => {
      await openCsat(t);
      const { page } = t;
      const card = page.getByTestId('kpi-breakdown');
      await card.getByRole('button', { name: '表格视图' }).click();
      await eventually(() => card.getByRole('row').count()).toBe(3);
      await card.getByRole('button', { name: '查看“刘洋”背后的记录' }).focus();
      await page.keyboard.press('Enter');
      const drawer = page.getByRole('dialog');
      await eventually(() => drawer.getByRole('link', { name: `#${rated['刘洋']}` }).count()).toBe(1);
      expect(await drawer.getByRole('link', { name: `#${rated['张伟']}` }).count()).toBe(0);
    });
  });
});
