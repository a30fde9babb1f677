import { Type, type Static } from '@sinclair/typebox';
import { and, asc, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/columns.ts';
import { can, type Ctx } from '../../platform/context.ts';
import { declareEventTypes } from '../../platform/events/outbox.ts';
import type { FileStore } from '../../platform/files/store.ts';
import { sanitiseFileName, type Upload } from '../../platform/files/upload.ts';
import { Timestamp, Uuid, iso } from '../../platform/http/schemas.ts';
import { write, type Writer } from '../../platform/write.ts';
import { kbArticles, kbAttachments } from './schema.ts';
import { AUDIENCE, KnowledgeError } from './service.ts';

declareEventTypes({
  'knowledge.attachment.added': '知识文章已添加附件',
  'knowledge.attachment.removed': '知识文章的附件已删除',
});

export const KnowledgeAttachmentView = Type.Object(
  { id: Uuid, articleId: Uuid, fileName: Type.String(), contentType: Type.String(), size: Type.Integer(), uploadedBy: Type.Union([Uuid, Type.Null()]), createdAt: Timestamp },
  { title: 'KnowledgeAttachment' },
);
type Row = typeof kbAttachments.$inferSelect;

export function knowledgeAttachmentView(r: Row): Static<typeof KnowledgeAttachmentView> {
  return { id: r.id, articleId: r.articleId, fileName: r.fileName, contentType: r.contentType, size: r.size, uploadedBy: r.uploadedBy, createdAt: iso(r.createdAt) };
}

export async function listArticleAttachments(db: Executor, articleId: string) {
  return (await db.select().from(kbAttachments).where(eq(kbAttachments.articleId, articleId)).orderBy(asc(kbAttachments.id))).map(knowledgeAttachmentView);
}

function recordAttachment(w: Writer, before: Row | null, after: Row | null) {
  return w.changed({
    entityType: 'knowledge_attachment',
    entityId: (after ?? before)!.id,
    schema: KnowledgeAttachmentView,
    before: before && knowledgeAttachmentView(before),
    after: after && knowledgeAttachmentView(after),
    event: after ? 'knowledge.attachment.added' : 'knowledge.attachment.removed',
    audience: AUDIENCE,
  });
}

/**
 * Files belong to the article, not a version, so they reach readers at once: on a published article
 * only reviewers add or remove them; the author does while the article is still a draft.
 */
async function assertMayChangeFiles(ctx: Ctx, db: Executor, articleId: string) {
  const [article] = await db.select().from(kbArticles).where(eq(kbArticles.id, articleId)).limit(1);
  if (!article) throw KnowledgeError('article_not_found');
  if (article.status === 'archived') throw KnowledgeError('archived');
  const ownDraft = article.status === 'draft' && article.createdBy === ctx.actor.id;
  if (!ownDraft && !can(ctx.actor, 'knowledge.review')) throw KnowledgeError('files_for_reviewers');
}

export async function uploadArticleAttachment(ctx: Ctx, files: FileStore, articleId: string, upload: Upload) {
  await assertMayChangeFiles(ctx, ctx.db, articleId);
  const stored = await files.put(upload.bytes);
  return write(ctx, async (w) => {
    const [row] = await w.tx
      .insert(kbAttachments)
      .values({ id: newId(), articleId, fileName: sanitiseFileName(upload.fileName), contentType: stored.contentType, size: stored.size, sha256: stored.sha256, storageKey: stored.storageKey, uploadedBy: ctx.actor.id, createdAt: w.now })
      .returning();
    await recordAttachment(w, null, row!);
    return knowledgeAttachmentView(row!);
  });
}

export async function deleteArticleAttachment(ctx: Ctx, id: string) {
  await write(ctx, async (w) => {
    const [row] = await w.tx.select().from(kbAttachments).where(eq(kbAttachments.id, id)).limit(1);
    if (!row) throw KnowledgeError('attachment_not_found');
    await assertMayChangeFiles(ctx, w.tx, row.articleId);
    await w.tx.delete(kbAttachments).where(eq(kbAttachments.id, id));
    await recordAttachment(w, row, null);
  });
}

/** A file for staff, or — `publicOnly` — for anyone when its article is published and public. */
export async function readArticleAttachment(db: Executor, files: FileStore, id: string, publicOnly: boolean) {
  const [row] = await db
    .select({ file: kbAttachments })
    .from(kbAttachments)
    .innerJoin(kbArticles, eq(kbArticles.id, kbAttachments.articleId))
    .where(and(eq(kbAttachments.id, id), publicOnly ? and(eq(kbArticles.status, 'published'), eq(kbArticles.visibility, 'public')) : undefined))
    .limit(1);
  if (!row) throw KnowledgeError('attachment_not_found');
  return { file: row.file, bytes: await files.read(row.file.storageKey) };
}
