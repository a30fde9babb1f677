import { Type, type Static } from '@sinclair/typebox';
import { Literals, Nullable, Timestamp, Uuid, iso, isoOrNull } from '../../platform/http/schemas.ts';
import type { kbArticleVersions, kbArticles, kbCategories } from './schema.ts';

export const ARTICLE_TYPES = ['article', 'manual', 'case'] as const;
export const VISIBILITIES = ['internal', 'public'] as const;
/** An article is a draft until its first version is published; archived ones leave search. */
export const ARTICLE_STATUSES = ['draft', 'published', 'archived'] as const;
/** draft → in_review → published; a rejected version returns to draft with the reviewer's comment. */
export const VERSION_STATUSES = ['draft', 'in_review', 'published', 'superseded'] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];
export const VERSION_STATUS_LABELS: Record<VersionStatus, string> = { draft: '草稿', in_review: '审核中', published: '已发布', superseded: '已被新版本取代' };

export const ArticleTypeSchema = Literals(ARTICLE_TYPES, 'article 文章 / manual 手册 / case 案例');
export const VisibilitySchema = Literals(VISIBILITIES, 'internal 仅内部 / public 对客户公开（帮助中心、聊天窗口）');

export const CategoryView = Type.Object(
  { id: Uuid, name: Type.String(), parentId: Nullable(Uuid), position: Type.Integer(), createdAt: Timestamp, updatedAt: Timestamp },
  { title: 'KnowledgeCategory' },
);

export const VersionSummaryView = Type.Object(
  {
    id: Uuid,
    articleId: Uuid,
    version: Type.Integer(),
    status: Literals(VERSION_STATUSES, 'draft 草稿 / in_review 审核中 / published 已发布 / superseded 已被新版本取代'),
    title: Type.String(),
    note: Nullable(Type.String()),
    authorId: Nullable(Uuid),
    submittedAt: Nullable(Timestamp),
    reviewerId: Nullable(Uuid),
    reviewedAt: Nullable(Timestamp),
    reviewComment: Nullable(Type.String({ description: '最近一次审核的意见；被驳回的版本回到草稿并带此意见' })),
    reviews: Type.Array(
      Type.Object({ decision: Literals(['approve', 'reject'] as const), comment: Nullable(Type.String()), reviewerId: Nullable(Uuid), at: Timestamp }),
      { description: '本版本的全部审核记录（先后顺序）' },
    ),
    publishedAt: Nullable(Timestamp),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'KnowledgeVersionSummary' },
);
export const VersionView = Type.Composite([VersionSummaryView, Type.Object({ body: Type.String() })], { title: 'KnowledgeVersion' });

export const ArticleView = Type.Object(
  {
    id: Uuid,
    number: Type.Integer({ description: '知识编号，显示为 KB-number' }),
    type: ArticleTypeSchema,
    visibility: VisibilitySchema,
    categoryId: Nullable(Uuid),
    problemType: Nullable(Type.String({ description: '问题类型编码：工作台按会话的问题类型推荐' })),
    status: Literals(ARTICLE_STATUSES, 'draft 未发布 / published 已发布 / archived 已归档'),
    title: Type.String({ description: '已发布版本的标题；未发布时为草稿标题' }),
    publishedVersionId: Nullable(Uuid),
    publishedAt: Nullable(Timestamp),
    sourceConversationId: Nullable(Uuid),
    createdBy: Nullable(Uuid),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    archivedAt: Nullable(Timestamp),
  },
  { title: 'KnowledgeArticle' },
);
export const ArticleDetailView = Type.Composite(
  [
    ArticleView,
    Type.Object({
      published: Nullable(VersionView),
      /** The version being written or reviewed. */
      open: Nullable(VersionView),
      attachments: Type.Array(Type.Object({ id: Uuid, articleId: Uuid, fileName: Type.String(), contentType: Type.String(), size: Type.Integer(), uploadedBy: Nullable(Uuid), createdAt: Timestamp })),
    }),
  ],
  { title: 'KnowledgeArticleDetail' },
);

/** Text with the query's words marked; structured so no text can inject markup. */
export const Highlighted = Type.Array(Type.Object({ text: Type.String(), hit: Type.Boolean() }));

export const SearchHitView = Type.Object(
  {
    article: ArticleView,
    title: Highlighted,
    snippet: Highlighted,
    score: Type.Number(),
  },
  { title: 'KnowledgeSearchHit' },
);
export const SearchResultView = Type.Object(
  {
    searchId: Uuid,
    data: Type.Array(SearchHitView),
    match: Literals(['all', 'any', 'none'] as const, 'all 含全部词 / any 无完全匹配时，含部分词的结果 / none 查询中没有可搜索的词'),
    terms: Type.Array(Type.String(), { description: '分词后的查询词（已转为简体、去除虚词）' }),
  },
  { title: 'KnowledgeSearchResult' },
);

