import { and, asc, desc, eq, gt, inArray, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { diffLines, diffWords, type ChangeObject } from 'diff';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/columns.ts';
import { can, type Ctx } from '../../platform/context.ts';
import { defineErrors } from '../../platform/errors.ts';
import { declareEventTypes, type Audience } from '../../platform/events/outbox.ts';
import { TERMS_FINGERPRINT, indexTerms } from '../../platform/text/segment.ts';
import { write, type Writer } from '../../platform/write.ts';
import { notify } from '../notifications/service.ts';
import { activeStaffWith, getIdentity } from '../org/identity.ts';
import { listArticleAttachments } from './attachments.ts';
import { kbArticleVersions, kbArticles, kbCategories } from './schema.ts';
import {
  ArticleView,
  CategoryView,
  VERSION_STATUS_LABELS,
  VersionSummaryView,
  articleView,
  categoryView,
  versionView,
  type ArticleRow,
  type VersionRow,
  type VersionStatus,
} from './views.ts';

export const KnowledgeError = defineErrors('knowledge', {
  article_not_found: [404, { 'zh-CN': '知识文章不存在', 'zh-TW': '知識文章不存在', en: 'Knowledge article not found' }],
  version_not_found: [404, { 'zh-CN': '该文章没有版本 v{version}', 'zh-TW': '該文章沒有版本 v{version}', en: 'The article has no version v{version}' }],
  category_not_found: [404, { 'zh-CN': '知识分类不存在', 'zh-TW': '知識分類不存在', en: 'Knowledge category not found' }],
  category_exists: [409, { 'zh-CN': '同一上级下已有名为“{name}”的分类', 'zh-TW': '同一上層已有名為「{name}」的分類', en: 'A category named "{name}" already exists there' }],
  category_not_empty: [409, { 'zh-CN': '分类下还有文章或子分类，不能删除', 'zh-TW': '分類下還有文章或子分類，不能刪除', en: 'The category still holds articles or subcategories' }],
  category_too_deep: [400, { 'zh-CN': '分类最多两级：上级分类本身不能有上级', 'zh-TW': '分類最多兩級：上層分類本身不能有上層', en: 'Categories nest one level deep: the parent cannot have a parent' }],
  invalid_transition: [409, { 'zh-CN': '版本当前为“{status}”，不能{action}', 'zh-TW': '版本目前為「{status}」，不能{action}', en: 'A {status} version cannot be {action}' }],
  open_version_exists: [409, { 'zh-CN': '已有未发布的版本 v{version}，请先完成或修改该版本', 'zh-TW': '已有未發佈的版本 v{version}，請先完成或修改該版本', en: 'Version v{version} is still open; finish or edit it first' }],
  not_author: [403, { 'zh-CN': '只有作者或审核人可以修改此草稿', 'zh-TW': '只有作者或審核人可以修改此草稿', en: 'Only its author or a reviewer may edit this draft' }],
  comment_required: [400, { 'zh-CN': '驳回时请填写意见，让作者知道要改什么', 'zh-TW': '駁回時請填寫意見，讓作者知道要改什麼', en: 'A rejection needs a comment telling the author what to change' }],
  own_version: [403, { 'zh-CN': '不能审核自己编写的版本', 'zh-TW': '不能審核自己編寫的版本', en: 'You cannot review a version you wrote' }],
  conversation_not_solved: [409, { 'zh-CN': '会话尚未解决，不能生成案例', 'zh-TW': '會話尚未解決，不能產生案例', en: 'Only a solved conversation can become a case article' }],
  view_not_found: [404, { 'zh-CN': '没有这次阅读记录', 'zh-TW': '沒有這次閱讀記錄', en: 'No such reading of this article' }],
  attachment_not_found: [404, { 'zh-CN': '附件不存在', 'zh-TW': '附件不存在', en: 'Attachment not found' }],
  files_for_reviewers: [403, { 'zh-CN': '文章发布后，只有审核人可以增删附件', 'zh-TW': '文章發佈後，只有審核人可以增刪附件', en: 'Once an article is published, only reviewers add or remove its files' }],
  archived: [409, { 'zh-CN': '文章已归档，只读', 'zh-TW': '文章已歸檔，唯讀', en: 'The article is archived and read-only' }],
});

declareEventTypes({
  'knowledge.article.created': '知识文章已创建（首个草稿）',
  'knowledge.article.updated': '知识文章的类型、可见范围、分类或问题类型已修改',
  'knowledge.article.archived': '知识文章已归档（不再出现在搜索中）',
  'knowledge.version.drafted': '知识文章新版本草稿已创建',
  'knowledge.version.updated': '知识文章草稿已修改',
  'knowledge.version.submitted': '知识文章版本已提交审核',
  'knowledge.version.rejected': '知识文章版本被驳回',
  'knowledge.version.published': '知识文章版本已审核发布',
  'knowledge.category.changed': '知识分类已新增、修改或删除',
});

export const AUDIENCE: Audience = { permissions: ['knowledge.read'] };
const OPEN: VersionStatus[] = ['draft', 'in_review'];

// ----- categories -----

export async function listCategories(ctx: Ctx, page: { afterId?: string; limit: number }) {
  return ctx.db
    .select()
    .from(kbCategories)
    .where(page.afterId ? gt(kbCategories.id, page.afterId) : undefined)
    .orderBy(asc(kbCategories.id))
    .limit(page.limit + 1);
}

async function findCategory(db: Executor, id: string) {
  const [row] = await db.select().from(kbCategories).where(eq(kbCategories.id, id)).limit(1);
  if (!row) throw KnowledgeError('category_not_found', { field: 'categoryId' });
  return row;
}

async function assertCategoryPlace(db: Executor, id: string | null, parentId: string | null, name: string) {
  if (parentId) {
    const parent = await findCategory(db, parentId).catch(() => {
      throw KnowledgeError('category_not_found', { field: 'parentId' });
    });
    if (parent.parentId || parent.id === id) throw KnowledgeError('category_too_deep', { field: 'parentId' });
    if (id && (await db.select({ id: kbCategories.id }).from(kbCategories).where(eq(kbCategories.parentId, id)).limit(1)).length > 0) {
      throw KnowledgeError('category_too_deep', { field: 'parentId' });
    }
  }
  const [same] = await db
    .select({ id: kbCategories.id })
    .from(kbCategories)
    .where(and(parentId ? eq(kbCategories.parentId, parentId) : isNull(kbCategories.parentId), eq(kbCategories.name, name)))
    .limit(1);
  if (same && same.id !== id) throw KnowledgeError('category_exists', { field: 'name', params: { name } });
}

async function recordCategory(w: Writer, before: Parameters<typeof categoryView>[0] | null, after: Parameters<typeof categoryView>[0] | null) {
  const id = (after ?? before)!.id;
  await w.changed({
    entityType: 'knowledge_category',
    entityId: id,
    schema: CategoryView,
    before: before && categoryView(before),
    after: after && categoryView(after),
    event: 'knowledge.category.changed',
    audience: AUDIENCE,
  });
}

export async function createCategory(ctx: Ctx, input: { name: string; parentId?: string | null; position?: number }) {
  return write(ctx, async (w) => {
    const parentId = input.parentId ?? null;
    await assertCategoryPlace(w.tx, null, parentId, input.name);
    const [row] = await w.tx
      .insert(kbCategories)
      .values({ id: newId(), name: input.name, parentId, position: input.position ?? 0, createdAt: w.now, updatedAt: w.now })
      .returning();
    await recordCategory(w, null, row!);
    return categoryView(row!);
  });
}

export async function updateCategory(ctx: Ctx, id: string, input: { name?: string; parentId?: string | null; position?: number }) {
  return write(ctx, async (w) => {
    const before = await findCategory(w.tx, id);
    const next = { name: input.name ?? before.name, parentId: input.parentId !== undefined ? input.parentId : before.parentId };
    await assertCategoryPlace(w.tx, id, next.parentId, next.name);
    const [row] = await w.tx
      .update(kbCategories)
      .set({ ...next, ...(input.position !== undefined ? { position: input.position } : {}), updatedAt: w.now })
      .where(eq(kbCategories.id, id))
      .returning();
    await recordCategory(w, before, row!);
    return categoryView(row!);
  });
}

export async function deleteCategory(ctx: Ctx, id: string) {
  await write(ctx, async (w) => {
    const before = await findCategory(w.tx, id);
    const [child] = await w.tx.select({ id: kbCategories.id }).from(kbCategories).where(eq(kbCategories.parentId, id)).limit(1);
    const [article] = await w.tx.select({ id: kbArticles.id }).from(kbArticles).where(eq(kbArticles.categoryId, id)).limit(1);
    if (child || article) throw KnowledgeError('category_not_empty');
    await w.tx.delete(kbCategories).where(eq(kbCategories.id, id));
    await recordCategory(w, before, null);
  });
}

// ----- articles and versions -----

export interface ArticleInput {
  type: ArticleRow['type'];
  visibility: ArticleRow['visibility'];
  categoryId?: string | null;
  problemType?: string | null;
  title: string;
  body: string;
  note?: string | null;
}

export async function findArticle(db: Executor, id: string): Promise<ArticleRow> {
  const [row] = await db.select().from(kbArticles).where(eq(kbArticles.id, id)).limit(1);
  if (!row) throw KnowledgeError('article_not_found');
  return row;
}

async function findVersion(db: Executor, articleId: string, version: number): Promise<VersionRow> {
  const [row] = await db
    .select()
    .from(kbArticleVersions)
    .where(and(eq(kbArticleVersions.articleId, articleId), eq(kbArticleVersions.version, version)))
    .limit(1);
  if (!row) throw KnowledgeError('version_not_found', { params: { version } });
  return row;
}

async function openVersion(db: Executor, articleId: string): Promise<VersionRow | null> {
  const [row] = await db
    .select()
    .from(kbArticleVersions)
    .where(and(eq(kbArticleVersions.articleId, articleId), inArray(kbArticleVersions.status, OPEN)))
    .limit(1);
  return row ?? null;
}

async function recordArticle(w: Writer, before: ArticleRow | null, after: ArticleRow, event: string) {
  await w.changed({ entityType: 'knowledge_article', entityId: after.id, schema: ArticleView, before: before && articleView(before), after: articleView(after), event, audience: AUDIENCE });
}

async function recordVersion(w: Writer, before: VersionRow | null, after: VersionRow, event: string, reason?: string | null) {
  await w.changed({
    entityType: 'knowledge_version',
    entityId: after.id,
    schema: VersionSummaryView,
    before: before && versionView(before),
    after: versionView(after),
    event,
    audience: AUDIENCE,
    reason,
  });
}

function assertStatus(v: VersionRow, expected: VersionStatus, action: string) {
  if (v.status !== expected) throw KnowledgeError('invalid_transition', { params: { status: VERSION_STATUS_LABELS[v.status as VersionStatus] ?? v.status, action } });
}

function assertNotArchived(a: ArticleRow) {
  if (a.status === 'archived') throw KnowledgeError('archived');
}

/** Drafts are written by their author; reviewers may correct them before approving. */
function assertMayEdit(ctx: Ctx, v: VersionRow) {
  if (v.authorId !== ctx.actor.id && !can(ctx.actor, 'knowledge.review')) throw KnowledgeError('not_author');
}

/** K1: a new article is its first version, a draft; nothing is visible to readers until it is reviewed and published. */
export async function createArticle(ctx: Ctx, input: ArticleInput & { sourceConversationId?: string | null }) {
  return write(ctx, async (w) => {
    if (input.categoryId) await findCategory(w.tx, input.categoryId);
    const [article] = await w.tx
      .insert(kbArticles)
      .values({
        id: newId(),
        type: input.type,
        visibility: input.visibility,
        categoryId: input.categoryId ?? null,
        problemType: input.problemType ?? null,
        status: 'draft',
        title: input.title,
        sourceConversationId: input.sourceConversationId ?? null,
        createdBy: ctx.actor.id,
        createdAt: w.now,
        updatedAt: w.now,
      })
      .returning();
    const [version] = await w.tx
      .insert(kbArticleVersions)
      .values({ id: newId(), articleId: article!.id, version: 1, status: 'draft', title: input.title, body: input.body, note: input.note ?? null, authorId: ctx.actor.id, createdAt: w.now, updatedAt: w.now })
      .returning();
    await recordArticle(w, null, article!, 'knowledge.article.created');
    await recordVersion(w, null, version!, 'knowledge.version.drafted');
    return detail(w.tx, article!);
  });
}

async function detail(db: Executor, a: ArticleRow) {
  const [published, open] = await Promise.all([
    a.publishedVersionId ? db.select().from(kbArticleVersions).where(eq(kbArticleVersions.id, a.publishedVersionId)).then((r) => r[0] ?? null) : null,
    openVersion(db, a.id),
  ]);
  return { ...articleView(a), published: published && versionView(published), open: open && versionView(open), attachments: await listArticleAttachments(db, a.id) };
}

export async function getArticle(ctx: Ctx, id: string) {
  return detail(ctx.db, await findArticle(ctx.db, id));
}

export interface ArticleFilter {
  status?: ArticleRow['status'];
  type?: ArticleRow['type'];
  visibility?: ArticleRow['visibility'];
  categoryId?: string;
  problemType?: string;
  /** Articles with a version waiting for review (the reviewer's queue). */
  inReview?: boolean;
  beforeId?: string;
  limit: number;
}

export async function listArticles(ctx: Ctx, f: ArticleFilter) {
  const conditions: Array<SQL | undefined> = [
    f.status ? eq(kbArticles.status, f.status) : undefined,
    f.type ? eq(kbArticles.type, f.type) : undefined,
    f.visibility ? eq(kbArticles.visibility, f.visibility) : undefined,
    f.categoryId ? eq(kbArticles.categoryId, f.categoryId) : undefined,
    f.problemType ? eq(kbArticles.problemType, f.problemType) : undefined,
    f.inReview !== undefined
      ? sql`${f.inReview ? sql`` : sql`not`} exists (select 1 from ${kbArticleVersions} v where v.article_id = ${kbArticles.id} and v.status = 'in_review')`
      : undefined,
    f.beforeId ? lt(kbArticles.id, f.beforeId) : undefined,
  ];
  const rows = await ctx.db
    .select()
    .from(kbArticles)
    .where(and(...conditions))
    .orderBy(desc(kbArticles.id))
    .limit(f.limit + 1);
  return rows;
}

/** Type, visibility, category and problem type belong to the article, not a version: reviewers change them. */
export async function updateArticle(ctx: Ctx, id: string, input: Partial<Pick<ArticleInput, 'type' | 'visibility' | 'categoryId' | 'problemType'>>) {
  return write(ctx, async (w) => {
    const before = await findArticle(w.tx, id);
    assertNotArchived(before);
    if (input.categoryId) await findCategory(w.tx, input.categoryId);
    const [row] = await w.tx
      .update(kbArticles)
      .set({ ...input, updatedAt: w.now })
      .where(eq(kbArticles.id, id))
      .returning();
    await recordArticle(w, before, row!, 'knowledge.article.updated');
    return detail(w.tx, row!);
  });
}

export async function listVersions(ctx: Ctx, articleId: string, page: { beforeVersion?: number; limit: number }) {
  await findArticle(ctx.db, articleId);
  return ctx.db
    .select()
    .from(kbArticleVersions)
    .where(and(eq(kbArticleVersions.articleId, articleId), page.beforeVersion ? lt(kbArticleVersions.version, page.beforeVersion) : undefined))
    .orderBy(desc(kbArticleVersions.version))
    .limit(page.limit + 1);
}

export async function getVersion(ctx: Ctx, articleId: string, version: number) {
  return versionView(await findVersion(ctx.db, articleId, version));
}

/** A new draft of a published article, starting from the version in force (readers keep seeing it meanwhile). */
export async function createVersion(ctx: Ctx, articleId: string, input: { title?: string; body?: string; note?: string | null }) {
  return write(ctx, async (w) => {
    const article = await findArticle(w.tx, articleId);
    assertNotArchived(article);
    const open = await openVersion(w.tx, articleId);
    if (open) throw KnowledgeError('open_version_exists', { params: { version: open.version } });
    const [latest] = await w.tx.select().from(kbArticleVersions).where(eq(kbArticleVersions.articleId, articleId)).orderBy(desc(kbArticleVersions.version)).limit(1);
    const base = article.publishedVersionId ? await w.tx.select().from(kbArticleVersions).where(eq(kbArticleVersions.id, article.publishedVersionId)).then((r) => r[0]!) : latest!;
    const [row] = await w.tx
      .insert(kbArticleVersions)
      .values({
        id: newId(),
        articleId,
        version: latest!.version + 1,
        status: 'draft',
        title: input.title ?? base.title,
        body: input.body ?? base.body,
        note: input.note ?? null,
        authorId: ctx.actor.id,
        createdAt: w.now,
        updatedAt: w.now,
      })
      .returning();
    await recordVersion(w, null, row!, 'knowledge.version.drafted');
    return versionView(row!);
  });
}

export async function updateVersion(ctx: Ctx, articleId: string, version: number, input: { title?: string; body?: string; note?: string | null }) {
  return write(ctx, async (w) => {
    assertNotArchived(await findArticle(w.tx, articleId));
    const before = await findVersion(w.tx, articleId, version);
    assertStatus(before, 'draft', '修改');
    assertMayEdit(ctx, before);
    const [row] = await w.tx
      .update(kbArticleVersions)
      .set({ ...input, updatedAt: w.now })
      .where(eq(kbArticleVersions.id, before.id))
      .returning();
    if (row!.version === 1) await w.tx.update(kbArticles).set({ title: row!.title, updatedAt: w.now }).where(and(eq(kbArticles.id, articleId), eq(kbArticles.status, 'draft')));
    await recordVersion(w, before, row!, 'knowledge.version.updated');
    return versionView(row!);
  });
}

export async function submitVersion(ctx: Ctx, articleId: string, version: number) {
  return write(ctx, async (w) => {
    const article = await findArticle(w.tx, articleId);
    assertNotArchived(article);
    const before = await findVersion(w.tx, articleId, version);
    assertStatus(before, 'draft', '提交审核');
    assertMayEdit(ctx, before);
    const [row] = await w.tx
      .update(kbArticleVersions)
      .set({ status: 'in_review', submittedAt: w.now, updatedAt: w.now })
      .where(eq(kbArticleVersions.id, before.id))
      .returning();
    await recordVersion(w, before, row!, 'knowledge.version.submitted');
    await askReviewers(w, article, row!);
    return versionView(row!);
  });
}

/**
 * K1: a submitted version is announced to the reviewers of its author's department, or to every
 * reviewer when that department has none; never to its author or to whoever submitted it.
 */
async function askReviewers(w: Writer, a: ArticleRow, v: VersionRow) {
  const departmentId = v.authorId ? (await getIdentity(w.tx, v.authorId))?.departmentId : null;
  const others = (ids: string[]) => ids.filter((id) => id !== v.authorId && id !== w.ctx.actor.id);
  let reviewers = departmentId ? others(await activeStaffWith(w.tx, 'knowledge.review', departmentId)) : [];
  if (reviewers.length === 0) reviewers = others(await activeStaffWith(w.tx, 'knowledge.review'));
  await notify(w, reviewers, {
    kind: 'knowledge_review_requested',
    title: `知识文章 KB-${a.number} 待审核`,
    body: `第 ${v.version} 版「${v.title}」已提交审核。`,
    entityType: 'knowledge_article',
    entityId: a.id,
    data: { number: a.number, version: v.version },
  });
}

/** K1: the author hears the decision on their version, with the reviewer's comment. */
async function tellAuthor(w: Writer, a: ArticleRow, v: VersionRow, decision: 'approve' | 'reject') {
  if (!v.authorId || v.authorId === w.ctx.actor.id) return;
  const comment = v.reviewComment ? `审核意见：${v.reviewComment}` : '';
  await notify(w, [v.authorId], {
    kind: decision === 'approve' ? 'knowledge_published' : 'knowledge_rejected',
    title: `知识文章 KB-${a.number} ${decision === 'approve' ? '已发布' : '被驳回'}`,
    body: decision === 'approve' ? `第 ${v.version} 版「${v.title}」已审核发布。${comment}` : `第 ${v.version} 版「${v.title}」被退回草稿，请修改后重新提交。${comment}`,
    entityType: 'knowledge_article',
    entityId: a.id,
    data: { number: a.number, version: v.version },
  });
}

/**
 * The search columns of a published version: title terms weigh A, body terms B (K2 title boost).
 * Terms are passed as one space-separated string; the `simple` parser only splits them again.
 */
export function searchColumns(title: string, body: string): { search: SQL; titleSearch: SQL; indexedWith: string } {
  const titleTerms = indexTerms(title).join(' ');
  return {
    indexedWith: TERMS_FINGERPRINT,
    search: sql`setweight(to_tsvector('simple', ${titleTerms}), 'A') || setweight(to_tsvector('simple', ${indexTerms(body).join(' ')}), 'B')`,
    titleSearch: sql`to_tsvector('simple', ${titleTerms})`,
  };
}

/**
 * K1 review: approving publishes the version (the one in force before is superseded, the article
 * and its search terms now show the new text); rejecting returns it to draft with the comment.
 * Nobody reviews their own writing.
 */
export async function reviewVersion(ctx: Ctx, articleId: string, version: number, input: { decision: 'approve' | 'reject'; comment?: string | null }) {
  return write(ctx, async (w) => {
    const article = await findArticle(w.tx, articleId);
    assertNotArchived(article);
    const before = await findVersion(w.tx, articleId, version);
    assertStatus(before, 'in_review', input.decision === 'approve' ? '审核发布' : '驳回');
    if (before.authorId === ctx.actor.id) throw KnowledgeError('own_version');
    if (input.decision === 'reject' && !input.comment) throw KnowledgeError('comment_required', { field: 'comment' });
    const comment = input.comment ?? null;
    const reviews = [...before.reviews, { decision: input.decision, comment, reviewerId: ctx.actor.id, at: w.now.toISOString() }];
    const reviewed = { reviewerId: ctx.actor.id, reviewedAt: w.now, reviewComment: comment, reviews, updatedAt: w.now };
    if (input.decision === 'reject') {
      const [row] = await w.tx.update(kbArticleVersions).set({ ...reviewed, status: 'draft' }).where(eq(kbArticleVersions.id, before.id)).returning();
      await recordVersion(w, before, row!, 'knowledge.version.rejected', input.comment);
      await tellAuthor(w, article, row!, 'reject');
      return versionView(row!);
    }
    if (article.publishedVersionId) {
      await w.tx.update(kbArticleVersions).set({ status: 'superseded', updatedAt: w.now }).where(eq(kbArticleVersions.id, article.publishedVersionId));
    }
    const [row] = await w.tx.update(kbArticleVersions).set({ ...reviewed, status: 'published', publishedAt: w.now }).where(eq(kbArticleVersions.id, before.id)).returning();
    const [updated] = await w.tx
      .update(kbArticles)
      .set({ status: 'published', title: row!.title, publishedVersionId: row!.id, publishedAt: w.now, ...searchColumns(row!.title, row!.body), updatedAt: w.now })
      .where(eq(kbArticles.id, articleId))
      .returning();
    await recordVersion(w, before, row!, 'knowledge.version.published', input.comment);
    await recordArticle(w, article, updated!, 'knowledge.article.updated');
    await tellAuthor(w, updated!, row!, 'approve');
    return versionView(row!);
  });
}

/** Archived articles leave search and the help centre; their versions stay for the record. */
export async function archiveArticle(ctx: Ctx, id: string, reason: string) {
  return write(ctx, async (w) => {
    const before = await findArticle(w.tx, id);
    assertNotArchived(before);
    const [row] = await w.tx.update(kbArticles).set({ status: 'archived', archivedAt: w.now, updatedAt: w.now }).where(eq(kbArticles.id, id)).returning();
    await w.changed({ entityType: 'knowledge_article', entityId: id, schema: ArticleView, before: articleView(before), after: articleView(row!), event: 'knowledge.article.archived', audience: AUDIENCE, reason });
    return detail(w.tx, row!);
  });
}

type Part = { text: string; change: 'same' | 'added' | 'removed' };
const zhWords = new Intl.Segmenter('zh', { granularity: 'word' });
/** Past this many edits a word diff gets slow; a line diff of a rewrite reads as well. */
const MAX_WORD_EDITS = 2000;

function parts(changes: ChangeObject<string>[]): Part[] {
  return changes.map((c) => ({ text: c.value, change: c.added ? 'added' : c.removed ? 'removed' : 'same' }));
}

function textDiff(before: string, after: string): Part[] {
  const words = diffWords(before, after, { intlSegmenter: zhWords, maxEditLength: MAX_WORD_EDITS });
  return parts(words ?? diffLines(before, after));
}

/** K1: what changed between two versions, by Chinese words (Intl.Segmenter). `against` defaults to the version before. */
export async function diffVersions(ctx: Ctx, articleId: string, version: number, against?: number) {
  const to = await findVersion(ctx.db, articleId, version);
  const fromNumber = against ?? version - 1;
  const from = fromNumber >= 1 ? await findVersion(ctx.db, articleId, fromNumber) : null;
  return {
    from: from?.version ?? 0,
    to: to.version,
    title: textDiff(from?.title ?? '', to.title),
    body: textDiff(from?.body ?? '', to.body),
  };
}
