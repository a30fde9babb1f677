import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import { query } from '../../db/client.ts';
import { newId } from '../../db/columns.ts';
import type { Ctx } from '../../platform/context.ts';
import { highlightWords, toTsQuery } from '../../platform/text/query.ts';
import { queryTerms } from '../../platform/text/segment.ts';
import { snippet } from '../../platform/text/snippet.ts';
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
  limit: number;
}

/** Ranking weights of ts_rank for D, C, B (body), A (title): a title hit counts 2.5× a body hit. */
const WEIGHTS = '{0.1, 0.2, 0.4, 1.0}';
/** Recency: an article a year old ranks at half the score of one published today, all else equal. */
const HALF_LIFE_DAYS = 365;
/** Stored queries are cut here: enough to read a gap, not a place to keep pasted documents. */
const STORED_QUERY_CHARS = 200;

type Row = ArticleRow & { score: number; body: string };

async function ranked(ctx: Ctx, input: SearchInput, tsquery: string): Promise<Row[]> {
  const q = sql`to_tsquery('simple', ${tsquery})`;
  const where: Array<SQL | undefined> = [
    eq(kbArticles.status, 'published'),
    sql`${kbArticles.search} @@ ${q}`,
    input.audience === 'public' ? eq(kbArticles.visibility, 'public') : undefined,
    input.type ? eq(kbArticles.type, input.type) : undefined,
    input.categoryId ? eq(kbArticles.categoryId, input.categoryId) : undefined,
    input.problemType ? eq(kbArticles.problemType, input.problemType) : undefined,
  ];
  const now = ctx.clock.now();
  const score = sql<number>`(ts_rank(${sql.raw(`'${WEIGHTS}'`)}::float4[], ${kbArticles.search}, ${q}) / (1 + greatest(0, extract(epoch from (${now.toISOString()}::timestamptz - ${kbArticles.publishedAt}))) / ${HALF_LIFE_DAYS * 86_400}))::float8`;
  const rows = await ctx.db
    .select({ article: kbArticles, body: kbArticleVersions.body, score })
    .from(kbArticles)
    .innerJoin(kbArticleVersions, eq(kbArticleVersions.id, kbArticles.publishedVersionId))
    .where(and(...where))
    .orderBy(desc(score), desc(kbArticles.id))
    .limit(input.limit);
  return rows.map((r) => ({ ...r.article, body: r.body, score: r.score }));
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
      rows = await ranked(ctx, input, toTsQuery(terms, 'any')!);
    }
  }
  await ctx.db.insert(kbSearches).values({
    id: newId(),
    at: ctx.clock.now(),
    query: input.q.slice(0, STORED_QUERY_CHARS),
    terms: terms.join(' ').slice(0, STORED_QUERY_CHARS),
    results: rows.length,
    source: input.source,
    staffId: ctx.actor.type === 'staff' ? ctx.actor.id : null,
    conversationId: input.conversationId ?? null,
  });
  const words = highlightWords(terms);
  return {
    match,
    terms,
    data: rows.map((r) => ({ article: articleView(r), title: snippet(r.title, words, r.title.length + 1), snippet: snippet(r.body, words), score: r.score })),
  };
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

