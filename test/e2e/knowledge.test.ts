import fs from 'node:fs';
import { expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeInBrowser } from '../support/browser.ts';
import { chooseOption, consoleSuite, eventually, navItems, signIn, signInAt } from '../support/console.ts';

/** Issue 6 / K1–K2: the knowledge base screens in Chromium against a real `kefu start`. */

describeInBrowser('knowledge base in Chromium', () => {
  const { run, runMany, api } = consoleSuite();

  const dialog = (page: Page) => page.getByRole('dialog');
  const save = (page: Page) => dialog(page).getByRole('button', { name: /^保\s*存$/ });
  const openVersion = (page: Page) => page.getByTestId('kb-open-version');

  const choose = (page: Page, label: string, option: string) => chooseOption(page, dialog(page).getByLabel(label, { exact: true }), option);

  async function search(page: Page, q: string) {
    await page.getByLabel('搜索知识库').fill(q);
    await page.getByLabel('搜索知识库').press('Enter');
  }

  it('K1/K2: an agent writes an article, a team lead rejects it with a comment, the agent fixes it, the lead publishes it, and another agent finds it in Traditional Chinese', async () => {
    let articleUrl = '';
    await run('K1 agent writes', async (t) => {
      const { page } = t;
      await signInAt(t, '/knowledge', 'agent1');
      await page.getByRole('button', { name: '新建文章' }).click();
      await eventually(() => dialog(page).getByLabel('类型', { exact: true }).count()).toBe(1);
      await page.getByLabel('标题').fill('七天无理由退货流程');
      await page.getByLabel('正文').fill('客户签收后七天内可申请退货。\n商品需保持完好。');
      await page.getByLabel('修订说明').fill('初稿');
      await save(page).click();
      await page.waitForURL(/\/console\/knowledge\?id=/);
      articleUrl = new URL(page.url()).pathname + new URL(page.url()).search;
      await eventually(() => openVersion(page).innerText()).toContain('草稿');
      expect(await page.getByText('尚未发布').count()).toBe(1);
      await openVersion(page).getByRole('button', { name: '提交审核' }).click();
      await eventually(() => openVersion(page).innerText()).toContain('审核中');
    });

    await run('K1 lead rejects', async (t) => {
      const { page } = t;
      await signInAt(t, '/knowledge', 'lead1');
      await page.getByRole('tab', { name: '待审核' }).click();
      const row = page.getByTestId('kb-review').locator('tr.ant-table-row').filter({ hasText: '七天无理由退货流程' });
      await eventually(() => row.count()).toBe(1);
      await row.getByRole('link', { name: '七天无理由退货流程' }).click();
      await openVersion(page).getByRole('button', { name: /^驳\s*回$/ }).click();
      // The comment is required: saving without it keeps the dialog open with the field's message.
      await save(page).click();
      await eventually(() => dialog(page).getByText('驳回时请填写意见').count()).toBe(1);
      await dialog(page).getByLabel('审核意见').fill('请补充退货运费由谁承担');
      await save(page).click();
      await eventually(() => openVersion(page).innerText()).toContain('草稿');
    });

    await run('K1 agent fixes', async (t) => {
      const { page } = t;
      await signIn(t, 'agent1');
      await page.goto(articleUrl);
      await eventually(() => page.getByTestId('kb-rejection').innerText()).toContain('请补充退货运费由谁承担');
      await openVersion(page).getByRole('button', { name: '编辑草稿' }).click();
      await eventually(() => page.getByLabel('正文').inputValue()).toContain('七天内');
      await page.getByLabel('正文').fill('客户签收后七天内可申请退货。\n商品需保持完好，质量问题的退货运费由我方承担。');
      await save(page).click();
      await eventually(() => openVersion(page).innerText()).toContain('质量问题的退货运费由我方承担');
      await openVersion(page).getByRole('button', { name: '提交审核' }).click();
      await eventually(() => openVersion(page).innerText()).toContain('审核中');
    });

    await run('K1 lead approves', async (t) => {
      const { page } = t;
      await signIn(t, 'lead1');
      await page.goto(articleUrl);
      await openVersion(page).getByRole('button', { name: '通过并发布' }).click();
      await eventually(() => page.getByTestId('kb-published').innerText()).toContain('质量问题的退货运费由我方承担');
      expect(await openVersion(page).count()).toBe(0);
      expect(await page.getByTestId('kb-history').innerText()).toMatch(/v1[\s\S]*已发布/);
    });

    await run('K2 agent2 finds it', async (t) => {
      const { page } = t;
      await signInAt(t, '/knowledge', 'agent2');
      await search(page, '退貨');
      const results = page.getByTestId('kb-results');
      await eventually(() => results.innerText()).toContain('七天无理由退货流程');
      expect(await results.innerText()).toMatch(/KB-\d+/);
      expect(await results.locator('mark').first().innerText()).toBe('退货');
      expect(await page.getByTestId('kb-partial').count()).toBe(0);
      // A word no article has: the results with some of the words come with a note saying so.
      await search(page, '退貨 火箭');
      await eventually(() => page.getByTestId('kb-partial').innerText()).toContain('没有完全匹配，以下结果包含部分关键词');
      expect(await results.innerText()).toContain('七天无理由退货流程');
      await search(page, '退貨');
      await eventually(() => page.getByTestId('kb-partial').count()).toBe(0);
      await results.getByRole('link', { name: '七天无理由退货流程' }).click();
      await eventually(() => page.getByTestId('kb-published').innerText()).toContain('商品需保持完好');
    });
  }, 240_000);

  it('K1: a second version of a published article shows the changed words against the first', async () => {
    const article: { id: string } = await api('agent1', 'POST', '/api/knowledge-articles', { type: 'manual', visibility: 'public', title: '电视机壁挂安装', body: '安装师傅在预约后三天内上门。' });
    await api('agent1', 'POST', `/api/knowledge-articles/${article.id}/versions/1/submissions`);
    await api('lead1', 'POST', `/api/knowledge-articles/${article.id}/versions/1/reviews`, { decision: 'approve' });
    await run('K1 diff', async (t) => {
      const { page } = t;
      await signInAt(t, `/knowledge?id=${article.id}`, 'agent2');
      await page.getByRole('button', { name: '起草新版本' }).click();
      await eventually(() => page.getByLabel('正文').inputValue()).toBe('安装师傅在预约后三天内上门。');
      await page.getByLabel('正文').fill('安装师傅在预约后两天内上门。');
      await save(page).click();
      await eventually(() => openVersion(page).innerText()).toContain('两天内');
      // Readers still see the published version meanwhile.
      expect(await page.getByTestId('kb-published').innerText()).toContain('三天内');
      await page.getByRole('button', { name: '与上一版对比 v2' }).click();
      const diff = page.getByTestId('kb-diff');
      // Words, not characters: jieba's "三天内" is replaced as a whole.
      await eventually(() => diff.locator('ins').allInnerTexts()).toEqual([expect.stringContaining('两天')]);
      expect(await diff.locator('del').allInnerTexts()).toEqual([expect.stringContaining('三天')]);
      expect(await diff.innerText()).toContain('安装师傅在预约后');
    });
  }, 120_000);

  it("K2: a search that finds nothing shows the empty state and is listed in the lead's knowledge gaps, ready to be written", async () => {
    await run('K2 empty search', async (t) => {
      const { page } = t;
      await signInAt(t, '/knowledge', 'agent1');
      await search(page, '量子纠缠保修');
      await eventually(() => page.getByTestId('kb-empty').innerText()).toContain('没有找到相关文章');
    });
    await run('K2 gaps', async (t) => {
      const { page } = t;
      await signInAt(t, '/knowledge?tab=gaps', 'lead1');
      const row = page.getByTestId('kb-gaps').locator('tr.ant-table-row').filter({ hasText: '量子纠缠保修' });
      await eventually(() => row.count()).toBe(1);
      await row.getByRole('button', { name: '写一篇' }).click();
      await eventually(() => dialog(page).getByLabel('标题').inputValue()).toBe('量子纠缠保修');
    });
  }, 120_000);

  it('K1: a reviewer keeps two levels of categories, files and publishes an article under one, and archives it with a reason so search no longer finds it', async () => {
    const article: { id: string } = await api('agent1', 'POST', '/api/knowledge-articles', { type: 'article', visibility: 'internal', title: '空调加氟收费标准', body: '保修期内加氟免费，保修期外按次收费。' });
    await api('agent1', 'POST', `/api/knowledge-articles/${article.id}/versions/1/submissions`);
    await api('lead1', 'POST', `/api/knowledge-articles/${article.id}/versions/1/reviews`, { decision: 'approve' });
    await run('K1 categories and archive', async (t) => {
      const { page } = t;
      await signInAt(t, '/knowledge?tab=categories', 'lead1');
      await page.getByRole('button', { name: '新建分类' }).click();
      await dialog(page).getByLabel('名称').fill('售后服务');
      await save(page).click();
      const categories = page.getByTestId('kb-categories');
      await eventually(() => categories.innerText()).toContain('售后服务');
      await page.getByRole('button', { name: '新建分类' }).click();
      await dialog(page).getByLabel('名称').fill('空调维修');
      await choose(page, '上级分类', '售后服务');
      await save(page).click();
      await eventually(() => categories.innerText()).toContain('售后服务 / 空调维修');

      await page.goto(`/console/knowledge?id=${article.id}`);
      await page.getByRole('button', { name: '修改属性' }).click();
      await choose(page, '分类', '售后服务 / 空调维修');
      await choose(page, '可见范围', '对客户公开');
      await save(page).click();
      await eventually(() => page.locator('.ant-descriptions').innerText()).toContain('售后服务 / 空调维修');
      expect(await page.getByText('对客户公开').count()).toBe(1);

      await page.getByRole('button', { name: /^归\s*档$/ }).click();
      await save(page).click();
      await eventually(() => dialog(page).getByText('请填写归档原因').count()).toBe(1);
      await dialog(page).getByLabel('归档原因').fill('收费标准已并入新版服务手册');
      await save(page).click();
      await eventually(() => page.getByText('本文已于').count()).toBe(1);
      expect(await page.getByRole('button', { name: '修改属性' }).count()).toBe(0);

      await page.goto('/console/knowledge');
      await search(page, '加氟');
      await eventually(() => page.getByTestId('kb-empty').count()).toBe(1);
      await page.getByRole('tab', { name: '全部文章' }).click();
      // The list's own filter: the search tab has one labelled alike until the switch (a router transition) renders.
      await chooseOption(page, page.locator('#kb-list-category'), '售后服务 / 空调维修');
      const rows = page.getByTestId('kb-list').locator('tr.ant-table-row');
      await eventually(() => rows.allInnerTexts()).toEqual([expect.stringMatching(/空调加氟收费标准[\s\S]*已归档/)]);
    });
  }, 120_000);

  it('K1: a reviewer attaches files to a published article, readers download them, a refused file says why, a deleted one is gone; an agent sees the files but cannot change them', async () => {
    const article: { id: string } = await api('agent1', 'POST', '/api/knowledge-articles', { type: 'manual', visibility: 'internal', title: '扫地机器人使用手册', body: '详见附件。' });
    await api('agent1', 'POST', `/api/knowledge-articles/${article.id}/versions/1/submissions`);
    await api('lead1', 'POST', `/api/knowledge-articles/${article.id}/versions/1/reviews`, { decision: 'approve' });
    const manual = '第一章 开箱与充电';
    const files = (page: Page) => page.getByTestId('kb-attachments');
    const rows = (page: Page) => files(page).locator('tr.ant-table-row');
    async function attach(page: Page, file: { name: string; mimeType: string; buffer: Buffer }) {
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), files(page).getByRole('button', { name: '上传附件' }).click()]);
      await chooser.setFiles(file);
    }

    await run('K1 reviewer attaches', async (t) => {
      const { page } = t;
      await signInAt(t, `/knowledge?id=${article.id}`, 'lead1');
      await eventually(() => files(page).innerText()).toContain('暂无附件');
      await attach(page, { name: '使用手册.txt', mimeType: 'text/plain', buffer: Buffer.from(manual) });
      await eventually(() => rows(page).allInnerTexts()).toEqual([expect.stringMatching(new RegExp(`使用手册\\.txt \\(${Buffer.byteLength(manual)} B\\)[\\s\\S]*李强`))]);
      const link = files(page).getByRole('link', { name: /使用手册\.txt/ });
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      expect(download.suggestedFilename()).toBe('使用手册.txt');
      expect(fs.readFileSync(await download.path(), 'utf8')).toBe(manual);

      // A file the server does not take: its reason is shown, nothing is listed.
      t.expectHttpError(415, `/api/knowledge-articles/${article.id}/attachments`);
      await attach(page, { name: '固件.bin', mimeType: 'application/octet-stream', buffer: Buffer.from([0, 1, 2, 3, 255, 254]) });
      await eventually(() => page.locator('.ant-message').innerText()).toContain('固件.bin 上传失败：不支持的文件类型 application/octet-stream');
      expect(await rows(page).count()).toBe(1);

      await attach(page, { name: '旧版说明.txt', mimeType: 'text/plain', buffer: Buffer.from('已停用') });
      await eventually(() => rows(page).count()).toBe(2);
      await files(page).getByRole('button', { name: '删除附件 旧版说明.txt' }).click();
      await page.locator('.ant-popconfirm').getByRole('button', { name: /^确\s*定$/ }).click();
      await eventually(() => rows(page).allInnerTexts()).toEqual([expect.stringContaining('使用手册.txt')]);
    });

    await run('K1 agent reads the files', async (t) => {
      const { page } = t;
      await signInAt(t, `/knowledge?id=${article.id}`, 'agent2');
      await eventually(() => rows(page).allInnerTexts()).toEqual([expect.stringContaining('使用手册.txt')]);
      expect(await files(page).getByRole('button').count()).toBe(0);
    });
  }, 120_000);

  it('K1: a customer answers "这篇文章有帮助吗？" in the help centre, changing their mind once; the article\'s page in the console shows the reading and the answer', async () => {
    const article: { id: string } = await api('agent1', 'POST', '/api/knowledge-articles', { type: 'article', visibility: 'public', title: '电子发票怎么下载', body: '订单完成后，在订单详情页点击“下载发票”。' });
    await api('agent1', 'POST', `/api/knowledge-articles/${article.id}/versions/1/submissions`);
    await api('lead1', 'POST', `/api/knowledge-articles/${article.id}/versions/1/reviews`, { decision: 'approve' });
    const { number } = await api('agent1', 'GET', `/api/knowledge-articles/${article.id}`);

    await run('K1 help centre feedback', async ({ page }) => {
      await page.goto(`/help/articles/${number}`);
      const ask = page.getByRole('group', { name: '这篇文章有帮助吗？' });
      await eventually(() => ask.isVisible()).toBe(true);
      await ask.getByRole('button', { name: '没帮助' }).click();
      await eventually(() => ask.getByRole('status').innerText()).toBe('感谢您的反馈！');
      await ask.getByRole('button', { name: '有帮助' }).click();
      await eventually(() => ask.getByRole('button', { name: '有帮助' }).getAttribute('aria-pressed')).toBe('true');
      expect(await ask.getByRole('button', { name: '没帮助' }).getAttribute('aria-pressed')).toBe('false');
    });

    await run('K1 readers in the console', async (t) => {
      const { page } = t;
      await signInAt(t, `/knowledge?id=${article.id}`, 'agent2');
      const readers = page.getByTestId('kb-readers');
      await eventually(() => readers.innerText()).toMatch(/浏览次数\s*1\s*近 30 天 1 次[\s\S]*有帮助\s*1\s*没帮助\s*0\s*有帮助占比\s*100%/);
    });
  }, 120_000);

  it('K1: the reviewer\'s bell counts a submitted version live, leads to the article to approve it, and the author\'s bell and open article show the publication without a reload', async () => {
    await runMany('K1 notifications', ['author', 'reviewer'] as const, async ({ author, reviewer }) => {
      const bell = (page: Page) => page.getByTestId('notification-bell');
      const list = (page: Page) => page.getByTestId('notification-list');
      // Earlier tests left notifications: each starts from none unread, with 全部已读.
      async function readAll(page: Page) {
        await bell(page).click();
        await eventually(() => list(page).isVisible()).toBe(true);
        const button = list(page).getByRole('button', { name: '全部已读' });
        if (await button.isEnabled()) await button.click();
        await eventually(() => bell(page).getAttribute('aria-label')).toBe('通知');
        await page.keyboard.press('Escape');
        await eventually(() => list(page).isVisible()).toBe(false);
      }

      await signIn(reviewer, 'lead1');
      await readAll(reviewer.page);
      await signInAt(author, '/knowledge', 'agent1');
      await readAll(author.page);
      const a = author.page;
      await a.getByRole('button', { name: '新建文章' }).click();
      await a.getByLabel('标题').fill('以旧换新补贴说明');
      await a.getByLabel('正文').fill('旧机折价后，补贴在下单时直接抵扣。');
      await save(a).click();
      await a.waitForURL(/\/console\/knowledge\?id=/);
      const articleUrl = new URL(a.url()).search;
      await a.evaluate(() => Object.assign(window, { stillTheSamePage: true }));
      await openVersion(a).getByRole('button', { name: '提交审核' }).click();
      await eventually(() => openVersion(a).innerText()).toContain('审核中');

      // The reviewer, on the console's home all along, is told at once.
      const r = reviewer.page;
      await eventually(() => bell(r).getAttribute('aria-label')).toBe('通知，1 条未读');
      // From the keyboard: the bell opens the list with the newest notification focused.
      await bell(r).focus();
      await r.keyboard.press('Enter');
      const item = list(r).locator('li').first();
      await eventually(() => item.innerText()).toMatch(/未读[\s\S]*知识文章 KB-\d+ 待审核[\s\S]*第 1 版「以旧换新补贴说明」已提交审核/);
      await eventually(() => r.evaluate(() => document.activeElement?.closest('li')?.innerText ?? '')).toContain('以旧换新补贴说明');
      await r.keyboard.press('Enter');
      await r.waitForURL((url) => url.search === articleUrl);
      await eventually(() => bell(r).getAttribute('aria-label')).toBe('通知');
      await openVersion(r).getByRole('button', { name: '通过并发布' }).click();
      await eventually(() => r.getByTestId('kb-published').innerText()).toContain('补贴在下单时直接抵扣');

      // The author's open page turns published, and their bell says so, without a reload.
      await eventually(() => a.getByTestId('kb-published').innerText()).toContain('补贴在下单时直接抵扣');
      expect(await openVersion(a).count()).toBe(0);
      expect(await a.getByText('已发布', { exact: true }).count()).toBeGreaterThan(0);
      await eventually(() => bell(a).getAttribute('aria-label')).toBe('通知，1 条未读');
      await bell(a).click();
      await eventually(() => list(a).locator('li').first().innerText()).toMatch(/知识文章 KB-\d+ 已发布[\s\S]*第 1 版「以旧换新补贴说明」已审核发布/);
      await list(a).locator('li').first().getByRole('button').click();
      await eventually(() => bell(a).getAttribute('aria-label')).toBe('通知');
      expect(new URL(a.url()).search).toBe(articleUrl);
      expect(await a.evaluate(() => (window as { stillTheSamePage?: boolean }).stillTheSamePage)).toBe(true);
    });
  }, 120_000);

  it('K1: the review queue and the categories follow changes made elsewhere without a reload', async () => {
    await run('K1 live lists', async (t) => {
      const { page } = t;
      await signInAt(t, '/knowledge?tab=review', 'lead1');
      const queue = page.getByTestId('kb-review');
      await eventually(() => queue.isVisible()).toBe(true);
      const article: { id: string } = await api('agent2', 'POST', '/api/knowledge-articles', { type: 'article', visibility: 'internal', title: '延保服务购买渠道', body: '延保只能在官方商城购买。' });
      await api('agent2', 'POST', `/api/knowledge-articles/${article.id}/versions/1/submissions`);
      const row = queue.locator('tr.ant-table-row').filter({ hasText: '延保服务购买渠道' });
      await eventually(() => row.count()).toBe(1);
      await api('trainer1', 'POST', `/api/knowledge-articles/${article.id}/versions/1/reviews`, { decision: 'approve' });
      await eventually(() => row.count()).toBe(0);

      await page.getByRole('tab', { name: '分类管理' }).click();
      await api('qa1', 'POST', '/api/knowledge-categories', { name: '延保与增值服务' });
      await eventually(() => page.getByTestId('kb-categories').innerText()).toContain('延保与增值服务');
    });
  }, 120_000);

  it('O2: a partner, who may not read the knowledge base, has no 知识库 in the navigation', async () => {
    await run('O2 partner', async (t) => {
      const { page } = t;
      await signIn(t, 'partner1');
      await eventually(() => navItems(page)).toContain('工作台');
      expect(await navItems(page)).not.toContain('知识库');
      await page.goto('/console/knowledge');
      await eventually(() => page.getByText('页面不存在').count()).toBe(1);
    });
  });
});
