import { and, asc, eq, isNull, ne, or, sql } from 'drizzle-orm';
import type { JobRunner } from '../../platform/jobs/runner.ts';
import { scheduleJob } from '../../platform/jobs/runner.ts';
import { TERMS_FINGERPRINT } from '../../platform/text/segment.ts';
import type { Writer } from '../../platform/write.ts';
import { kbArticleVersions, kbArticles } from './schema.ts';
import { searchColumns } from './service.ts';

const REINDEX_JOB = 'knowledge.reindex';
/** Articles per transaction: about a tenth of a second of segmenting, so publishing never waits long. */
const BATCH = 200;

/**
 * K2: published articles whose search terms were made with another dictionary (a word added to
 * kefu.txt, a new segmenter) are indexed again, a batch per job until none is left. Scheduled on
 * every start; with nothing stale the job reads one index page and ends.
 */
export function installKnowledgeJobs(jobs: JobRunner): void {
  jobs.register(REINDEX_JOB, async (_payload, jc) => {
    await jc.complete(async (w) => {
      if ((await reindexBatch(w)) === BATCH) await scheduleReindex(w);
    });
  });
}

export async function scheduleReindex(w: Pick<Writer, 'tx' | 'now'>): Promise<void> {
  await scheduleJob(w, { kind: REINDEX_JOB, dedupeKey: REINDEX_JOB, payload: {} });
}

/** Re-indexes up to BATCH stale articles; returns how many it looked at. */
export async function reindexBatch(w: Pick<Writer, 'tx'>): Promise<number> {
  const stale = await w.tx
    .select({ id: kbArticles.id, versionId: kbArticleVersions.id, title: kbArticleVersions.title, body: kbArticleVersions.body })
    .from(kbArticles)
    .innerJoin(kbArticleVersions, eq(kbArticleVersions.id, kbArticles.publishedVersionId))
    .where(and(eq(kbArticles.status, 'published'), or(isNull(kbArticles.indexedWith), ne(kbArticles.indexedWith, TERMS_FINGERPRINT))))
    .orderBy(asc(kbArticles.id))
    .limit(BATCH);
  if (stale.length === 0) return 0;
  // One statement for the batch. A version published meanwhile was indexed by its publisher with the
  // current terms: the published_version_id check leaves it be.
  const rows = stale.map((a) => {
    const c = searchColumns(a.title, a.body);
    return sql`(${a.id}::uuid, ${a.versionId}::uuid, ${c.search}, ${c.titleSearch})`;
  });
  await w.tx.execute(sql`
    update kb_articles as a set search = v.search, title_search = v.title_search, indexed_with = ${TERMS_FINGERPRINT}
    from (values ${sql.join(rows, sql`, `)}) as v (id, version_id, search, title_search)
    where a.id = v.id and a.published_version_id = v.version_id`);
  return stale.length;
}
