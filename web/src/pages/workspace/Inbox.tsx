import { useCallback, useEffect, useImperativeHandle, useRef, useState, useSyncExternalStore, type Ref } from 'react';
import { Alert, Badge, Button, Empty, Input, Radio, Select, Space, Spin, Tag, Typography, type InputRef } from 'antd';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import { useMe } from '../../auth/session.tsx';
import { useRealtimeEvents, useRealtimeStatus, type RealtimeEvent } from '../../realtime.tsx';
import {
  CHANNELS,
  PRIORITIES,
  PRIORITY_COLOURS,
  STATUSES,
  STATUS_COLOURS,
  VIEWS,
  asApiError,
  byIdDesc,
  formatTime,
  isAbort,
  matchesFilter,
  viewQuery,
  type Channel,
  type Conversation,
  type Counts,
  type InboxFilter,
  type InboxView,
  type Priority,
  type ProblemType,
  type Queue,
  type Status,
} from './shared.ts';
import type { ApiError } from '../../api/client.ts';

/** Rows have one height, so the window is computed, not measured. */
const ROW_HEIGHT = 76;
/** Rows rendered above and below the visible ones, so a fast scroll shows no blank. */
const OVERSCAN = 6;
/** The next page is asked for this many rows before the end, so scrolling rarely waits. */
const PREFETCH_ROWS = 60;
/** The server's largest page: fewer round trips while an agent scrolls far down. */
const PAGE = 200;

/** Customer names for the rows, fetched once per customer and shared by every row that shows them. */
const names = new Map<string, string>();
const requested = new Set<string>();
const nameListeners = new Set<() => void>();
let namesVersion = 0;
function customerName(id: string): string | undefined {
  if (!names.has(id) && !requested.has(id)) {
    requested.add(id);
    api
      .get('/api/customers/{id}', { path: { id } })
      .then((c) => names.set(id, c.name))
      .catch(() => names.set(id, '—'))
      .finally(() => {
        namesVersion++;
        for (const l of nameListeners) l();
      });
  }
  return names.get(id);
}
function useCustomerName(id: string): string | undefined {
  useSyncExternalStore(
    (l) => (nameListeners.add(l), () => nameListeners.delete(l)),
    () => namesVersion,
  );
  return customerName(id);
}

export interface InboxHandle {
  /** The listed conversations in order, for Alt+↑/↓. */
  ids(): string[];
  focusSearch(): void;
  /** Scrolls the row into the window. */
  reveal(id: string): void;
}

interface Props {
  selectedId: string | null;
  onSelect(id: string): void;
  problemTypes: ProblemType[];
  handle: Ref<InboxHandle>;
}

const DEFAULT_FILTER: Omit<InboxFilter, 'view'> = { status: [], channel: null, priority: null, problemType: null, queueId: null, q: '' };

