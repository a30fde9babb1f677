import { and, asc, eq, isNull, ne, or } from 'drizzle-orm';
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
  for (const a of stale) {
    // A version published meanwhile was indexed by its publisher with the current terms: leave it.
    await w.tx
      .update(kbArticles)
      .set(searchColumns(a.title, a.body))
      .where(and(eq(kbArticles.id, a.id), eq(kbArticles.publishedVersionId, a.versionId)));
  }
  return stale.length;
}
