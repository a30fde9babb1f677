import { Fragment, useCallback, useEffect, useMemo, useState } from 'react';
import { Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, type Reply } from '../../api/client.ts';
import { isAbort, useLoad } from '../../api/useLoad.tsx';
import { allows, useMe } from '../../auth/session.tsx';
import { useRealtimeEvents, useReconnected, useReloadKey, type RealtimeEvent } from '../../realtime.tsx';

export type Article = Reply<'get', '/api/knowledge-articles'>['data'][number];
export type Detail = Reply<'get', '/api/knowledge-articles/{id}'>;
export type Version = Reply<'get', '/api/knowledge-articles/{id}/versions'>['data'][number];
export type Category = Reply<'get', '/api/knowledge-categories'>['data'][number];
export type ArticleType = Article['type'];
export type Visibility = Article['visibility'];
export type ProblemType = Reply<'get', '/api/policies/current'>['document']['problemTypes'][number];

export const TYPES: readonly ArticleType[] = ['article', 'manual', 'case'];
export const VISIBILITIES: readonly Visibility[] = ['internal', 'public'];
export const STATUSES: readonly Article['status'][] = ['draft', 'published', 'archived'];

/** Under /console: an article's page; the list's tab stays in the address beside it. */
export const articlePath = (id: string) => `/knowledge?id=${encodeURIComponent(id)}`;

/**
 * The categories in reading order: each top-level one (by position, then name) followed by its
 * children, with the child's label naming its parent ("售后 / 退换货"). Reloaded when `version` changes,
 * on every category event (another reviewer's change) and after a reconnect.
 */
export function useCategories(version: number) {
  const live = useReloadKey(['knowledge.category.changed']);
  const { data, reload } = useLoad(useCallback((signal: AbortSignal) => api.get('/api/knowledge-categories', { query: { limit: 200 }, signal }), [version, live]));
  return useMemo(() => {
    const all = data?.data ?? [];
    const order = (a: Category, b: Category) => a.position - b.position || a.name.localeCompare(b.name, 'zh-CN');
    const tops = all.filter((c) => !c.parentId).sort(order);
    const rows = tops.flatMap((p) => [{ ...p, label: p.name }, ...all.filter((c) => c.parentId === p.id).sort(order).map((c) => ({ ...c, label: `${p.name} / ${c.name}` }))]);
    const labels = new Map(rows.map((c) => [c.id, c.label]));
    return { rows, tops, reload, label: (id: string | null) => (id ? (labels.get(id) ?? '—') : null), options: rows.map((c) => ({ value: c.id, label: c.label })) };
  }, [data, reload]);
}
export type Categories = ReturnType<typeof useCategories>;

/** What changes the article lists: an article, or a version (a first draft's title is the article's). */
export const LIST_EVENTS = ['knowledge.article.', 'knowledge.version.'] as const;

/**
 * Keeps an open article current: `onChange` runs when a knowledge event concerns it (the article,
 * or a version or file naming it in `articleId`) and after a reconnect. An event the screen already
 * shows (the reload after the user's own action got there first) is skipped.
 */
export function useArticleLive(id: string, shown: Detail | null, onChange: () => void) {
  useReconnected(onChange);
  useRealtimeEvents(['knowledge.'], (e) => {
    const about = e.entity.type === 'knowledge_article' ? e.entity.id === id : (e.data as { articleId?: unknown } | null)?.articleId === id;
    if (about && !(shown && showsAlready(shown, e))) onChange();
  });
}

/** Whether the screen shows the event's change: the file there or gone, the article or version as new or newer. */
function showsAlready(a: Detail, e: RealtimeEvent): boolean {
  if (e.entity.type === 'knowledge_attachment') return a.attachments.some((f) => f.id === e.entity.id) === (e.event === 'knowledge.attachment.added');
  const updatedAt = (e.data as { updatedAt?: unknown } | null)?.updatedAt;
  const row = a.id === e.entity.id ? a : [a.open, a.published].find((v) => v?.id === e.entity.id);
  return row && typeof updatedAt === 'string' ? Date.parse(row.updatedAt) >= Date.parse(updatedAt) : false;
}

/** The active policy's problem types (what the workspace files conversations under), for staff who may read the policy. */
export function useProblemTypes(): ProblemType[] {
  const me = useMe();
  const [types, setTypes] = useState<ProblemType[]>([]);
  useEffect(() => {
    if (!allows(me, 'policy.read')) return;
    const controller = new AbortController();
    api.get('/api/policies/current', { signal: controller.signal }).then(
      (p) => setTypes(p.document.problemTypes),
      // Without the list the field still takes no problem type; the rest of the screen works.
      (err: unknown) => !isAbort(err) && setTypes([]),
    );
    return () => controller.abort();
  }, [me]);
  return types;
}

/** Search text with the query's words marked: the server sends parts, never markup. */
export function Marked({ parts }: { parts: ReadonlyArray<{ text: string; hit: boolean }> }) {
  return parts.map((p, i) => (p.hit ? <mark key={i}>{p.text}</mark> : <Fragment key={i}>{p.text}</Fragment>));
}

export function ArticleTags({ type, visibility }: { type: ArticleType; visibility: Visibility }) {
  const { t } = useTranslation();
  return (
    <>
      <Tag>{t(`knowledge.types.${type}`)}</Tag>
      <Tag color={visibility === 'public' ? 'green' : 'default'}>{t(`knowledge.visibilities.${visibility}`)}</Tag>
    </>
  );
}

export const STATUS_COLOURS: Record<Article['status'] | Version['status'], string> = {
  draft: 'default',
  in_review: 'gold',
  published: 'green',
  superseded: 'default',
  archived: 'red',
};
