import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { and, asc, eq, like, sql } from 'drizzle-orm';
import { query } from '../../db/client.ts';
import { events } from '../../platform/events/schema.ts';
import { expectError } from '../../../test/support/errors.ts';
import { DEMO_PASSWORD, createHarness, type Harness } from '../../../test/support/kefu.ts';
import { snapshotTables } from '../../../test/support/process.ts';
import { scheduleReindex } from './reindex.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

interface Draft {
  title: string;
  body: string;
  type?: 'article' | 'manual' | 'case';
  visibility?: 'internal' | 'public';
  problemType?: string;
}

/** Written by `author`, reviewed and published by lead1 (a reviewer who did not write it). */
async function published(d: Draft, author = 'agent1') {
  const created = await h.api('POST', '/api/knowledge-articles', { as: author, body: { type: 'article', visibility: 'internal', ...d } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.id as string;
  expect((await h.api('POST', `/api/knowledge-articles/${id}/versions/1/submissions`, { as: author })).status).toBe(201);
  const review = await h.api('POST', `/api/knowledge-articles/${id}/versions/1/reviews`, { as: 'lead1', body: { decision: 'approve' } });
  expect(review.status, JSON.stringify(review.body)).toBe(201);
  return id;
}

const search = async (q: string, as = 'agent2', extra = '') => {
  const res = await h.api('GET', `/api/knowledge-searches?q=${encodeURIComponent(q)}${extra}`, { as });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { match: string; terms: string[]; data: Array<{ article: { id: string; title: string }; title: Array<{ text: string; hit: boolean }>; snippet: Array<{ text: string; hit: boolean }>; score: number }> };
};

describe('K1 articles: written, reviewed, published, versioned', () => {
  it('K1: an agent drafts, a reviewer publishes; readers see nothing until then, and each step records who and when', async () => {
    const draft = await h.api('POST', '/api/knowledge-articles', {
      as: 'agent1',
      body: { type: 'manual', visibility: 'public', title: '耳机蓝牙配对步骤', body: '长按电源键五秒，指示灯蓝红交替闪烁后在手机蓝牙列表中选择耳机。', problemType: 'technical_support' },
    });
    expect(draft.status).toBe(201);
    expect(draft.body).toMatchObject({ status: 'draft', type: 'manual', visibility: 'public', number: 1001, published: null, open: { version: 1, status: 'draft' } });
    const id = draft.body.id;
    expect((await search('蓝牙配对')).data).toEqual([]);

    h.clock.advance(60_000);
    const submitted = await h.api('POST', `/api/knowledge-articles/${id}/versions/1/submissions`, { as: 'agent1' });
    expect(submitted.body).toMatchObject({ status: 'in_review', submittedAt: h.clock.now().toISOString() });
    const queue = await h.api('GET', '/api/knowledge-articles?inReview=true', { as: 'lead1' });
    expect(queue.body.data.map((a: { id: string }) => a.id)).toEqual([id]);

    h.clock.advance(60_000);
    const approved = await h.api('POST', `/api/knowledge-articles/${id}/versions/1/reviews`, { as: 'lead1', body: { decision: 'approve', comment: '步骤清楚' } });
    expect(approved.status).toBe(201);
    expect(approved.body).toMatchObject({ status: 'published', reviewComment: '步骤清楚', publishedAt: h.clock.now().toISOString() });
    const article = await h.api('GET', `/api/knowledge-articles/${id}`, { as: 'agent2' });
    expect(article.body).toMatchObject({ status: 'published', title: '耳机蓝牙配对步骤', published: { version: 1 }, open: null });
    expect((await search('蓝牙配对')).data.map((r) => r.article.id)).toEqual([id]);

    const audit = await h.api('GET', `/api/audit?entityType=knowledge_version&entityId=${approved.body.id}`, { as: 'admin' });
    expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual(['update', 'update', 'create']);
  });

  it('K1: nobody reviews their own version; a rejection needs a comment, returns the draft to its author and stays on record after the approval', async () => {
    const draft = await h.api('POST', '/api/knowledge-articles', { as: 'lead1', body: { type: 'article', visibility: 'internal', title: '催单处理', body: '先查物流，再回复客户预计送达时间。' } });
    const id = draft.body.id;
    await h.api('POST', `/api/knowledge-articles/${id}/versions/1/submissions`, { as: 'lead1' });
    expectError(await h.api('POST', `/api/knowledge-articles/${id}/versions/1/reviews`, { as: 'lead1', body: { decision: 'approve' } }), 403, 'knowledge.own_version');
    const noComment = expectError(await h.api('POST', `/api/knowledge-articles/${id}/versions/1/reviews`, { as: 'trainer1', body: { decision: 'reject' } }), 400, 'knowledge.comment_required');
    expect(noComment.field).toBe('comment');
    expectError(await h.api('POST', `/api/knowledge-articles/${id}/versions/1/reviews`, { as: 'agent2', body: { decision: 'approve' } }), 403, 'auth.forbidden');

    const rejected = await h.api('POST', `/api/knowledge-articles/${id}/versions/1/reviews`, { as: 'trainer1', body: { decision: 'reject', comment: '请补充超过 48 小时未发货的处理' } });
    expect(rejected.body).toMatchObject({ status: 'draft', reviewComment: '请补充超过 48 小时未发货的处理' });
    expectError(await h.api('PATCH', `/api/knowledge-articles/${id}/versions/1`, { as: 'agent2', body: { body: '改写' } }), 403, 'knowledge.not_author');
    const fixed = await h.api('PATCH', `/api/knowledge-articles/${id}/versions/1`, { as: 'lead1', body: { body: '先查物流；超过 48 小时未发货的，联系仓库补发并告知客户。' } });
    expect(fixed.status).toBe(200);
    expect((await h.api('POST', `/api/knowledge-articles/${id}/versions/1/submissions`, { as: 'lead1' })).body.status).toBe('in_review');
    h.clock.advance(60_000);
    const approved = await h.api('POST', `/api/knowledge-articles/${id}/versions/1/reviews`, { as: 'trainer1', body: { decision: 'approve' } });
    // The rejection's comment stays in the version's review record after the approval.
    expect(approved.body.reviews.map((r: { decision: string; comment: string | null }) => [r.decision, r.comment])).toEqual([
      ['reject', '请补充超过 48 小时未发货的处理'],
      ['approve', null],
    ]);
  });

  it('K1: a new version is drafted from the one in force, which readers keep seeing until the new one is published; the diff shows the changed words', async () => {
    const id = await published({ title: '退换货政策', body: '签收后七天内可申请退货，商品需保持完好。' });
    const v2 = await h.api('POST', `/api/knowledge-articles/${id}/versions`, { as: 'agent2', body: { body: '签收后十五天内可申请退货，商品需保持完好。' } });
    expect(v2.status).toBe(201);
    expect(v2.body).toMatchObject({ version: 2, status: 'draft', title: '退换货政策' });
    expectError(await h.api('POST', `/api/knowledge-articles/${id}/versions`, { as: 'agent1', body: {} }), 409, 'knowledge.open_version_exists');

    expect((await search('十五天')).data).toEqual([]);
    const changes = await h.api('GET', `/api/knowledge-articles/${id}/versions/2/changes`, { as: 'agent1' });
    expect(changes.body.from).toBe(1);
    expect(changes.body.title.every((p: { change: string }) => p.change === 'same')).toBe(true);
    const changed = changes.body.body.filter((p: { change: string }) => p.change !== 'same');
    expect(changed).toEqual([
      { text: '七天内', change: 'removed' },
      { text: '十五天内', change: 'added' },
    ]);

    await h.api('POST', `/api/knowledge-articles/${id}/versions/2/submissions`, { as: 'agent2' });
    await h.api('POST', `/api/knowledge-articles/${id}/versions/2/reviews`, { as: 'qa1', body: { decision: 'approve' } });
    expect((await search('十五天')).data.map((r) => r.article.id)).toEqual([id]);
    expect((await search('七天')).data).toEqual([]);
    const versions = await h.api('GET', `/api/knowledge-articles/${id}/versions`, { as: 'agent1' });
    expect(versions.body.data.map((v: { version: number; status: string }) => [v.version, v.status])).toEqual([
      [2, 'published'],
      [1, 'superseded'],
    ]);
  });

  it('K1: categories nest one level; a category with articles cannot be deleted; agents cannot organise them', async () => {
    const after = await h.api('POST', '/api/knowledge-categories', { as: 'trainer1', body: { name: '售后服务' } });
    expect(after.status).toBe(201);
    const returns = await h.api('POST', '/api/knowledge-categories', { as: 'trainer1', body: { name: '退换货', parentId: after.body.id } });
    expect(returns.status).toBe(201);
    expectError(await h.api('POST', '/api/knowledge-categories', { as: 'trainer1', body: { name: '更深', parentId: returns.body.id } }), 400, 'knowledge.category_too_deep');
    expectError(await h.api('POST', '/api/knowledge-categories', { as: 'trainer1', body: { name: '售后服务' } }), 409, 'knowledge.category_exists');
    expectError(await h.api('POST', '/api/knowledge-categories', { as: 'agent1', body: { name: '随便' } }), 403, 'auth.forbidden');
    await h.api('POST', '/api/knowledge-articles', { as: 'agent1', body: { type: 'article', visibility: 'internal', title: '退货运费', body: '质量问题由我方承担运费。', categoryId: returns.body.id } });
    expectError(await h.api('DELETE', `/api/knowledge-categories/${returns.body.id}`, { as: 'trainer1' }), 409, 'knowledge.category_not_empty');
  });

  it('K1: an archived article leaves search and is read-only', async () => {
    const id = await published({ title: '旧版保修政策', body: '整机保修一年。' });
    expect((await search('保修')).data).toHaveLength(1);
    const archived = await h.api('POST', `/api/knowledge-articles/${id}/archivals`, { as: 'lead1', body: { reason: '政策已更新' } });
    expect(archived.body).toMatchObject({ status: 'archived', archivedAt: h.clock.now().toISOString() });
    expect((await search('保修')).data).toEqual([]);
    expectError(await h.api('POST', `/api/knowledge-articles/${id}/versions`, { as: 'agent1', body: {} }), 409, 'knowledge.archived');
  });
});

describe('K1 reviewers and authors are told', () => {
  interface Note {
    kind: string;
    title: string;
    body: string;
    entityType: string | null;
    entityId: string | null;
    data: Record<string, unknown>;
  }
  const inbox = async (as: string): Promise<Note[]> => {
    const res = await h.api('GET', '/api/notifications', { as });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.data;
  };
  const kinds = async (as: string) => (await inbox(as)).map((n) => n.kind);
  async function submitted(author: string, title: string) {
    const draft = await h.api('POST', '/api/knowledge-articles', { as: author, body: { type: 'article', visibility: 'internal', title, body: '先核对订单，再答复客户。' } });
    expect((await h.api('POST', `/api/knowledge-articles/${draft.body.id}/versions/1/submissions`, { as: author })).status).toBe(201);
    return draft.body as { id: string; number: number };
  }
  async function staffId(username: string) {
    const res = await h.api('GET', `/api/staff?q=${username}`, { as: 'admin' });
    return (res.body.data as Array<{ id: string; username: string }>).find((s) => s.username === username)!.id;
  }

  it("K1: a submitted version is announced to the active reviewers of the author's department only, never to its author", async () => {
    // lead1 and manager1 are the reviewers of 服务运营部: lead1's own version goes to manager1 alone.
    const own = await submitted('lead1', '会员积分兑换规则');
    // manager1 is disabled while agent1 submits, so only lead1 hears of that one.
    const manager = await staffId('manager1');
    expect((await h.api('PATCH', `/api/staff/${manager}`, { as: 'admin', body: { status: 'disabled' } })).status).toBe(200);
    const a = await submitted('agent1', '发票补开流程');
    expect((await h.api('PATCH', `/api/staff/${manager}`, { as: 'admin', body: { status: 'active' } })).status).toBe(200);

    expect(await inbox('lead1')).toEqual([
      {
        id: expect.any(String),
        kind: 'knowledge_review_requested',
        title: `知识文章 KB-${a.number} 待审核`,
        body: '第 1 版「发票补开流程」已提交审核。',
        entityType: 'knowledge_article',
        entityId: a.id,
        data: { number: a.number, version: 1 },
        createdAt: h.clock.now().toISOString(),
        readAt: null,
      },
    ]);
    expect((await inbox('manager1')).map((n) => n.entityId)).toEqual([own.id]);
    // Reviewers of other departments and those who do not review are not asked.
    for (const other of ['qa1', 'trainer1', 'admin', 'agent1', 'agent2']) expect(await kinds(other), other).toEqual([]);
  });

  it('K1: an author whose department has no reviewer has every active reviewer told', async () => {
    const departments = await h.api('GET', '/api/departments?limit=200', { as: 'admin' });
    const sales = (departments.body.data as Array<{ id: string; code: string }>).find((d) => d.code === 'sales')!.id;
    expect((await h.api('PATCH', `/api/staff/${await staffId('agent2')}`, { as: 'admin', body: { departmentId: sales, teamId: null } })).status).toBe(200);
    const a = await submitted('agent2', '大客户开票');
    for (const reviewer of ['lead1', 'manager1', 'qa1', 'trainer1', 'admin']) {
      expect((await inbox(reviewer)).map((n) => [n.kind, n.entityId]), reviewer).toEqual([['knowledge_review_requested', a.id]]);
    }
    expect(await kinds('agent2')).toEqual([]);
    expect(await kinds('agent1')).toEqual([]);
  });

  it('K1: the author is told when their version is rejected (with the comment) and when it is published; the reviewer is not', async () => {
    const a = await submitted('agent1', '以旧换新');
    await h.api('POST', `/api/knowledge-articles/${a.id}/versions/1/reviews`, { as: 'lead1', body: { decision: 'reject', comment: '请写明折价标准' } });
    const [rejected] = await inbox('agent1');
    expect(rejected).toMatchObject({ kind: 'knowledge_rejected', title: `知识文章 KB-${a.number} 被驳回`, entityType: 'knowledge_article', entityId: a.id, data: { number: a.number, version: 1 } });
    expect(rejected!.body).toContain('请写明折价标准');

    await h.api('POST', `/api/knowledge-articles/${a.id}/versions/1/submissions`, { as: 'agent1' });
    await h.api('POST', `/api/knowledge-articles/${a.id}/versions/1/reviews`, { as: 'trainer1', body: { decision: 'approve' } });
    expect((await inbox('agent1')).map((n) => [n.kind, n.title])).toEqual([
      ['knowledge_published', `知识文章 KB-${a.number} 已发布`],
      ['knowledge_rejected', `知识文章 KB-${a.number} 被驳回`],
    ]);
    // lead1 was asked twice (both submissions) and told nothing of the decisions.
    expect(await kinds('lead1')).toEqual(['knowledge_review_requested', 'knowledge_review_requested']);
    expect(await kinds('trainer1')).toEqual([]);
  });
});

describe('K2 Chinese search', () => {
  it('K2: a Traditional-Chinese query with a synonym finds the article, the title match first, with marked words', async () => {
    const body = await published({ title: '发票开具说明', body: '电子发票在订单完成后开具。如需退换货，发票须一并退回。' });
    const title = await published({ title: '退换货政策', body: '签收后七天内可申请，商品需保持完好，质量问题运费由我方承担。' });
    const result = await search('退貨');
    expect(result.terms).toEqual(['退货']);
    expect(result.match).toBe('all');
    expect(result.data.map((r) => r.article.id)).toEqual([title, body]);
    expect(result.data[0]!.title).toEqual([
      { text: '退换货', hit: true },
      { text: '政策', hit: false },
    ]);
    expect(result.data[1]!.snippet.filter((p) => p.hit).map((p) => p.text)).toEqual(['退换货']);
  });

  it('K2: of two equally matching articles the newer ranks first', async () => {
    const old = await published({ title: '会员积分规则', body: '每消费一元累计一积分。' });
    // Hours apart, within one sign-in: the score decays continuously, so the order shows already.
    h.clock.advance(6 * 3_600_000);
    const fresh = await published({ title: '会员积分规则（新）', body: '每消费一元累计一积分。' });
    expect((await search('积分')).data.map((r) => r.article.id)).toEqual([fresh, old]);
  });

  it('K2: when no article has every word, those with some follow, marked as a partial match', async () => {
    const id = await published({ title: '快递查询', body: '在订单详情页点击查看物流。' });
    const result = await search('快递 发动机');
    expect(result.match).toBe('any');
    expect(result.data.map((r) => r.article.id)).toEqual([id]);
  });

  it('K2: internal articles are for staff; filters by type and problem type narrow the results', async () => {
    const manual = await published({ title: '固件升级手册', body: '下载升级包后重启设备完成固件升级。', type: 'manual', problemType: 'technical_support' });
    const article = await published({ title: '固件升级常见问题', body: '固件升级失败时请重启设备。' });
    expect((await search('固件升级')).data).toHaveLength(2);
    expect((await search('固件升级', 'agent2', '&type=manual')).data.map((r) => r.article.id)).toEqual([manual]);
    expect((await search('固件升级', 'agent2', '&problemType=technical_support')).data.map((r) => r.article.id)).toEqual([manual]);
    expect(article).toBeTruthy();
    expectError(await h.api('GET', '/api/knowledge-searches?q=x', { as: 'partner1' }), 403, 'auth.forbidden');
  });

  it('K2: searches that found nothing are listed as knowledge gaps, worded alike counted together', async () => {
    await published({ title: '退换货政策', body: '七天内可退。' });
    await search('退货');
    await search('发动机异响怎么办');
    h.clock.advance(60_000);
    await search('发动机 异响');
    await search('耳机没声音');
    const gaps = await h.api('GET', '/api/knowledge-gaps', { as: 'lead1' });
    expect(gaps.body.data.map((g: { terms: string; searches: number; example: string }) => [g.terms, g.searches, g.example])).toEqual([
      ['发动机 异响', 2, '发动机 异响'],
      ['耳机 没 声音', 1, '耳机没声音'],
    ]);
    expectError(await h.api('GET', '/api/knowledge-gaps', { as: 'agent1' }), 403, 'auth.forbidden');
  });

  it('K2: the workspace suggests articles for what the customer said last, those of the conversation\'s problem type first, without logging a search', async () => {
    const general = await published({ title: '蓝牙耳机常见问题', body: '耳机蓝牙连不上时，先关闭再打开手机蓝牙。' });
    h.clock.advance(60_000);
    const typed = await published({ title: '耳机配对', body: '耳机蓝牙连接失败，长按五秒重新配对。', problemType: 'technical_support' });
    const customer = await h.api('POST', '/api/customers', { as: 'agent1', body: { name: '建议测试' } });
    const conv = await h.api('POST', '/api/conversations', { as: 'agent1', body: { channel: 'chat', customerId: customer.body.id, message: { body: '我的耳机蓝牙连不上了怎么办' } } });
    await h.api('PATCH', `/api/conversations/${conv.body.id}`, { as: 'agent1', body: { problemType: 'technical_support' } });
    const searches = async () => (await query<{ n: number }>(h.db.database.db, sql`select count(*)::int as n from kb_searches`))[0]!.n;
    const logged = await searches();

    const res = await h.api('GET', `/api/conversations/${conv.body.id}/knowledge-suggestions`, { as: 'lead1' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.basis).toBe('message');
    expect(res.body.data.map((r: { article: { id: string } }) => r.article.id)).toEqual([typed, general]);
    expect(await searches()).toBe(logged);

    const quiet = await h.api('POST', '/api/conversations', { as: 'agent1', body: { channel: 'phone', customerId: customer.body.id } });
    await h.api('PATCH', `/api/conversations/${quiet.body.id}`, { as: 'agent1', body: { problemType: 'technical_support' } });
    const byType = await h.api('GET', `/api/conversations/${quiet.body.id}/knowledge-suggestions`, { as: 'lead1' });
    expect(byType.body).toMatchObject({ basis: 'problem_type', terms: [] });
    expect(byType.body.data.map((r: { article: { id: string } }) => r.article.id)).toEqual([typed]);
  });

  it('K2 / bad input: empty, operator-only, SQL and over-long queries answer results or a clear 400, never a 5xx, and change no article', async () => {
    await published({ title: '退换货政策', body: '七天内可退。' });
    const articles = async () => {
      const { kb_articles, kb_article_versions } = await snapshotTables(h.db.database.db);
      return { kb_articles, kb_article_versions };
    };
    const before = await articles();
    expect(await search('')).toMatchObject({ match: 'none', data: [], terms: [] });
    expect(await search('!&|():*<->')).toMatchObject({ match: 'none', data: [] });
    expect((await search(`退货'); drop table kb_articles; --`)).data).toHaveLength(1);
    expect((await search('退货 & !七天 | (')).match).toBe('all');
    const long = expectError(await h.api('GET', `/api/knowledge-searches?q=${encodeURIComponent('退'.repeat(10_000))}`, { as: 'agent1' }), 400);
    expect(long.field).toBe('q');
    expect(await articles()).toEqual(before);
  });

  it('K2: articles indexed with an older dictionary are indexed again by the re-index job, in batches, archived ones left alone', async () => {
    const kept = await published({ title: '首问负责制说明', body: '第一位接待客户的客服负责到底。' });
    const archived = await published({ title: '首问负责制旧版', body: '旧规定。' });
    await h.api('POST', `/api/knowledge-articles/${archived}/archivals`, { as: 'lead1', body: { reason: '已废止' } });
    const db = h.db.database.db;
    // 250 published articles from before the dictionary knew 首问负责: more than one batch of the job.
    await db.execute(sql`insert into kb_articles (id, type, visibility, status, title, published_version_id, published_at, created_at, updated_at)
      select gen_random_uuid(), 'article', 'internal', 'published', '旧文章 ' || n, gen_random_uuid(), now(), now(), now() from generate_series(1, 250) n`);
    await db.execute(sql`insert into kb_article_versions (id, article_id, version, status, title, body, published_at, created_at, updated_at)
      select published_version_id, id, 1, 'published', title, '按首问负责处理。', now(), now(), now() from kb_articles where title like '旧文章 %'`);
    await db.execute(sql`update kb_articles set search = null, title_search = null, indexed_with = 'an-older-dictionary' where id in (${kept}, ${archived})`);
    expect((await search('首问负责')).data).toEqual([]);

    await db.transaction((tx) => scheduleReindex({ tx, now: h.clock.now() }));
    await h.kefu.jobs.runDue();

    const found = await search('首问负责', 'agent2', '&limit=50');
    expect(found.data[0]!.article.id).toBe(kept);
    expect(found.data.map((r) => r.article.id)).not.toContain(archived);
    const stale = await query<{ n: number }>(db, sql`select count(*)::int as n from kb_articles where status = 'published' and indexed_with is distinct from (select indexed_with from kb_articles where id = ${kept})`);
    expect(stale[0]!.n).toBe(0);
    const runs = await query<{ n: number }>(db, sql`select count(*)::int as n from jobs where kind = 'knowledge.reindex' and status = 'done'`);
    expect(runs[0]!.n).toBe(2);
  });
});

describe('K3 from case to article', () => {
  async function solvedConversation(resolve = true) {
    const customer = await h.api('POST', '/api/customers', {
      as: 'agent1',
      body: { name: '欧阳明', phones: ['13812345678'], emails: ['ouyang@example.com'], addresses: [{ province: '浙江省', city: '杭州市', district: '西湖区', street: '文三路 90 号' }] },
    });
    const conv = await h.api('POST', '/api/conversations', { as: 'agent1', body: { channel: 'chat', customerId: customer.body.id, subject: '欧阳明的耳机无法配对', message: { body: '我是欧阳明，电话 138 1234 5678，耳机连不上手机' } } });
    const id = conv.body.id as string;
    await h.api('POST', `/api/conversations/${id}/assignments`, { as: 'lead1', body: { toStaffId: (await h.api('GET', '/api/staff?q=agent1', { as: 'admin' })).body.data[0].id } });
    await h.api('POST', `/api/conversations/${id}/messages`, { as: 'agent1', body: { body: '欧阳先生您好，请长按电源键五秒进入配对模式。寄修地址请写文三路 90 号。' } });
    await h.api('POST', `/api/conversations/${id}/messages`, { as: 'agent1', body: { body: '客户身份证 11010519491231002X 已核验', internal: true } });
    const patched = await h.api('PATCH', `/api/conversations/${id}`, { as: 'agent1', body: { problemType: 'technical_support', intake: { problemDescription: '耳机无法与手机配对，客户邮箱 ouyang@example.com', productModel: 'KF-X9' } } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    if (resolve) expect((await h.api('POST', `/api/conversations/${id}/status`, { as: 'agent1', body: { status: 'resolved' } })).status).toBe(200);
    return id;
  }

  it('K3: a solved conversation becomes a draft case article with the problem record and the exchange, the customer\'s personal data taken out', async () => {
    const id = await solvedConversation();
    const res = await h.api('POST', `/api/conversations/${id}/articles`, { as: 'agent1' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ type: 'case', visibility: 'internal', status: 'draft', problemType: 'technical_support', sourceConversationId: id, title: '案例：【客户】的耳机无法配对' });
    const body = res.body.open.body as string;
    for (const secret of ['欧阳明', '13812345678', '138 1234 5678', 'ouyang@example.com', '文三路', '11010519491231002X']) expect(body).not.toContain(secret);
    expect(body).toContain('问题类型：技术支持');
    expect(body).toContain('- 产品型号：KF-X9');
    expect(body).toContain('客户：我是【客户】，电话 【电话】，耳机连不上手机');
    expect(body).toContain('客服：欧阳先生您好，请长按电源键五秒进入配对模式。寄修地址请写【地址】。');
    expect(body).toContain('内部备注：客户身份证 【证件号】 已核验');
    expect(res.body.open.note).toMatch(/^由会话 #\d+ 生成/);
  });

  it('K3: a conversation still open cannot become a case; one the caller cannot see is not found', async () => {
    const open = await solvedConversation(false);
    expectError(await h.api('POST', `/api/conversations/${open}/articles`, { as: 'agent1' }), 409, 'knowledge.conversation_not_solved');
    expectError(await h.api('POST', `/api/conversations/${open}/articles`, { as: 'agent2' }), 404);
  });
});

describe('issue 6 §4 the public help centre and deflection', () => {
  const visitorHeaders = (token: string) => ({ 'x-kefu-visitor': token });

  it('issue 6 §4: without signing in, customers search and read public articles only; internal ones stay hidden', async () => {
    const pub = await published({ title: '如何申请退换货', body: '登录后在“我的订单”中点击申请退货。', visibility: 'public' });
    await published({ title: '退货内部审核标准', body: '退货须核对序列号。', visibility: 'internal' });
    const found = await h.api('GET', `/api/help-searches?q=${encodeURIComponent('退货')}`);
    expect(found.status).toBe(200);
    expect(found.body.data.map((r: { article: { id: string } }) => r.article.id)).toEqual([pub]);
    expect(Object.keys(found.body.data[0].article).sort()).toEqual(['categoryId', 'id', 'number', 'publishedAt', 'title', 'type']);
    expect(found.headers['access-control-allow-origin']).toBe('*');
    const internal = (await h.api('GET', '/api/knowledge-articles?visibility=internal', { as: 'agent1' })).body.data[0].id;
    expectError(await h.api('GET', `/api/help-articles/${internal}`), 404, 'knowledge.article_not_found');
    // The widget opens articles from the customer's own site.
    expect((await h.api('GET', `/api/help-articles/${pub}`, { headers: { origin: 'https://shop.example' } })).headers['access-control-allow-origin']).toBe('*');
    expect((await h.api('GET', '/api/help-articles')).body.data.map((a: { id: string }) => a.id)).toEqual([pub]);
  });

  it('issue 6 §4: the help centre pages list, search (words marked) and show articles in Chinese; text is escaped, internal articles are not found', async () => {
    const id = await published({ title: '发票<script>alert(1)</script>说明', body: '电子发票在订单完成后开具。', visibility: 'public' });
    const number = (await h.api('GET', `/api/help-articles/${id}`)).body.number;
    const home = await h.kefu.app.inject({ method: 'GET', url: '/help' });
    expect(home.statusCode).toBe(200);
    expect(home.headers['content-type']).toMatch(/^text\/html/);
    expect(home.body).toContain('帮助中心');
    expect(home.body).toContain('发票&lt;script&gt;');
    expect(home.body).not.toContain('<script>alert(1)</script>');
    const results = await h.kefu.app.inject({ method: 'GET', url: `/help?q=${encodeURIComponent('電子發票')}` });
    expect(results.body).toContain('<mark>电子发票</mark>');
    const page = await h.kefu.app.inject({ method: 'GET', url: `/help/articles/${number}` });
    expect(page.body).toContain('电子发票在订单完成后开具。');
    expect(page.body).toContain('<script src="/widget.js" async></script>');
    const internal = await published({ title: '内部', body: '仅内部。' });
    const internalNumber = (await h.api('GET', `/api/knowledge-articles/${internal}`, { as: 'agent1' })).body.number;
    expect((await h.kefu.app.inject({ method: 'GET', url: `/help/articles/${internalNumber}` })).statusCode).toBe(404);
  });

  it('issue 6 §4: a widget visitor who read an article and did not ask within 30 minutes, or said it solved the problem, counts as deflected; one who asked does not', async () => {
    const { issueVisitorToken, sendChatMessage, visitorCtx, visitorIdOf } = await import('../channels/chat/service.ts');
    const article = await published({ title: '快递查询', body: '在订单详情页点击查看物流即可查询快递进度。', visibility: 'public' });
    const from = h.clock.now().toISOString();
    const [reader, asker, satisfied] = [issueVisitorToken(), issueVisitorToken(), issueVisitorToken()];
    for (const token of [reader, asker, satisfied]) {
      const search = await h.api('GET', `/api/help-searches?q=${encodeURIComponent('快递到哪了')}`, { headers: visitorHeaders(token) });
      expect(search.body.data).toHaveLength(1);
      const view = await h.api('POST', `/api/help-articles/${article}/views`, { headers: visitorHeaders(token), body: { searchId: search.body.searchId, resolved: token === satisfied } });
      expect(view.status).toBe(201);
    }
    h.clock.advance(5 * 60_000);
    const visitor = { id: visitorIdOf(asker)!, contact: {} };
    await sendChatMessage(visitorCtx({ db: h.db.database.db, clock: h.clock, locale: 'zh-CN', ip: null }, visitor.id), visitor, { clientId: 'c1', body: '还是查不到快递' }, { maxChars: 5000 });

    const report = async () => (await h.api('GET', `/api/knowledge-deflections?from=${from}&to=${new Date(h.clock.now().getTime() + 1).toISOString()}`, { as: 'lead1' })).body;
    expect(await report()).toMatchObject({ widgetSearches: 3, readers: 3, deflected: 1, askedAfterReading: 1, pending: 1, rate: 0.5 });
    h.clock.advance(30 * 60_000);
    expect(await report()).toMatchObject({ deflected: 2, askedAfterReading: 1, pending: 0 });
    expectError(await h.api('GET', `/api/knowledge-deflections?from=${from}&to=${from}`, { as: 'agent1' }), 403, 'auth.forbidden');
  });

  it('K1: readers answer "这篇文章有帮助吗？" for their own reading, may change the answer, and the article\'s staff see readings, votes and chat visitors it solved', async () => {
    const article = await published({ title: '如何开具发票', body: '在订单详情页申请电子发票。', visibility: 'public' });
    const other = await published({ title: '如何修改地址', body: '发货前可在订单中修改地址。', visibility: 'public' });
    const read = async (body: object = {}) => (await h.api('POST', `/api/help-articles/${article}/views`, { body })).body.id as string;
    const vote = (viewId: string, helpful: unknown, articleId = article) => h.api('POST', `/api/help-articles/${articleId}/views/${viewId}/votes`, { body: { helpful } });

    const [first, second, third] = [await read(), await read(), await read({ resolved: true })];
    h.clock.advance(40 * 24 * 3600_000);
    const recent = await read();
    expect((await vote(first, true)).body).toEqual({ viewId: first, helpful: true });
    expect((await vote(second, true)).status).toBe(200);
    // Changing one's mind replaces the answer instead of counting twice.
    expect((await vote(second, false)).status).toBe(200);
    expect((await vote(recent, true)).headers['access-control-allow-origin']).toBe('*');

    // A reading of another article, one that does not exist and a vote that is not yes or no change nothing.
    const views = async () => (await snapshotTables(h.db.database.db)).kb_article_views;
    const before = await views();
    expectError(await vote(first, false, other), 404, 'knowledge.view_not_found');
    expectError(await vote('00000000-0000-4000-8000-000000000000', false), 404, 'knowledge.view_not_found');
    expect(expectError(await vote(third, 'maybe'), 400).field).toBe('helpful');
    expect(await views()).toEqual(before);

    // 40 days on, the sessions signed in before have expired: sign in afresh.
    const login = async (username: string) => (await h.api('POST', '/api/auth/login', { body: { username, password: DEMO_PASSWORD } })).body.token as string;
    const statistics = async (articleId: string, as = 'agent1', query = '') => h.api('GET', `/api/knowledge-articles/${articleId}/statistics${query}`, { token: await login(as) });
    expect((await statistics(article)).body).toEqual({ views: 4, recentViews: 1, days: 30, helpful: 2, notHelpful: 1, helpfulRate: 2 / 3, solvedInChat: 1 });
    expect((await statistics(article, 'agent1', '?days=60')).body.recentViews).toBe(4);
    expect((await statistics(other)).body).toMatchObject({ views: 0, helpfulRate: null });
    expectError(await statistics('00000000-0000-4000-8000-000000000000'), 404, 'knowledge.article_not_found');
    expectError(await statistics(article, 'partner1'), 403, 'auth.forbidden');
  });
});

describe('K1 article attachments', () => {
  async function upload(as: string, articleId: string, name = '说明书.txt', content = '第一章 安装') {
    const boundary = '----kb';
    const payload = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n\r\n`), Buffer.from(content), Buffer.from(`\r\n--${boundary}--\r\n`)]);
    const res = await h.kefu.app.inject({ method: 'POST', url: `/api/knowledge-articles/${articleId}/attachments`, headers: { authorization: `Bearer ${await h.login(as)}`, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    return { status: res.statusCode, body: res.json() };
  }

  /** Who added and removed a file, as the audit log shows it, and the events consumers (the open article pages) receive. */
  async function attachmentHistory(attachmentId: string) {
    const audit = await h.api('GET', `/api/audit?entityType=knowledge_attachment&entityId=${attachmentId}`, { as: 'admin' });
    const emitted = await h.kefu.database.db.select().from(events).where(and(like(events.type, 'knowledge.attachment.%'), eq(events.entityId, attachmentId))).orderBy(asc(events.id));
    return {
      audit: audit.body.data.map((e: { action: string; actorName: string }) => ({ action: e.action, actorName: e.actorName })),
      events: emitted.map((e) => ({ type: e.type, data: e.data })),
    };
  }

  it('K1: the author attaches files to their draft; once published only reviewers add or remove them; public articles\' files are public, internal ones\' are not; each addition and removal is audited and announced', async () => {
    const draft = await h.api('POST', '/api/knowledge-articles', { as: 'agent1', body: { type: 'manual', visibility: 'public', title: '空气净化器说明书', body: '见附件。' } });
    const id = draft.body.id;
    const first = await upload('agent1', id);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ fileName: '说明书.txt', contentType: 'text/plain', size: Buffer.byteLength('第一章 安装') });
    expect((await upload('agent2', id)).body.error.code).toBe('knowledge.files_for_reviewers');

    await h.api('POST', `/api/knowledge-articles/${id}/versions/1/submissions`, { as: 'agent1' });
    await h.api('POST', `/api/knowledge-articles/${id}/versions/1/reviews`, { as: 'lead1', body: { decision: 'approve' } });
    expect((await upload('agent1', id, '补充.txt')).status).toBe(403);
    const added = await upload('lead1', id, '补充.txt', '第二章 保养');
    expect(added.status).toBe(201);
    const detail = await h.api('GET', `/api/knowledge-articles/${id}`, { as: 'agent2' });
    expect(detail.body.attachments.map((a: { fileName: string }) => a.fileName)).toEqual(['说明书.txt', '补充.txt']);

    const staff = await h.kefu.app.inject({ method: 'GET', url: `/api/knowledge-attachments/${first.body.id}`, headers: { authorization: `Bearer ${await h.login('agent2')}` } });
    expect(staff.body).toBe('第一章 安装');
    const pub = await h.kefu.app.inject({ method: 'GET', url: `/api/help-attachments/${first.body.id}` });
    expect(pub.statusCode).toBe(200);
    expect(pub.headers['x-content-type-options']).toBe('nosniff');
    const page = await h.kefu.app.inject({ method: 'GET', url: `/help/articles/${detail.body.number}` });
    expect(page.body).toContain(`<a href="/api/help-attachments/${first.body.id}">说明书.txt</a>`);

    expectError(await h.api('DELETE', `/api/knowledge-attachments/${added.body.id}`, { as: 'agent1' }), 403, 'knowledge.files_for_reviewers');
    expect((await h.api('DELETE', `/api/knowledge-attachments/${added.body.id}`, { as: 'lead1' })).status).toBe(204);
    expect(await attachmentHistory(added.body.id)).toEqual({
      audit: [{ action: 'delete', actorName: '李强' }, { action: 'create', actorName: '李强' }],
      events: [
        { type: 'knowledge.attachment.added', data: added.body },
        { type: 'knowledge.attachment.removed', data: added.body },
      ],
    });
    await h.api('PATCH', `/api/knowledge-articles/${id}`, { as: 'lead1', body: { visibility: 'internal' } });
    expect((await h.kefu.app.inject({ method: 'GET', url: `/api/help-attachments/${first.body.id}` })).statusCode).toBe(404);
  });
});