/** The agent's queues and views with counts, filters, and the conversations listed newest first. */
export function Inbox({ selectedId, onSelect, problemTypes, handle }: Props) {
  const { t } = useTranslation();
  const me = useMe();
  const { generation } = useRealtimeStatus();
  const canHandle = me.permissions.includes('conversations.handle');
  const [filter, setFilter] = useState<InboxFilter>({ view: canHandle ? 'mine' : 'active', ...DEFAULT_FILTER });
  const [rows, setRows] = useState<Conversation[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [counts, setCounts] = useState<Counts | null>(null);
  const [queues, setQueues] = useState<Queue[]>([]);
  const [unread, setUnread] = useState<ReadonlySet<string>>(new Set());
  const [search, setSearch] = useState('');
  const searchRef = useRef<InputRef>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const rowsRef = useRef(rows);
  rowsRef.current = rows;
  const filterRef = useRef(filter);
  filterRef.current = filter;
  /** Only the latest load may write: a page of an older filter is dropped. */
  const loadSeq = useRef(0);
  const loadingMore = useRef(false);

  useImperativeHandle(handle, () => ({
    ids: () => rowsRef.current.map((r) => r.id),
    focusSearch: () => searchRef.current?.focus(),
    reveal(id) {
      const i = rowsRef.current.findIndex((r) => r.id === id);
      const el = listRef.current;
      if (i < 0 || !el) return;
      const top = i * ROW_HEIGHT;
      if (top < el.scrollTop) el.scrollTop = top;
      else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_HEIGHT - el.clientHeight;
    },
  }));

  const loadPage = useCallback(async (f: InboxFilter, after: string | null, signal?: AbortSignal) => {
    const seq = after ? loadSeq.current : ++loadSeq.current;
    const v = viewQuery(f.view);
    const status = f.status.length ? f.status.filter((s) => !v.status || v.status.includes(s)) : v.status;
    // A status filter outside the view (resolved in "mine") matches nothing: no need to ask.
    if (status && status.length === 0) {
      setRows([]);
      setCursor(null);
      setLoading(false);
      return;
    }
    setLoading(true);
    try {
      const page = await api.get('/api/conversations', {
        query: {
          limit: PAGE,
          ...(after ? { cursor: after } : {}),
          ...(v.assignee ? { assignee: v.assignee } : {}),
          ...(v.flagged ? { flagged: true } : {}),
          ...(status ? { status } : {}),
          ...(f.channel ? { channel: f.channel } : {}),
          ...(f.priority ? { priority: f.priority } : {}),
          ...(f.problemType ? { problemType: f.problemType } : {}),
          ...(f.queueId ? { queueId: f.queueId } : {}),
          ...(f.q ? { q: f.q } : {}),
        },
        signal,
      });
      if (seq !== loadSeq.current) return;
      setRows((r) => {
        if (!after) return page.data;
        const have = new Set(r.map((x) => x.id));
        return [...r, ...page.data.filter((c) => !have.has(c.id))];
      });
      setCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      if (isAbort(err) || seq !== loadSeq.current) return;
      setError(asApiError(err));
    } finally {
      if (seq === loadSeq.current) setLoading(false);
      loadingMore.current = false;
    }
  }, []);

  const loadCounts = useCallback(async (signal?: AbortSignal) => {
    try {
      setCounts(await api.get('/api/conversations/counts', { signal }));
    } catch (err) {
      if (!isAbort(err)) setError(asApiError(err));
    }
  }, []);

  // A new filter, or a reconnection (events were missed), reloads from the first page.
  useEffect(() => {
    const controller = new AbortController();
    if (listRef.current) listRef.current.scrollTop = 0;
    void loadPage(filter, null, controller.signal);
    return () => controller.abort();
  }, [filter, generation, loadPage]);
  useEffect(() => {
    const controller = new AbortController();
    void loadCounts(controller.signal);
    return () => controller.abort();
  }, [generation, loadCounts]);
  useEffect(() => {
    const controller = new AbortController();
    api.get('/api/queues', { signal: controller.signal }).then(setQueues, (err: unknown) => {
      if (!isAbort(err)) setError(asApiError(err));
    });
    return () => controller.abort();
  }, [generation]);

  // Counts follow events, at most every half second however busy the queues are.
  const countsTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const refreshCounts = useCallback(() => {
    if (countsTimer.current) return;
    countsTimer.current = setTimeout(() => {
      countsTimer.current = undefined;
      void loadCounts();
    }, 500);
  }, [loadCounts]);
  useEffect(() => () => clearTimeout(countsTimer.current), []);

  useRealtimeEvents(['conversation.', 'message.created'], (e: RealtimeEvent) => {
    if (e.event === 'message.created') {
      const m = e.data as { conversationId?: string; author?: string } | null;
      if (m?.conversationId && m.author === 'customer' && m.conversationId !== selectedId) {
        setUnread((u) => new Set(u).add(m.conversationId!));
      }
      return;
    }
    const c = e.data as Conversation | null;
    if (!c || typeof c.id !== 'string') return;
    refreshCounts();
    const f = filterRef.current;
    setRows((r) => {
      const listed = r.some((x) => x.id === c.id);
      // A search is judged by the server: only rows already found are kept up to date.
      const belongs = matchesFilter(me, f, c) && (!f.q || listed);
      const rest = r.filter((x) => x.id !== c.id);
      if (!belongs) return listed ? rest : r;
      // Rows older than the last loaded page come with their page; inserting them would leave a gap.
      const last = r[r.length - 1];
      if (!listed && cursor && last && c.id < last.id) return r;
      return [...rest, c].sort(byIdDesc);
    });
  });

  useEffect(() => {
    if (selectedId) setUnread((u) => (u.has(selectedId) ? new Set([...u].filter((x) => x !== selectedId)) : u));
  }, [selectedId]);

  const more = useCallback(() => {
    if (!cursor || loadingMore.current) return;
    loadingMore.current = true;
    void loadPage(filterRef.current, cursor);
  }, [cursor, loadPage]);

  const setF = (patch: Partial<InboxFilter>) => setFilter((f) => ({ ...f, ...patch }));
  // The resolved view is history, not a queue: it has no count to keep an eye on.
  const countOf = (v: InboxView): number | string | null => (v === 'done' ? null : counts ? counts[v] : '·');
  const views = VIEWS.filter((v) => canHandle || v === 'active' || v === 'unassigned');
  // The queues whose work the agent sees: all of them for those who see beyond their own, else their queues and any they hold work of.
  const seesAll = me.permissions.includes('conversations.read_all') || me.role === 'team_lead';
  const myQueues = queues.filter((q) => seesAll || q.memberIds.includes(me.id) || counts?.byQueue[q.id]);

  return (
    <section aria-label={t('workspace.inbox')} style={{ display: 'flex', flexDirection: 'column', height: '100%', minHeight: 0 }} data-testid="inbox">
      <Radio.Group
        aria-label={t('workspace.views')}
        size="small"
        optionType="button"
        buttonStyle="solid"
        value={filter.view}
        onChange={(e) => setF({ view: e.target.value as InboxView })}
        style={{ display: 'flex', flexWrap: 'wrap', gap: 4, marginBottom: 8 }}
        options={views.map((v) => ({
          value: v,
          label: (
            <span>
              {t(`workspace.view.${v}`)}
              {countOf(v) !== null && (
                <span data-testid={`count-${v}`} style={{ opacity: 0.75, marginInlineStart: 4 }}>
                  {countOf(v)}
                </span>
              )}
            </span>
          ),
        }))}
      />
      {myQueues.length > 0 && (
        <div role="group" aria-label={t('workspace.queues')} data-testid="inbox-queues" style={{ display: 'flex', flexWrap: 'wrap', gap: 4, marginBottom: 8 }}>
          {myQueues.map((q) => {
            const n = counts?.byQueue[q.id] ?? { waiting: 0, active: 0 };
            const on = filter.queueId === q.id;
            return (
              <Button
                key={q.id}
                size="small"
                type={on ? 'primary' : 'default'}
                aria-pressed={on}
                data-testid={`queue-${q.code}`}
                title={t('workspace.queueCountsHint', { waiting: n.waiting, active: n.active })}
                // All the queue's unresolved work; pressed again, the inbox shows every queue.
                onClick={() => setF(on ? { queueId: null } : { queueId: q.id, view: 'active' })}
              >
                {q.name}
                <span data-testid={`queue-count-${q.code}`} style={{ opacity: 0.75, marginInlineStart: 4 }}>
                  {counts ? `${n.waiting}/${n.active}` : '·'}
                </span>
              </Button>
            );
          })}
        </div>
      )}
      <Input.Search
        ref={searchRef}
        allowClear
        size="small"
        aria-label={t('workspace.search')}
        placeholder={t('workspace.searchPlaceholder')}
        value={search}
        onChange={(e) => {
          setSearch(e.target.value);
          if (!e.target.value) setF({ q: '' });
        }}
        onSearch={(q) => setF({ q: q.trim() })}
        style={{ marginBottom: 6 }}
      />
      <Space wrap size={4} style={{ marginBottom: 8 }}>
        <Select<Status[]>
          mode="multiple"
          size="small"
          allowClear
          maxTagCount={1}
          aria-label={t('workspace.filter.status')}
          placeholder={t('workspace.filter.status')}
          style={{ minWidth: 110 }}
          value={filter.status}
          onChange={(status) => setF({ status })}
          options={STATUSES.map((s) => ({ value: s, label: t(`workspace.status.${s}`) }))}
        />
        <Select<Channel>
          size="small"
          allowClear
          aria-label={t('workspace.filter.channel')}
          placeholder={t('workspace.filter.channel')}
          style={{ minWidth: 84 }}
          value={filter.channel ?? undefined}
          onChange={(channel) => setF({ channel: channel ?? null })}
          options={CHANNELS.map((c) => ({ value: c, label: t(`workspace.channel.${c}`) }))}
        />
        <Select<Priority>
          size="small"
          allowClear
          aria-label={t('workspace.filter.priority')}
          placeholder={t('workspace.filter.priority')}
          style={{ minWidth: 84 }}
          value={filter.priority ?? undefined}
          onChange={(priority) => setF({ priority: priority ?? null })}
          options={PRIORITIES.map((p) => ({ value: p, label: t(`workspace.priority.${p}`) }))}
        />
        <Select<string>
          size="small"
          allowClear
          showSearch={{ optionFilterProp: 'label' }}
          aria-label={t('workspace.filter.problemType')}
          placeholder={t('workspace.filter.problemType')}
          style={{ minWidth: 110 }}
          value={filter.problemType ?? undefined}
          onChange={(problemType) => setF({ problemType: problemType ?? null })}
          options={problemTypes.map((p) => ({ value: p.code, label: p.name }))}
        />
      </Space>
      {error && <Alert type="error" showIcon title={error.message} action={<Button size="small" onClick={() => setFilter((f) => ({ ...f }))}>{t('common.retry')}</Button>} style={{ marginBottom: 8 }} />}
      <VirtualRows
        listRef={listRef}
        rows={rows}
        label={t('workspace.conversationList')}
        onEndReached={more}
        empty={loading ? <Spin aria-label={t('common.loading')} /> : <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('workspace.noConversations')} />}
        footer={loading && rows.length > 0 ? <Spin size="small" aria-label={t('common.loading')} /> : null}
        render={(c) => <Row c={c} selected={c.id === selectedId} unread={unread.has(c.id)} onSelect={onSelect} />}
      />
    </section>
  );
}