export const SuggestionsView = Type.Object(
  {
    data: Type.Array(SearchHitView),
    basis: Literals(['message', 'problem_type', 'none'] as const, 'message 按客户最后一条消息（同问题类型优先）/ problem_type 消息没有匹配时，该问题类型的最新文章 / none 没有建议'),
    terms: Type.Array(Type.String(), { description: '客户最后一条消息的分词' }),
  },
  { title: 'KnowledgeSuggestions' },
);

export const PublicArticleSummaryView = Type.Object(
  { id: Uuid, number: Type.Integer(), type: ArticleTypeSchema, categoryId: Nullable(Uuid), title: Type.String(), publishedAt: Timestamp },
  { title: 'HelpArticleSummary' },
);
export const PublicArticleView = Type.Composite(
  [
    PublicArticleSummaryView,
    Type.Object({
      body: Type.String(),
      attachments: Type.Array(Type.Object({ id: Uuid, fileName: Type.String(), contentType: Type.String(), size: Type.Integer() })),
    }),
  ],
  { title: 'HelpArticle' },
);
export const PublicSearchHitView = Type.Object(
  { article: PublicArticleSummaryView, title: Highlighted, snippet: Highlighted },
  { title: 'HelpSearchHit' },
);
export const PublicSearchResultView = Type.Object(
  {
    searchId: Type.String({ format: 'uuid', description: '打开结果时随浏览记录提交，用于统计分流' }),
    data: Type.Array(PublicSearchHitView),
    match: Literals(['all', 'any', 'none'] as const),
    terms: Type.Array(Type.String()),
  },
  { title: 'HelpSearchResult' },
);
export const DeflectionView = Type.Object(
  {
    widgetSearches: Type.Integer({ description: '聊天窗口中的搜索次数' }),
    readers: Type.Integer({ description: '打开过文章的访客数' }),
    deflected: Type.Integer({ description: '读后表示已解决，或 30 分钟内没有发起会话的访客数' }),
    askedAfterReading: Type.Integer({ description: '读后 30 分钟内仍发起会话的访客数' }),
    pending: Type.Integer({ description: '最后一次阅读不足 30 分钟、尚无结论的访客数' }),
    rate: Nullable(Type.Number({ description: 'deflected / (deflected + askedAfterReading)' })),
  },
  { title: 'KnowledgeDeflection' },
);

export const ReaderStatisticsView = Type.Object(
  {
    views: Type.Integer({ description: '客户打开文章的次数（帮助中心与聊天窗口）' }),
    recentViews: Type.Integer({ description: '最近 days 天内的打开次数' }),
    days: Type.Integer(),
    helpful: Type.Integer({ description: '回答“有帮助”的次数' }),
    notHelpful: Type.Integer({ description: '回答“没帮助”的次数' }),
    helpfulRate: Nullable(Type.Number({ description: 'helpful / (helpful + notHelpful)；没有人回答时为 null' })),
    solvedInChat: Type.Integer({ description: '聊天窗口中读后点“问题已解决”的次数' }),
  },
  { title: 'KnowledgeReaderStatistics' },
);

export const GapView = Type.Object(
  {
    terms: Type.String({ description: '分词后的查询，措辞相近的搜索合并为一个缺口' }),
    example: Type.String({ description: '最近一次的原始查询' }),
    searches: Type.Integer(),
    lastAt: Timestamp,
  },
  { title: 'KnowledgeGap' },
);

export const DiffView = Type.Object(
  {
    from: Type.Integer({ description: '对比的旧版本号' }),
    to: Type.Integer(),
    title: Type.Array(Type.Object({ text: Type.String(), change: Literals(['same', 'added', 'removed'] as const) })),
    body: Type.Array(Type.Object({ text: Type.String(), change: Literals(['same', 'added', 'removed'] as const) })),
  },
  { title: 'KnowledgeDiff' },
);

export type CategoryRow = typeof kbCategories.$inferSelect;
export type ArticleRow = typeof kbArticles.$inferSelect;
export type VersionRow = typeof kbArticleVersions.$inferSelect;

export function categoryView(r: CategoryRow): Static<typeof CategoryView> {
  return { ...r, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) };
}

export function articleView(r: ArticleRow): Static<typeof ArticleView> {
  const { search: _search, ...rest } = r;
  return {
    ...rest,
    type: r.type as Static<typeof ArticleTypeSchema>,
    visibility: r.visibility as Static<typeof VisibilitySchema>,
    status: r.status as (typeof ARTICLE_STATUSES)[number],
    publishedAt: isoOrNull(r.publishedAt),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    archivedAt: isoOrNull(r.archivedAt),
  };
}

export function versionSummaryView(r: VersionRow): Static<typeof VersionSummaryView> {
  const { body: _body, ...rest } = r;
  return {
    ...rest,
    status: r.status as VersionStatus,
    submittedAt: isoOrNull(r.submittedAt),
    reviewedAt: isoOrNull(r.reviewedAt),
    publishedAt: isoOrNull(r.publishedAt),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

export function versionView(r: VersionRow): Static<typeof VersionView> {
  return { ...versionSummaryView(r), body: r.body };
}
