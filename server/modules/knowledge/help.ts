import { and, desc, eq, gte, lt, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/columns.ts';
import type { Ctx } from '../../platform/context.ts';
import { visitorConversationStarts } from '../conversations/record.ts';
import { listArticleAttachments } from './attachments.ts';
import { KnowledgeError, findArticle } from './service.ts';
import { kbArticleVersions, kbArticles, kbArticleViews, kbCategories, kbSearches } from './schema.ts';
import { searchArticles } from './search.ts';
import type { ArticleRow } from './views.ts';

/** A widget visitor who read an article and started no conversation within this long was helped by it. */
export const DEFLECTION_WINDOW_MS = 30 * 60_000;

const isPublic = and(eq(kbArticles.status, 'published'), eq(kbArticles.visibility, 'public'));

/** What customers see of an article: no authors, no internal fields. */
export function publicSummary(a: ArticleRow) {
  return { id: a.id, number: a.number, type: a.type as 'article' | 'manual' | 'case', categoryId: a.categoryId, title: a.title, publishedAt: a.publishedAt!.toISOString() };
}

export async function listPublicArticles(db: Executor, f: { categoryId?: string; beforeId?: string; limit: number }) {
  const rows = await db
    .select()
    .from(kbArticles)
    .where(and(isPublic, f.categoryId ? eq(kbArticles.categoryId, f.categoryId) : undefined, f.beforeId ? lt(kbArticles.id, f.beforeId) : undefined))
    .orderBy(desc(kbArticles.id))
    .limit(f.limit + 1);
  return rows.map(publicSummary);
}

/** A public, published article by id or KB number, with its files; anything else is not found, internal ones included. */
export async function getPublicArticle(db: Executor, key: { id?: string; number?: number }) {
  const [row] = await db
    .select({ article: kbArticles, body: kbArticleVersions.body })
    .from(kbArticles)
    .innerJoin(kbArticleVersions, eq(kbArticleVersions.id, kbArticles.publishedVersionId))
    .where(and(isPublic, key.id ? eq(kbArticles.id, key.id) : eq(kbArticles.number, key.number ?? -1)))
    .limit(1);
  if (!row) throw KnowledgeError('article_not_found');
  const attachments = (await listArticleAttachments(db, row.article.id)).map(({ id, fileName, contentType, size }) => ({ id, fileName, contentType, size }));
  return { ...publicSummary(row.article), body: row.body, attachments };
}

export async function listPublicCategories(db: Executor) {
  return db.select({ id: kbCategories.id, name: kbCategories.name, parentId: kbCategories.parentId, position: kbCategories.position }).from(kbCategories);
}

/** Issue 6 §4: the search the help centre and the chat widget run before a person is asked; public articles only. */
export async function searchPublic(ctx: Ctx, input: { q: string; categoryId?: string; limit: number; visitorId: string | null }) {
  return searchArticles(ctx, { ...input, audience: 'public', source: input.visitorId ? 'widget' : 'help_center' });
}

/** A customer opened an article (and perhaps said it answered them). */
export async function recordView(ctx: Ctx, articleId: string, input: { searchId?: string | null; resolved?: boolean; visitorId: string | null }) {
  await getPublicArticle(ctx.db, { id: articleId });
  const id = newId();
  await ctx.db.insert(kbArticleViews).values({
    id,
    at: ctx.clock.now(),
    articleId,
    source: input.visitorId ? 'widget' : 'help_center',
    visitorId: input.visitorId,
    searchId: input.searchId ?? null,
    resolved: input.resolved ?? false,
  });
  return { id };
}

/** The reader's vote on "这篇文章有帮助吗？" for the reading they opened; a later vote replaces an earlier one. */
export async function recordVote(ctx: Ctx, articleId: string, viewId: string, helpful: boolean) {
  const [row] = await ctx.db
    .update(kbArticleViews)
    .set({ helpful })
    .where(and(eq(kbArticleViews.id, viewId), eq(kbArticleViews.articleId, articleId)))
    .returning({ id: kbArticleViews.id });
  if (!row) throw KnowledgeError('view_not_found');
  return { viewId, helpful };
}

/** What an article's authors and reviewers learn from its customer readers: readings, votes and chat visitors it answered. */
export async function readerStatistics(ctx: Ctx, articleId: string, days: number) {
  await findArticle(ctx.db, articleId);
  const since = new Date(ctx.clock.now().getTime() - days * 24 * 3600_000);
  const [row] = await ctx.db
    .select({
      views: sql<number>`count(*)::int`,
      recentViews: sql<number>`(count(*) filter (where ${kbArticleViews.at} >= ${since}))::int`,
      helpful: sql<number>`(count(*) filter (where ${kbArticleViews.helpful}))::int`,
      notHelpful: sql<number>`(count(*) filter (where not ${kbArticleViews.helpful}))::int`,
      solvedInChat: sql<number>`(count(*) filter (where ${kbArticleViews.resolved}))::int`,
    })
    .from(kbArticleViews)
    .where(eq(kbArticleViews.articleId, articleId));
  const votes = row!.helpful + row!.notHelpful;
  return { ...row!, days, helpfulRate: votes > 0 ? row!.helpful / votes : null };
}

/**
 * Issue 6 §4 deflection, over chat-widget visitors who opened an article in [from, to): deflected when
 * they said it answered them, or started no conversation within DEFLECTION_WINDOW_MS of their last
 * view. Views younger than the window are not judged yet.
 */
export async function deflections(ctx: Ctx, f: { from: Date; to: Date }) {
  const now = ctx.clock.now();
  const views = await ctx.db
    .select({ visitorId: kbArticleViews.visitorId, at: kbArticleViews.at, resolved: kbArticleViews.resolved })
    .from(kbArticleViews)
    .where(and(eq(kbArticleViews.source, 'widget'), gte(kbArticleViews.at, f.from), lt(kbArticleViews.at, f.to)));
  const [searches] = await ctx.db
    .select({ n: sql<number>`count(*)::int` })
    .from(kbSearches)
    .where(and(eq(kbSearches.source, 'widget'), gte(kbSearches.at, f.from), lt(kbSearches.at, f.to)));
  const byVisitor = new Map<string, { last: Date; resolved: boolean }>();
  for (const v of views) {
    if (!v.visitorId) continue;
    const seen = byVisitor.get(v.visitorId);
    byVisitor.set(v.visitorId, { last: !seen || v.at > seen.last ? v.at : seen.last, resolved: (seen?.resolved ?? false) || v.resolved });
  }
  const starts = await visitorConversationStarts(ctx.db, [...byVisitor.keys()], f.from);
  let deflected = 0;
  let asked = 0;
  let pending = 0;
  for (const [visitorId, v] of byVisitor) {
    const askedAfter = starts.some((s) => s.visitorId === visitorId && s.at >= v.last && s.at.getTime() - v.last.getTime() <= DEFLECTION_WINDOW_MS);
    if (v.resolved || (!askedAfter && now.getTime() - v.last.getTime() > DEFLECTION_WINDOW_MS)) deflected++;
    else if (askedAfter) asked++;
    else pending++;
  }
  const judged = deflected + asked;
  return { widgetSearches: searches?.n ?? 0, readers: byVisitor.size, deflected, askedAfterReading: asked, pending, rate: judged > 0 ? deflected / judged : null };
}