function VirtualRows({
  listRef,
  rows,
  label,
  render,
  onEndReached,
  empty,
  footer,
}: {
  listRef: React.RefObject<HTMLDivElement | null>;
  rows: Conversation[];
  label: string;
  render: (c: Conversation) => React.ReactNode;
  onEndReached: () => void;
  empty: React.ReactNode;
  footer: React.ReactNode;
}) {
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  useEffect(() => {
    const el = listRef.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setViewport(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, [listRef]);
  // Near the end of what is loaded (or when the loaded rows do not fill the window): the next page.
  useEffect(() => {
    if (scrollTop + viewport >= (rows.length - PREFETCH_ROWS) * ROW_HEIGHT) onEndReached();
  }, [scrollTop, viewport, rows.length, onEndReached]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + viewport) / ROW_HEIGHT) + OVERSCAN);
  return (
    <div
      ref={listRef}
      role="listbox"
      aria-label={label}
      aria-rowcount={rows.length}
      data-testid="inbox-list"
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      style={{ flex: 1, minHeight: 0, overflowY: 'auto', border: '1px solid #f0f0f0', borderRadius: 6 }}
    >
      {rows.length === 0 ? (
        <div style={{ padding: 24, textAlign: 'center' }}>{empty}</div>
      ) : (
        <div style={{ height: rows.length * ROW_HEIGHT, position: 'relative' }}>
          {rows.slice(first, last).map((c, i) => (
            <div key={c.id} style={{ position: 'absolute', top: (first + i) * ROW_HEIGHT, height: ROW_HEIGHT, left: 0, right: 0 }}>
              {render(c)}
            </div>
          ))}
        </div>
      )}
      {footer && <div style={{ textAlign: 'center', padding: 4 }}>{footer}</div>}
    </div>
  );
}

