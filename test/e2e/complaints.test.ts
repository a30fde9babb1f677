import { expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeInBrowser } from '../support/browser.ts';
import { chooseOption, consoleSuite, eventually, signInAt, typeDateTime } from '../support/console.ts';

/** Issue 5 (closed-loop screens): a complaint handler works a complaint from acceptance to closure in Chromium. */

describeInBrowser('complaint handling in Chromium', () => {
  const { run, api } = consoleSuite();

  /** A date-time typed into an antd picker in the browser's (this machine's) time zone. */
  const inDays = (days: number) => {
    const d = new Date(Date.now() + days * 86_400_000);
    const p = (n: number) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} 10:00`;
  };
  const typeDate = (page: Page, label: string, value: string) => typeDateTime(page, page.getByLabel(label), value);
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
      await chooseOption(page, page.getByLabel('客户'), '郑女士', { search: phone });
      await eventually(() => page.getByLabel('投诉人').inputValue()).toBe('郑女士');
      await chooseOption(page, page.getByLabel('关联会话'), `#${conversation.number}`);
      await chooseOption(page, page.getByLabel('渠道'), '在线');
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
      await chooseOption(page, page.getByLabel('记录', { exact: true }), `#${conversation.number}`);
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

  let phone = 13900007100;
  /** A complaint just accepted by agent1, by phone. */
  async function accepted(matter: string): Promise<{ id: string; contact: string }> {
    const contact = String(phone++);
    const customer = await api('lead1', 'POST', '/api/customers', { kind: 'person', name: '孔先生', phones: [contact] });
    const created = await api('agent1', 'POST', '/api/complaints', { customerId: customer.id, complainantName: '孔先生', contact, channel: 'phone', matter });
    return { id: created.id, contact };
  }
  const staffId = async (username: string): Promise<string> => (await api(username, 'GET', '/api/auth/me')).id;
  const fieldError = (page: Page, label: string) => page.locator('.ant-form-item').filter({ has: page.getByLabel(label, { exact: true }) }).locator('.ant-form-item-explain-error');

  it('issue 5 / CP5: a handler records the cause and attribution, which start the investigation and are there after a reload', async () => {
    const complaint = await accepted('安装师傅迟到三小时且态度恶劣');
    await run('CP5 findings', async (t) => {
      const { page } = t;
      await signInAt(t, `/complaints?id=${complaint.id}`, 'agent1');
      await eventually(() => status(page)).toBe('已受理');
      await page.getByLabel('原因', { exact: true }).fill('派单冲突，师傅未提前告知');
      await chooseOption(page, page.getByLabel('归责员工'), '刘洋', { search: '刘洋' });
      await page.getByLabel('归责说明').fill('调度员未按流程通知客户改约');
      await page.getByRole('button', { name: '保存原因与归责' }).click();
      await eventually(() => status(page)).toBe('调查中');

      await page.reload();
      await eventually(() => page.getByLabel('原因', { exact: true }).inputValue()).toBe('派单冲突，师傅未提前告知');
      expect(await page.getByLabel('归责说明').inputValue()).toBe('调度员未按流程通知客户改约');
      await eventually(() => page.getByTestId('findings-form').innerText()).toContain('刘洋');
    });
    expect(await api('qa1', 'GET', `/api/complaints/${complaint.id}`)).toMatchObject({
      status: 'investigating',
      cause: '派单冲突，师傅未提前告知',
      attributedStaffId: await staffId('agent2'),
      attributionNote: '调度员未按流程通知客户改约',
    });
  }, 120_000);

  it('issue 5 / CP1: the owner is handed to a colleague; the server refuses a partner-department member, on the field', async () => {
    const complaint = await accepted('空调外机噪音大，多次报修无果');
    await run('CP owner', async (t) => {
      const { page } = t;
      await signInAt(t, `/complaints?id=${complaint.id}`, 'agent1');
      await eventually(() => page.getByTestId('complaint-owner').innerText()).toBe('张伟');
      await chooseOption(page, page.getByLabel('投诉负责人'), '孙丽', { search: '孙丽' });
      t.expectHttpError(400, `/api/complaints/${complaint.id}`);
      await page.getByRole('button', { name: '更换负责人' }).click();
      await eventually(() => fieldError(page, '投诉负责人').innerText()).toBe('员工不存在或已停用');

      await chooseOption(page, page.getByLabel('投诉负责人'), '刘洋', { search: '刘洋' });
      await page.getByRole('button', { name: '更换负责人' }).click();
      await eventually(() => page.getByTestId('complaint-owner').innerText()).toBe('刘洋');
    });
    expect((await api('agent2', 'GET', `/api/complaints/${complaint.id}`)).ownerId).toBe(await staffId('agent2'));
  }, 120_000);

  it('issue 5 / CP1 / C4: a team lead reveals the masked contact after giving a reason, and the reveal is audited', async () => {
    const complaint = await accepted('退货运费被重复扣款');
    const masked = `${complaint.contact.slice(0, 3)}****${complaint.contact.slice(-4)}`;
    await run('CP reveal contact', async (t) => {
      const { page } = t;
      await signInAt(t, `/complaints?id=${complaint.id}`, 'lead1');
      await eventually(() => page.getByTestId('masked-contact').innerText()).toBe(masked);
      await page.getByRole('button', { name: '查看原文：联系电话' }).click();
      const dialog = page.getByRole('dialog');
      const ok = dialog.getByRole('button', { name: /^查\s*看$/ });
      // No reason, no reveal: the dialog's button waits for one.
      expect(await ok.isDisabled()).toBe(true);
      await dialog.getByLabel('查看原因').fill('回访客户确认退款结果');
      await ok.click();
      await eventually(() => page.getByTestId('clear-contact').innerText()).toContain(complaint.contact);
    });
    const audit = await api('manager1', 'GET', `/api/audit?entityType=complaint&entityId=${complaint.id}&action=reveal`);
    expect(audit.data).toHaveLength(1);
    expect(audit.data[0]).toMatchObject({ actorName: '李强', after: { field: 'contact' }, reason: '回访客户确认退款结果' });
  }, 120_000);
});
