import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors.ts';
import type { FileStore } from '../../platform/files/store.ts';
import { downloadHeaders, readUpload } from '../../platform/files/upload.ts';
import { KnowledgeAttachmentView, deleteArticleAttachment, readArticleAttachment, uploadArticleAttachment } from './attachments.ts';
import { answerAnyOrigin } from '../../platform/http/cors.ts';
import { VISITOR_HEADER } from '../channels/chat/routes.ts';
import { visitorIdOf } from '../channels/chat/service.ts';
import { currentPolicy } from '../policy/service.ts';
import { deflections, getPublicArticle, listPublicArticles, listPublicCategories, readerStatistics, recordVote, recordView, searchPublic } from './help.ts';
import { articlePage, homePage, notFoundPage, searchPage } from './help-page.ts';
import type { App } from '../../platform/http/app-types.ts';
import { DEFAULT_LIMIT, MAX_LIMIT, Page, PageQuery, afterIdOf, decodeCursor, idPage, isPositiveInt, toPage } from '../../platform/http/pagination.ts';
import { Body, IdParams, Literals, Optional, Query, Text, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import * as knowledge from './service.ts';
import { draftFromConversation } from './cases.ts';
import { knowledgeGaps, searchArticles, suggestForConversation } from './search.ts';
import {
  ARTICLE_STATUSES,
  ArticleDetailView,
  ArticleTypeSchema,
  ArticleView,
  CategoryView,
  DeflectionView,
  DiffView,
  GapView,
  PublicArticleSummaryView,
  PublicArticleView,
  PublicSearchResultView,
  ReaderStatisticsView,
  SearchResultView,
  SuggestionsView,
  VersionSummaryView,
  VersionView,
  VisibilitySchema,
  articleView,
  categoryView,
  versionSummaryView,
} from './views.ts';

const tags = ['知识库 Knowledge'];
const TITLE = 200;
/** An article of about a hundred pages; longer manuals are attachments. */
const BODY = 200_000;
/** A question, or a customer's message pasted whole; longer input is refused rather than cut silently. */
const QUERY = 2000;

const ProblemType = Text(64, '问题类型编码（制度 problemTypes）');
const VersionParams = Body({ id: Uuid, version: Type.Integer({ minimum: 1 }) });

const CreateArticle = Body({
  type: ArticleTypeSchema,
  visibility: VisibilitySchema,
  categoryId: Optional(Uuid),
  problemType: Optional(ProblemType),
  title: Text(TITLE),
  body: Text(BODY, '正文（Markdown）'),
  note: Optional(Text(1000, '修订说明')),
});
const UpdateArticle = Body(
  { type: Type.Optional(ArticleTypeSchema), visibility: Type.Optional(VisibilitySchema), categoryId: Optional(Uuid), problemType: Optional(ProblemType) },
  { minProperties: 1 },
);
const VersionInput = { title: Type.Optional(Text(TITLE)), body: Type.Optional(Text(BODY)), note: Optional(Text(1000, '修订说明')) };

export function knowledgeRoutes(app: App, deps: { files: FileStore }): void {
  helpRoutes(app, deps.files);

  // ----- categories -----
  app.get(
    '/api/knowledge-categories',
    { config: { access: 'knowledge.read' }, schema: { tags, summary: '知识分类（创建顺序；界面按 position 排列）', querystring: Query(PageQuery), response: { 200: Page(CategoryView) } } },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      return idPage(await knowledge.listCategories(req.ctx, { afterId: afterIdOf(req.query.cursor), limit }), limit, categoryView);
    },
  );
  app.post(
    '/api/knowledge-categories',
    {
      config: { access: 'knowledge.review' },
      schema: { tags, summary: '新建知识分类（最多两级）', body: Body({ name: Text(50), parentId: Optional(Uuid), position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })) }), response: { 201: CategoryView } },
    },
    async (req, reply) => reply.status(201).send(await knowledge.createCategory(req.ctx, req.body)),
  );
  app.patch(
    '/api/knowledge-categories/:id',
    {
      config: { access: 'knowledge.review' },
      schema: {
        tags,
        summary: '修改知识分类',
        params: IdParams,
        body: Body({ name: Type.Optional(Text(50)), parentId: Optional(Uuid), position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })) }, { minProperties: 1 }),
        response: { 200: CategoryView },
      },
    },
    async (req) => knowledge.updateCategory(req.ctx, req.params.id, req.body),
  );
  app.delete(
    '/api/knowledge-categories/:id',
    { config: { access: 'knowledge.review' }, schema: { tags, summary: '删除空的知识分类', params: IdParams, response: { 204: Type.Null() } } },
    async (req, reply) => {
      await knowledge.deleteCategory(req.ctx, req.params.id);
      return reply.status(204).send(null);
    },
  );

  // ----- search -----
  app.get(
    '/api/knowledge-searches',
    {
      config: { access: 'knowledge.read' },
      schema: {
        tags,
        summary: '搜索知识库（K2）：中文分词、繁简归一、同义词，标题优先、新文章优先，高亮摘要',
        description:
          '查询经 jieba 分词（含领域词典），转为简体，去除虚词；每个词（或其同义词）都须出现。没有完全匹配时返回含部分词的结果（match = any）。每次搜索都会记录，无结果的搜索列为知识缺口（GET /api/knowledge-gaps）。',
        querystring: Query({
          q: Type.String({ maxLength: QUERY, description: '查询；空或只有符号时 match = none' }),
          type: Type.Optional(ArticleTypeSchema),
          categoryId: Type.Optional(Uuid),
          problemType: Type.Optional(ProblemType),
          conversationId: Type.Optional(Type.String({ format: 'uuid', description: '为哪个会话查找（记入搜索记录）' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 10 })),
        }),
        response: { 200: SearchResultView },
      },
    },
    async (req) => searchArticles(req.ctx, { ...req.query, limit: req.query.limit ?? 10, audience: 'staff', source: req.ctx.actor.type === 'api_token' ? 'api' : 'console' }),
  );
  app.get(
    '/api/knowledge-gaps',
    {
      config: { access: 'knowledge.review' },
      schema: {
        tags,
        summary: '知识缺口（K2）：没有结果的搜索，措辞相近的合并，搜索次数多的在前',
        description: '区间为搜索时间 [from, to)，不填则不限。',
        querystring: Query({ from: Type.Optional(Timestamp), to: Type.Optional(Timestamp), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })) }),
        response: { 200: Type.Object({ data: Type.Array(GapView) }) },
      },
    },
    async (req) => ({ data: await knowledgeGaps(req.ctx, { ...req.query, limit: req.query.limit ?? 50 }) }),
  );

  // ----- articles -----
  app.get(
    '/api/knowledge-articles',
    {
      config: { access: 'knowledge.read' },
      schema: {
        tags,
        summary: '知识文章列表（最新在前）',
        querystring: Query({
          ...PageQuery,
          status: Type.Optional(Literals(ARTICLE_STATUSES)),
          type: Type.Optional(ArticleTypeSchema),
          visibility: Type.Optional(VisibilitySchema),
          categoryId: Type.Optional(Uuid),
          problemType: Type.Optional(ProblemType),
          inReview: Type.Optional(Type.Boolean({ description: 'true 只看有版本待审核的（审核人的待办）' })),
        }),
        response: { 200: Page(ArticleView) },
      },
    },
    async (req) => {
      const { cursor, limit = DEFAULT_LIMIT, ...filter } = req.query;
      return idPage(await knowledge.listArticles(req.ctx, { ...filter, beforeId: afterIdOf(cursor), limit }), limit, articleView);
    },
  );
  app.post(
    '/api/knowledge-articles',
    {
      config: { access: 'knowledge.write' },
      schema: {
        tags,
        summary: '新建知识文章（K1）：文章、手册或案例，以草稿 v1 开始，审核通过后发布',
        body: CreateArticle,
        response: { 201: ArticleDetailView },
      },
    },
    async (req, reply) => reply.status(201).send(await knowledge.createArticle(req.ctx, req.body)),
  );
  app.get(
    '/api/knowledge-articles/:id',
    { config: { access: 'knowledge.read' }, schema: { tags, summary: '知识文章：已发布版本与正在编写/审核的版本', params: IdParams, response: { 200: ArticleDetailView } } },
    async (req) => knowledge.getArticle(req.ctx, req.params.id),
  );
  app.patch(
    '/api/knowledge-articles/:id',
    {
      config: { access: 'knowledge.review' },
      schema: { tags, summary: '修改文章类型、可见范围（内部/公开）、分类、问题类型', description: '立即生效（公开范围影响帮助中心），因此只有审核人可以修改。', params: IdParams, body: UpdateArticle, response: { 200: ArticleDetailView } },
    },
    async (req) => knowledge.updateArticle(req.ctx, req.params.id, req.body),
  );
  app.get(
    '/api/knowledge-articles/:id/statistics',
    {
      config: { access: 'knowledge.read' },
      schema: {
        tags,
        summary: '读者反馈：客户打开次数、“有帮助/没帮助”的回答、聊天窗口中读后已解决的次数',
        params: IdParams,
        querystring: Query({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, description: '近期的天数，默认 30' })) }),
        response: { 200: ReaderStatisticsView },
      },
    },
    async (req) => readerStatistics(req.ctx, req.params.id, req.query.days ?? 30),
  );
  app.post(
    '/api/knowledge-articles/:id/archivals',
    {
      config: { access: 'knowledge.review' },
      schema: { tags, summary: '归档文章：不再出现在搜索与帮助中心，历史版本保留', params: IdParams, body: Body({ reason: Text(500, '归档原因（记入审计）') }), response: { 201: ArticleDetailView } },
    },
    async (req, reply) => reply.status(201).send(await knowledge.archiveArticle(req.ctx, req.params.id, req.body.reason)),
  );

  app.get(
    '/api/conversations/:id/knowledge-suggestions',
    {
      config: { access: 'knowledge.read' },
      schema: {
        tags,
        summary: '工作台的知识推荐（K2）：按客户最后一条消息，同问题类型的文章优先',
        description: '客户还没说话或消息没有匹配时，列出会话问题类型的最新文章。会话须本人可见（否则 404）。推荐不记入搜索记录。',
        params: IdParams,
        querystring: Query({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 5 })) }),
        response: { 200: SuggestionsView },
      },
    },
    async (req) => suggestForConversation(req.ctx, req.params.id, req.query.limit ?? 5),
  );
  app.post(
    '/api/conversations/:id/articles',
    {
      config: { access: 'knowledge.write' },
      schema: {
        tags,
        summary: '由已解决的会话生成案例草稿（K3）：问题记录与处理经过，去除客户个人信息',
        description: '会话须为已解决或已关闭，且本人可见（否则 404）。客户档案中的姓名、电话、邮箱、街道地址，以及形如手机号、固定电话、身份证号、邮箱的文字都被替换为【客户】【电话】【证件号】【邮箱】【地址】。草稿之后照常提交审核。',
        params: IdParams,
        response: { 201: ArticleDetailView },
      },
    },
    async (req, reply) => reply.status(201).send(await draftFromConversation(req.ctx, req.params.id)),
  );

  // ----- attachments (K1) -----
  app.post(
    '/api/knowledge-articles/:id/attachments',
    {
      config: { access: 'knowledge.write' },
      schema: {
        tags,
        summary: '上传文章附件（multipart，字段 file；类型由服务器识别）',
        description: '附件属于文章（各版本共用），立即对读者可见：已发布的文章只有审核人可以增删附件（403 knowledge.files_for_reviewers），作者在首次发布前可以。',
        params: IdParams,
        consumes: ['multipart/form-data'],
        response: { 201: KnowledgeAttachmentView },
      },
    },
    async (req, reply) => reply.status(201).send(await uploadArticleAttachment(req.ctx, deps.files, req.params.id, await readUpload(req, deps.files.maxBytes))),
  );
  app.get(
    '/api/knowledge-attachments/:id',
    { config: { access: 'knowledge.read' }, schema: { tags, summary: '下载文章附件', params: IdParams } },
    async (req, reply) => {
      const { file, bytes } = await readArticleAttachment(req.ctx.db, deps.files, req.params.id, false);
      return reply.headers(downloadHeaders(file.contentType, file.fileName)).send(bytes);
    },
  );
  app.delete(
    '/api/knowledge-attachments/:id',
    { config: { access: 'knowledge.write' }, schema: { tags, summary: '删除文章附件（规则同上传）', params: IdParams, response: { 204: Type.Null() } } },
    async (req, reply) => {
      await deleteArticleAttachment(req.ctx, req.params.id);
      return reply.status(204).send(null);
    },
  );

  // ----- versions -----
  app.get(
    '/api/knowledge-articles/:id/versions',
    { config: { access: 'knowledge.read' }, schema: { tags, summary: '文章的版本（新版本在前）', params: IdParams, querystring: Query(PageQuery), response: { 200: Page(VersionSummaryView) } } },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      const rows = await knowledge.listVersions(req.ctx, req.params.id, { beforeVersion: decodeCursor(req.query.cursor, isPositiveInt), limit });
      return toPage(rows, limit, versionSummaryView, (r) => r.version);
    },
  );
  app.post(
    '/api/knowledge-articles/:id/versions',
    {
      config: { access: 'knowledge.write' },
      schema: {
        tags,
        summary: '起草新版本（从已发布版本复制），发布前读者仍看到原版本',
        description: '同一时间只能有一个草稿或审核中的版本（409 knowledge.open_version_exists）。',
        params: IdParams,
        body: Body(VersionInput),
        response: { 201: VersionView },
      },
    },
    async (req, reply) => reply.status(201).send(await knowledge.createVersion(req.ctx, req.params.id, req.body)),
  );
  app.get(
    '/api/knowledge-articles/:id/versions/:version',
    { config: { access: 'knowledge.read' }, schema: { tags, summary: '某个版本的全文', params: VersionParams, response: { 200: VersionView } } },
    async (req) => knowledge.getVersion(req.ctx, req.params.id, req.params.version),
  );
  app.patch(
    '/api/knowledge-articles/:id/versions/:version',
    {
      config: { access: 'knowledge.write' },
      schema: { tags, summary: '修改草稿（作者或审核人）', params: VersionParams, body: Body(VersionInput, { minProperties: 1 }), response: { 200: VersionView } },
    },
    async (req) => knowledge.updateVersion(req.ctx, req.params.id, req.params.version, req.body),
  );
  app.get(
    '/api/knowledge-articles/:id/versions/:version/changes',
    {
      config: { access: 'knowledge.read' },
      schema: {
        tags,
        summary: '版本差异：按中文词语标出增删',
        params: VersionParams,
        querystring: Query({ against: Type.Optional(Type.Integer({ minimum: 1, description: '对比的版本号，默认前一版本' })) }),
        response: { 200: DiffView },
      },
    },
    async (req) => knowledge.diffVersions(req.ctx, req.params.id, req.params.version, req.query.against),
  );
  app.post(
    '/api/knowledge-articles/:id/versions/:version/submissions',
    { config: { access: 'knowledge.write' }, schema: { tags, summary: '提交审核', params: VersionParams, response: { 201: VersionView } } },
    async (req, reply) => reply.status(201).send(await knowledge.submitVersion(req.ctx, req.params.id, req.params.version)),
  );
  app.post(
    '/api/knowledge-articles/:id/versions/:version/reviews',
    {
      config: { access: 'knowledge.review' },
      schema: {
        tags,
        summary: '审核：通过即发布，驳回则退回草稿并附意见',
        description: '不能审核自己编写的版本（403 knowledge.own_version）。驳回须填写意见。',
        params: VersionParams,
        body: Body({ decision: Literals(['approve', 'reject'] as const, 'approve 通过并发布 / reject 驳回'), comment: Optional(Text(1000, '审核意见；驳回时必填')) }),
        response: { 201: VersionView },
      },
    },
    async (req, reply) => reply.status(201).send(await knowledge.reviewVersion(req.ctx, req.params.id, req.params.version, req.body)),
  );
}

