import { and, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { query } from '../../db/client.ts';
import { newId } from '../../db/columns.ts';
import type { Ctx } from '../../platform/context.ts';
import { highlightWords, toTsQuery } from '../../platform/text/query.ts';
import { queryTerms } from '../../platform/text/segment.ts';
import { snippet } from '../../platform/text/snippet.ts';
import { getConversation, lastCustomerMessage } from '../conversations/service.ts';
import { kbArticleVersions, kbArticles, kbSearches } from './schema.ts';
import { articleView, type ArticleRow } from './views.ts';

export const SEARCH_SOURCES = ['console', 'help_center', 'widget', 'api'] as const;
export type SearchSource = (typeof SEARCH_SOURCES)[number];

export interface SearchInput {
  q: string;
  /** Customers (help centre, widget) see public articles only. */
  audience: 'staff' | 'public';
  source: SearchSource;
  type?: ArticleRow['type'];
  categoryId?: string;
  problemType?: string;
  conversationId?: string | null;
  /** A chat-widget visitor searching before they ask (deflection). */
  visitorId?: string | null;
  limit: number;
}

/** Ranking weights of ts_rank for D, C, B (body), A (title): a title hit counts 2.5× a body hit. */
const WEIGHTS = '{0.1, 0.2, 0.4, 1.0}';
/** Recency: an article a year old ranks at half the score of one published today, all else equal. */
const HALF_LIFE_DAYS = 365;
/** Title matches and most recent body matches ranked per query (see ranked). */
const CANDIDATES = 1000;
/** How much an article of the conversation's problem type outranks an equally matching other one. */
const PREFERRED_BOOST = 3;
/** Stored queries are cut here: enough to read a gap, not a place to keep pasted documents. */
const STORED_QUERY_CHARS = 200;

type Row = ArticleRow & { score: number; body: string };
type Filters = Pick<SearchInput, 'audience' | 'type' | 'categoryId' | 'problemType' | 'limit'> & {
  /** Ranks articles of this problem type first without leaving out the others (workspace suggestions). */
  preferProblemType?: string | null;
};

/**
 * Published articles matching `tsquery` (all published ones when null), best first. Ranking reads each
 * candidate's terms, so a word found in most articles would rank tens of thousands: candidates are
 * every title match and the most recent body matches, CANDIDATES of each; bodies are read for the
 * page only.
 */
async function ranked(ctx: Ctx, f: Filters, tsquery: string | null): Promise<Row[]> {
  const q = tsquery === null ? null : sql`to_tsquery('simple', ${tsquery})`;
  const filter = and(
    eq(kbArticles.status, 'published'),
    f.audience === 'public' ? eq(kbArticles.visibility, 'public') : undefined,
    f.type ? eq(kbArticles.type, f.type) : undefined,
    f.categoryId ? eq(kbArticles.categoryId, f.categoryId) : undefined,
    f.problemType ? eq(kbArticles.problemType, f.problemType) : undefined,
  );
  const newest = sql`order by ${kbArticles.publishedAt} desc limit ${CANDIDATES}`;
  const candidates = q
    ? sql`(select id from ${kbArticles} where ${filter} and ${kbArticles.titleSearch} @@ ${q} limit ${CANDIDATES})
          union (select id from ${kbArticles} where ${filter} and ${kbArticles.search} @@ ${q} ${newest})`
    : sql`select id from ${kbArticles} where ${filter} ${newest}`;
  const now = ctx.clock.now();
  const relevance = q ? sql`ts_rank(${sql.raw(`'${WEIGHTS}'`)}::float4[], a.search, ${q})` : sql`1`;
  const preferred = f.preferProblemType ? sql`(case when a.problem_type = ${f.preferProblemType} then ${PREFERRED_BOOST} else 1 end)` : sql`1`;
  const age = sql`greatest(0, extract(epoch from (${now.toISOString()}::timestamptz - a.published_at)))`;
  const top = await query<{ id: string; score: number }>(
    ctx.db,
    sql`select a.id, (${relevance} * ${preferred} / (1 + ${age} / ${HALF_LIFE_DAYS * 86_400}))::float8 as score
        from ${kbArticles} a where a.id in (${candidates})
        order by score desc, a.id desc limit ${f.limit}`,
  );
  if (top.length === 0) return [];
  const rows = await ctx.db
    .select({ article: kbArticles, body: kbArticleVersions.body })
    .from(kbArticles)
    .innerJoin(kbArticleVersions, eq(kbArticleVersions.id, kbArticles.publishedVersionId))
    .where(inArray(kbArticles.id, top.map((t) => t.id)));
  const byId = new Map(rows.map((r) => [r.article.id, r]));
  return top.map((t) => ({ ...byId.get(t.id)!.article, body: byId.get(t.id)!.body, score: Number(t.score) }));
}

function hits(rows: Row[], terms: string[]) {
  const words = highlightWords(terms);
  return rows.map((r) => ({ article: articleView(r), title: snippet(r.title, words, r.title.length + 1), snippet: snippet(r.body, words), score: r.score }));
}

/**
 * K2: published articles for a query, best first. Every term (or a synonym) must match; when no
 * article has them all, articles with any of them follow, so a long question still finds help.
 * Each search is logged; those that found nothing are the knowledge gaps.
 */
export async function searchArticles(ctx: Ctx, input: SearchInput) {
  const terms = queryTerms(input.q);
  let match: 'all' | 'any' | 'none' = 'none';
  let rows: Row[] = [];
  const all = toTsQuery(terms, 'all');
  if (all) {
    match = 'all';
    rows = await ranked(ctx, input, all);
    if (rows.length === 0 && terms.length > 1) {
      match = 'any';
      rows = await ranked(ctx, input, toTsQuery(terms, 'any'));
    }
  }
  const searchId = newId();
  await ctx.db.insert(kbSearches).values({
    id: searchId,
    at: ctx.clock.now(),
    query: input.q.slice(0, STORED_QUERY_CHARS),
    terms: terms.join(' ').slice(0, STORED_QUERY_CHARS),
    results: rows.length,
    source: input.source,
    staffId: ctx.actor.type === 'staff' ? ctx.actor.id : null,
    visitorId: input.visitorId ?? null,
    conversationId: input.conversationId ?? null,
  });
  return { searchId, match, terms, data: hits(rows, terms) };
}

/**
 * K2 in the workspace: articles for what the customer said last, those of the conversation's problem
 * type first; with nothing said yet (or nothing found), the newest of that problem type. Not logged:
 * a suggestion nobody asked for is no knowledge gap.
 */
export async function suggestForConversation(ctx: Ctx, conversationId: string, limit: number) {
  const conv = await getConversation(ctx, conversationId);
  const said = await lastCustomerMessage(ctx, conversationId);
  const terms = said ? queryTerms(said) : [];
  const any = toTsQuery(terms, 'any');
  const byWords = any ? await ranked(ctx, { audience: 'staff', limit, preferProblemType: conv.problemType }, any) : [];
  if (byWords.length > 0) return { basis: 'message' as const, terms, data: hits(byWords, terms) };
  const byType = conv.problemType ? await ranked(ctx, { audience: 'staff', limit, problemType: conv.problemType }, null) : [];
  return { basis: byType.length > 0 ? ('problem_type' as const) : ('none' as const), terms, data: hits(byType, terms) };
}

/** K2: searches that found nothing, worded alike counted together, most asked first. */
export async function knowledgeGaps(ctx: Ctx, f: { from?: string; to?: string; limit: number }) {
  return query<{ terms: string; example: string; searches: number; lastAt: string }>(
    ctx.db,
    sql`select terms, (array_agg(query order by at desc))[1] as example, count(*)::int as searches, max(at) as "lastAt"
        from ${kbSearches}
        where ${and(eq(kbSearches.results, 0), f.from ? gte(kbSearches.at, new Date(f.from)) : undefined, f.to ? lt(kbSearches.at, new Date(f.to)) : undefined)}
          and terms <> ''
        group by terms
        order by searches desc, "lastAt" desc
        limit ${f.limit}`,
  ).then((rows) => rows.map((r) => ({ ...r, lastAt: new Date(r.lastAt).toISOString() })));
}

