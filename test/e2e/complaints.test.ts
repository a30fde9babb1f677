import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { inBrowser, launchChromium, noBrowser } from '../support/browser.ts';
import { http, kefuEnv, killAll, loginOver, removeTempDirs, startKefu, tempDataDir, type Server } from '../support/process.ts';
import { DEMO_PASSWORD } from '../support/kefu.ts';

/** Issue 5 (closed-loop screens): a complaint handler works a complaint from acceptance to closure in Chromium. */
if (noBrowser) console.warn(`test/e2e/complaints.test.ts: ${noBrowser}`);

describe.skipIf(noBrowser)('complaint handling in Chromium', () => {
  let server: Server;
  let browser: Browser;
  const run = (name: string, body: Parameters<typeof inBrowser>[3]) => inBrowser(browser, server.url, name, body);
  const eventually = <T,>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 20_000 });

  beforeAll(async () => {
    server = await startKefu(kefuEnv({ KEFU_DATA_DIR: tempDataDir(), KEFU_PRESET: 'call-center', KEFU_DEMO: 'true', KEFU_DEMO_PASSWORD: DEMO_PASSWORD }));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await killAll();
    removeTempDirs();
  });

  const api = async (as: string, method: string, url: string, body?: unknown) => {
    const res = await http(server.url, method, url, { token: await loginOver(server.url, as, DEMO_PASSWORD), body });
    expect(res.status, `${method} ${url}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
    return res.body;
  };

  async function signInAt({ page, expectHttpError }: { page: Page; expectHttpError: (s: number, p: string) => void }, path: string, username: string) {
    expectHttpError(401, '/api/auth/me');
    await page.goto('/console/login');
    await page.getByLabel('用户名').fill(username);
    await page.getByLabel('密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.waitForURL(/\/console\/?$/);
    await page.goto(`/console${path}`);
  }

  const pick = (page: Page, text: string) => page.locator('.ant-select-dropdown .ant-select-item-option').filter({ hasText: text }).first().click();
  /** A date-time typed into an antd picker in the browser's (this machine's) time zone. */
  const inDays = (days: number) => {
    const d = new Date(Date.now() + days * 86_400_000);
    const p = (n: number) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} 10:00`;
  };
  /** Types into a date-time picker and confirms in its panel (Enter would submit the whole form). */
  async function typeDate(page: Page, label: string, value: string) {
    await page.getByLabel(label).fill(value);
    await page.locator('.ant-picker-dropdown:visible .ant-picker-ok button').click();
    await eventually(() => page.getByLabel(label).inputValue()).toBe(value);
  }
  const status = (page: Page) => page.getByTestId('complaint-status').innerText();

  /** The chain of the call-center preset is service_operations → quality: manager1, then qa1. */
  async function approveAs(username: string, complaintId: string) {
    const pending = await api(username, 'GET', '/api/complaint-approvals?decision=pending');
    const step = (pending.data as Array<{ id: string; complaint: { id: string } }>).find((a) => a.complaint.id === complaintId);
    expect(step, `${username} has no pending step`).toBeDefined();
    await api(username, 'POST', `/api/complaint-approvals/${step!.id}/decisions`, { decision: 'approved', comment: '同意' });
  }

  it('issue 5 / CP1–CP4: a handler accepts, investigates, proposes, implements, revisits and closes a complaint in the console', async () => {
    const phone = '13900007001';
    const customer = await api('lead1', 'POST', '/api/customers', { kind: 'person', name: '郑女士', phones: [phone] });
    const conversation = await api('agent1', 'POST', '/api/conversations', { channel: 'chat', customerId: customer.id, subject: '打印机卡纸', assignToSelf: true });

    await run('CP complaint lifecycle', async (t) => {
      const { page } = t;
      await signInAt(t, '/complaints', 'agent1');
      await page.getByRole('button', { name: '受理投诉' }).click();
      await eventually(() => page.getByTestId('accept-form').count()).toBe(1);
      await eventually(() => page.getByText('非常抱歉给您带来不便').count()).toBe(1);

      // CP1: the required contact is left out; the server's error shows on that field.
      await page.getByLabel('客户').fill(phone);
      await pick(page, '郑女士');
      await eventually(() => page.getByLabel('投诉人').inputValue()).toBe('郑女士');
      await page.getByLabel('关联会话').click();
      await pick(page, `#${conversation.number}`);
      await page.getByLabel('渠道').click();
      await pick(page, '在线');
      await page.getByLabel('投诉事项').fill('维修后打印机仍然卡纸，要求更换');
      await page.getByLabel('类别').fill('产品质量');
      t.expectHttpError(400, '/api/complaints');
      await page.getByRole('button', { name: /受理投诉/ }).last().click();
      const contactError = page.locator('.ant-form-item').filter({ has: page.getByLabel('联系电话') }).locator('.ant-form-item-explain-error');
      await eventually(() => contactError.innerText()).toContain('contact');

      await page.getByLabel('联系电话').fill(phone);
      await page.getByRole('button', { name: /受理投诉/ }).last().click();
      await eventually(() => page.getByText(/已受理投诉 #\d+/).count()).toBe(1);
      expect(await page.getByTestId('apology').innerText()).toMatch(/已在关联会话中向客户发送致歉与承诺[\s\S]*非常抱歉给您带来不便/);
      await page.getByRole('button', { name: '打开投诉' }).click();
      await eventually(() => status(page)).toBe('已受理');
      const id = new URL(page.url()).searchParams.get('id')!;
      const accepted = await api('agent1', 'GET', `/api/complaints/${id}`);
      expect(accepted.apologySentAt).not.toBeNull();
      expect(accepted.category).toBe('产品质量');

      // CP2: the conversation linked as evidence, shown with a link to it.
      await page.getByLabel('记录', { exact: true }).click();
      await pick(page, `#${conversation.number}`);
      await page.getByRole('button', { name: '关联证据' }).click();
      await eventually(() => status(page)).toBe('调查中');
      await eventually(() => page.getByRole('link', { name: '查看' }).getAttribute('href')).toContain(`/workspace?c=${conversation.id}`);

      // CP3: the proposal starts the ordered approvals, made by the departments' staff.
      await page.getByLabel('解决方案').fill('上门更换搓纸轮并赠送一年保修');
      await page.getByLabel('约定处理方式').fill('上门维修');
      await typeDate(page, '约定完成时间', inDays(3));
      await page.getByRole('button', { name: '提交方案审核' }).click();
      await eventually(() => status(page)).toBe('方案审核中');
      await approveAs('manager1', id);
      await approveAs('qa1', id);
      await eventually(() => status(page)).toBe('方案已批准');

      // CP4: a task added and completed ends the implementation.
      await page.getByLabel('任务', { exact: true }).fill('上门更换搓纸轮');
      await typeDate(page, '到期时间', inDays(2));
      await page.getByRole('button', { name: '安排任务' }).click();
      await eventually(() => status(page)).toBe('实施中');
      await page.getByRole('button', { name: /^完\s*成$/ }).click();
      await page.getByLabel('处理结果').fill('已更换，测试打印 20 页无卡纸');
      await page.locator('.ant-modal').getByRole('button', { name: /^完\s*成$/ }).click();
      await eventually(() => status(page)).toBe('待回访');
      expect(await page.getByText('已更换，测试打印 20 页无卡纸').count()).toBe(1);

      // Revisit satisfied, then closure: the archived complaint offers no action any more.
      await page.getByRole('radio', { name: '满意', exact: true }).check();
      await page.getByLabel('回访记录').fill('客户确认已解决');
      await page.getByRole('button', { name: '记录回访' }).click();
      await page.getByRole('button', { name: /^结\s*案$/ }).click();
      await page.locator('.ant-modal-confirm').getByRole('button', { name: /^结\s*案$/ }).click();
      await eventually(() => status(page)).toBe('已结案');
      await eventually(() => page.getByText(/结案归档，只读/).count()).toBe(1);
      expect(await page.getByTestId('complaint-detail').getByRole('button').count()).toBe(0);
      expect(await page.getByTestId('complaint-detail').getByRole('textbox').count()).toBe(0);
    });
  }, 240_000);

  it('issue 5 / CP3: a rejected proposal is revised and resubmitted; a reader without complaints.manage gets no handling controls', async () => {
    const customer = await api('lead1', 'POST', '/api/customers', { kind: 'person', name: '钱先生', phones: ['13900007002'] });
    const created = await api('agent1', 'POST', '/api/complaints', { customerId: customer.id, complainantName: '钱先生', contact: '13900007002', channel: 'phone', matter: '退款迟迟未到账' });
    await api('agent1', 'PATCH', `/api/complaints/${created.id}`, { cause: '财务漏处理' });
    await api('agent1', 'POST', `/api/complaints/${created.id}/proposals`, { solution: '三日内退款', agreedMethod: '原路退款', agreedAt: new Date(Date.now() + 3 * 86_400_000).toISOString() });
    const pending = await api('manager1', 'GET', '/api/complaint-approvals?decision=pending');
    const step = (pending.data as Array<{ id: string; complaint: { id: string } }>).find((a) => a.complaint.id === created.id)!;
    await api('manager1', 'POST', `/api/complaint-approvals/${step.id}/decisions`, { decision: 'rejected', comment: '退款时限过长' });

    await run('CP3 revise', async (t) => {
      const { page } = t;
      await signInAt(t, `/complaints?id=${created.id}`, 'agent1');
      await eventually(() => status(page)).toBe('调查中');
      expect(await page.getByTestId('complaint-proposals').innerText()).toContain('退款时限过长');
      await eventually(() => page.getByLabel('解决方案').inputValue()).toBe('三日内退款');
      await page.getByLabel('解决方案').fill('当日退款并补偿 20 元');
      await typeDate(page, '约定完成时间', inDays(1));
      await page.getByRole('button', { name: '修订方案并重新提交' }).click();
      await eventually(() => status(page)).toBe('方案审核中');
      await eventually(() => page.getByTestId('proposal-2').innerText()).toContain('当日退款并补偿 20 元');
    });

    await run('CP reader only', async (t) => {
      const { page } = t;
      await signInAt(t, '/complaints', 'qa1');
      await eventually(() => page.getByRole('heading', { name: '投诉处理' }).count()).toBe(1);
      expect(await page.getByRole('button', { name: '受理投诉' }).count()).toBe(0);
      await page.goto(`/console/complaints?id=${created.id}`);
      await eventually(() => status(page)).toBe('方案审核中');
      expect(await page.getByTestId('evidence-form').count()).toBe(0);
      expect(await page.getByTestId('proposal-form').count()).toBe(0);
    });
  }, 180_000);
});