const visitorOfRequest = (req: FastifyRequest) => {
  const raw = req.headers[VISITOR_HEADER];
  return visitorIdOf(Array.isArray(raw) ? raw[0] : raw);
};
const helpTags = ['帮助中心 Help centre'];
const PublicSearchQuery = Query({
  q: Type.String({ maxLength: QUERY, description: '查询；空或只有符号时 match = none' }),
  categoryId: Type.Optional(Uuid),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 10 })),
});

/**
 * Issue 6 §4: what customers reach without signing in — public, published articles only. The chat
 * widget calls the API from the customer's site, so it answers to any origin; with the visitor's
 * token (X-Kefu-Visitor) searches and views count towards deflection.
 */
function helpRoutes(app: App, files: FileStore): void {
  app.get(
    '/api/help-articles',
    { config: { access: 'public' }, schema: { tags: helpTags, summary: '公开的帮助文章（最新在前）', querystring: Query({ ...PageQuery, categoryId: Type.Optional(Uuid) }), response: { 200: Page(PublicArticleSummaryView) } } },
    async (req) => {
      const { cursor, limit = DEFAULT_LIMIT, categoryId } = req.query;
      return idPage(await listPublicArticles(req.ctx.db, { categoryId, beforeId: afterIdOf(cursor), limit }), limit, (a) => a);
    },
  );
  app.get('/help', { config: { access: 'public' }, schema: { hide: true, querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: QUERY })) }) } }, async (req, reply) => {
    reply.type('text/html; charset=utf-8');
    const q = req.query.q?.trim();
    if (q) {
      const result = await searchPublic(req.ctx, { q, limit: 20, visitorId: null });
      return searchPage(q, result.data, result.match === 'any');
    }
    const [categories, articles] = await Promise.all([listPublicCategories(req.ctx.db), listPublicArticles(req.ctx.db, { limit: MAX_LIMIT })]);
    const named = new Map(categories.map((c) => [c.id, c.name]));
    const groups = new Map<string | null, Array<{ number: number; title: string }>>();
    for (const a of articles.slice(0, MAX_LIMIT)) groups.set(a.categoryId, [...(groups.get(a.categoryId) ?? []), a]);
    return homePage([...groups].map(([id, list]) => ({ id, name: (id && named.get(id)) || '常见问题', articles: list })));
  });
  app.get(
    '/help/articles/:number',
    { config: { access: 'public' }, schema: { hide: true, params: Type.Object({ number: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) }) } },
    async (req, reply) => {
      reply.type('text/html; charset=utf-8');
      try {
        const article = await getPublicArticle(req.ctx.db, { number: req.params.number });
        return articlePage(article, (await currentPolicy(req.ctx.db)).organisation.timezone.value);
      } catch (err) {
        if (!(err instanceof AppError) || err.status !== 404) throw err;
        return reply.status(404).send(notFoundPage());
      }
    },
  );

  app.register(async (plugin) => {
    answerAnyOrigin(plugin, [VISITOR_HEADER, 'content-type']);
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const preflight = { config: { access: 'public' as const }, schema: { tags: helpTags, summary: 'CORS 预检（浏览器自动发送）' } };
    scope.options('/api/help-searches', preflight, async (_req, reply) => reply.status(204).send());
    scope.options('/api/help-articles/:id/views', preflight, async (_req, reply) => reply.status(204).send());
    scope.options('/api/help-articles/:id/views/:viewId/votes', preflight, async (_req, reply) => reply.status(204).send());
    scope.get(
      '/api/help-articles/:id',
      { config: { access: 'public' }, schema: { tags: helpTags, summary: '一篇公开的帮助文章（内部文章为 404）', params: IdParams, response: { 200: PublicArticleView } } },
      async (req) => getPublicArticle(req.ctx.db, { id: req.params.id }),
    );
    scope.get(
      '/api/help-attachments/:id',
      { config: { access: 'public' }, schema: { tags: helpTags, summary: '下载公开文章的附件（内部文章的附件为 404）', params: IdParams } },
      async (req, reply) => {
        const { file, bytes } = await readArticleAttachment(req.ctx.db, files, req.params.id, true);
        return reply.headers(downloadHeaders(file.contentType, file.fileName)).send(bytes);
      },
    );
    scope.get(
      '/api/help-searches',
      {
        config: { access: 'public' },
        schema: {
          tags: helpTags,
          summary: '搜索公开的帮助文章（帮助中心与聊天窗口在转人工前调用）',
          description: '分词、归一、同义词与排序同 GET /api/knowledge-searches，只含公开文章。带访客令牌（X-Kefu-Visitor）时记为聊天窗口的搜索，用于统计分流。',
          querystring: PublicSearchQuery,
          response: { 200: PublicSearchResultView },
        },
      },
      async (req) => {
        const { q, categoryId, limit = 10 } = req.query;
        const result = await searchPublic(req.ctx, { q, categoryId, limit, visitorId: visitorOfRequest(req) });
        return { ...result, data: result.data.map(({ article: { id, number, type, categoryId, title: name, publishedAt }, title, snippet }) => ({ article: { id, number, type, categoryId, title: name, publishedAt: publishedAt! }, title, snippet })) };
      },
    );
    scope.post(
      '/api/help-articles/:id/views',
      {
        config: { access: 'public' },
        schema: {
          tags: helpTags,
          summary: '记录客户打开了一篇公开文章；resolved = true 表示客户确认已解决问题',
          description: '带访客令牌（X-Kefu-Visitor）时计入聊天窗口的分流统计（GET /api/knowledge-deflections）。',
          params: IdParams,
          body: Body({ searchId: Type.Optional(Uuid), resolved: Type.Optional(Type.Boolean()) }),
          response: { 201: Type.Object({ id: Uuid }) },
        },
      },
      async (req, reply) => reply.status(201).send(await recordView(req.ctx, req.params.id, { ...req.body, visitorId: visitorOfRequest(req) })),
    );
    scope.post(
      '/api/help-articles/:id/views/:viewId/votes',
      {
        config: { access: 'public' },
        schema: {
          tags: helpTags,
          summary: '读者对“这篇文章有帮助吗？”的回答，针对记录浏览时得到的那次阅读；再次回答覆盖上一次',
          params: Body({ id: Uuid, viewId: Uuid }),
          body: Body({ helpful: Type.Boolean() }),
          response: { 200: Type.Object({ viewId: Uuid, helpful: Type.Boolean() }) },
        },
      },
      async (req) => recordVote(req.ctx, req.params.id, req.params.viewId, req.body.helpful),
    );
  });

  app.get(
    '/api/knowledge-deflections',
    {
      config: { access: 'knowledge.review' },
      schema: {
        tags,
        summary: '分流统计：聊天窗口中读了文章后没有转人工的访客',
        description: '按打开文章的时间 [from, to) 统计聊天窗口的访客：读后点“已解决”，或最后一次阅读后 30 分钟内没有发起会话，计为分流；不足 30 分钟的尚无结论（pending）。',
        querystring: Query({ from: Timestamp, to: Timestamp }),
        response: { 200: DeflectionView },
      },
    },
    async (req) => deflections(req.ctx, { from: new Date(req.query.from), to: new Date(req.query.to) }),
  );
}