function Row({ c, selected, unread, onSelect }: { c: Conversation; selected: boolean; unread: boolean; onSelect(id: string): void }) {
  const { t } = useTranslation();
  const name = useCustomerName(c.customerId);
  const last = c.lastCustomerMessageAt ?? c.createdAt;
  return (
    <div
      role="option"
      aria-selected={selected}
      tabIndex={0}
      data-testid="inbox-row"
      data-conversation-id={c.id}
      onClick={() => onSelect(c.id)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          onSelect(c.id);
        }
      }}
      style={{
        height: ROW_HEIGHT,
        padding: '6px 10px',
        cursor: 'pointer',
        borderBottom: '1px solid #f5f5f5',
        background: selected ? '#e6f4ff' : undefined,
        borderInlineStart: `3px solid ${selected ? '#1677ff' : 'transparent'}`,
        overflow: 'hidden',
      }}
    >
      <div style={{ display: 'flex', justifyContent: 'space-between', gap: 8 }}>
        <Typography.Text strong={unread} ellipsis style={{ maxWidth: 190 }}>
          {unread && <Badge status="processing" aria-label={t('workspace.unread')} />} {name ?? '…'} <Typography.Text type="secondary">#{c.number}</Typography.Text>
        </Typography.Text>
        <Typography.Text type="secondary" style={{ fontSize: 12, whiteSpace: 'nowrap' }}>
          {formatTime(last)}
        </Typography.Text>
      </div>
      <Typography.Text type="secondary" ellipsis style={{ display: 'block', fontSize: 12 }}>
        {c.subject ?? t('workspace.noSubject')}
      </Typography.Text>
      <div style={{ whiteSpace: 'nowrap', overflow: 'hidden' }}>
        <Tag color={STATUS_COLOURS[c.status]} style={{ marginInlineEnd: 4 }}>
          {t(`workspace.status.${c.status}`)}
        </Tag>
        <Tag style={{ marginInlineEnd: 4 }}>{t(`workspace.channel.${c.channel}`)}</Tag>
        {c.priority !== 'normal' && (
          <Tag color={PRIORITY_COLOURS[c.priority]} style={{ marginInlineEnd: 4 }}>
            {t(`workspace.priority.${c.priority}`)}
          </Tag>
        )}
        {c.assigneeId === null && <Tag color="purple">{t('workspace.waiting')}</Tag>}
        {c.followUpDueAt && <Tag color="magenta">{t('workspace.followUpDue')}</Tag>}
      </div>
    </div>
  );
}
