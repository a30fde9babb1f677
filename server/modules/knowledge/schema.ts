import { sql } from 'drizzle-orm';
import { boolean, customType, index, integer, jsonb, pgTable, text, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { at, id } from '../../db/columns.ts';

/** PostgreSQL full-text document; written from app-side jieba terms (platform/text), read only in SQL. */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** K1: folders of the knowledge base, one level of nesting under a parent. */
export const kbCategories = pgTable(
  'kb_categories',
  {
    id: id(),
    name: text().notNull(),
    parentId: uuid(),
    position: integer().notNull().default(0),
    createdAt: at().notNull(),
    updatedAt: at().notNull(),
  },
  (t) => [unique('kb_categories_name_key').on(t.parentId, t.name).nullsNotDistinct()],
);

/**
 * K1: an article, manual or past case. What readers and search see is its published version,
 * copied here (title, search terms) when a version is published; drafts live in kb_article_versions.
 */
export const kbArticles = pgTable(
  'kb_articles',
  {
    id: id(),
    /** KB-number shown to people and quoted in replies. */
    number: integer().generatedAlwaysAsIdentity({ startWith: 1001 }).notNull(),
    type: text().notNull(),
    visibility: text().notNull(),
    categoryId: uuid(),
    /** Problem type code of the active policy: the workspace suggests the article for such conversations. */
    problemType: text(),
    status: text().notNull(),
    title: text().notNull(),
    publishedVersionId: uuid(),
    publishedAt: at(),
    search: tsvector(),
    /** The title's terms alone: title matches are always ranked, however common the word (search.ts). */
    titleSearch: tsvector(),
    /** TERMS_FINGERPRINT the search columns were made with; another one means they are re-indexed. */
    indexedWith: text(),
    /** K3: the solved conversation the article was drafted from. */
    sourceConversationId: uuid(),
    createdBy: uuid(),
    createdAt: at().notNull(),
    updatedAt: at().notNull(),
    archivedAt: at(),
  },
  (t) => [
    uniqueIndex('kb_articles_number_key').on(t.number),
    index('kb_articles_search_idx').using('gin', t.search),
    index('kb_articles_title_search_idx').using('gin', t.titleSearch),
    index('kb_articles_published_at_idx').on(t.publishedAt).where(sql`status = 'published'`),
    index('kb_articles_category_idx').on(t.categoryId),
    index('kb_articles_problem_type_idx').on(t.problemType).where(sql`status = 'published'`),
  ],
);

/** K1: every version of an article, reviewed before it is published (author → reviewer → published). */
export const kbArticleVersions = pgTable(
  'kb_article_versions',
  {
    id: id(),
    articleId: uuid().notNull(),
    version: integer().notNull(),
    status: text().notNull(),
    title: text().notNull(),
    body: text().notNull(),
    note: text(),
    authorId: uuid(),
    submittedAt: at(),
    reviewerId: uuid(),
    reviewedAt: at(),
    reviewComment: text(),
    /** Every review of this version, oldest first: a rejection's comment stays after a later approval. */
    reviews: jsonb().$type<Array<{ decision: 'approve' | 'reject'; comment: string | null; reviewerId: string | null; at: string }>>().notNull().default([]),
    publishedAt: at(),
    createdAt: at().notNull(),
    updatedAt: at().notNull(),
  },
  (t) => [
    uniqueIndex('kb_article_versions_version_key').on(t.articleId, t.version),
    // One version at a time is being written or reviewed.
    uniqueIndex('kb_article_versions_open_key').on(t.articleId).where(sql`status in ('draft', 'in_review')`),
    index('kb_article_versions_status_idx').on(t.status),
  ],
);

/** K1: files of an article (a manual's PDF, a wiring diagram); shown with every version, public with a public article. */
export const kbAttachments = pgTable(
  'kb_attachments',
  {
    id: id(),
    articleId: uuid().notNull(),
    fileName: text().notNull(),
    contentType: text().notNull(),
    size: integer().notNull(),
    sha256: text().notNull(),
    storageKey: text().notNull(),
    uploadedBy: uuid(),
    createdAt: at().notNull(),
  },
  (t) => [index('kb_attachments_article_idx').on(t.articleId)],
);

/** K2: every search, so searches that found nothing are listed as knowledge gaps. */
export const kbSearches = pgTable(
  'kb_searches',
  {
    id: id(),
    at: at().notNull(),
    query: text().notNull(),
    /** The query's terms, space-separated: searches worded alike count as one gap. */
    terms: text().notNull(),
    results: integer().notNull(),
    source: text().notNull(),
    staffId: uuid(),
    /** A chat-widget visitor (channels/chat visitorIdOf): what they read before asking, for deflection. */
    visitorId: text(),
    conversationId: uuid(),
  },
  (t) => [index('kb_searches_gaps_idx').on(t.at).where(sql`results = 0`)],
);

/** K2/issue 6 §4: a customer opened a public article (help centre or chat widget); `resolved` when they said it answered them in the chat widget. */
export const kbArticleViews = pgTable(
  'kb_article_views',
  {
    id: id(),
    at: at().notNull(),
    articleId: uuid().notNull(),
    source: text().notNull(),
    visitorId: text(),
    searchId: uuid(),
    resolved: boolean().notNull().default(false),
    /** The reader's answer to "这篇文章有帮助吗？"; null until they give one (they may change it). */
    helpful: boolean(),
  },
  (t) => [index('kb_article_views_at_idx').on(t.at), index('kb_article_views_article_idx').on(t.articleId)],
);
