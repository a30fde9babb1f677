import { useEffect, useState } from 'react';
import { Alert, App, Button, Drawer, Empty, Input, Space, Spin, Tag, Typography } from 'antd';
import { LinkOutlined, FileTextOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, type ApiError, type Reply } from '../../api/client.ts';
import { useRealtimeEvents, useRealtimeStatus } from '../../realtime.tsx';
import { AttachmentLink } from '../knowledge/Attachments.tsx';
import { asApiError, isAbort, type Message } from './shared.ts';

type Suggestions = Reply<'get', '/api/conversations/{id}/knowledge-suggestions'>;
type Search = Reply<'get', '/api/knowledge-searches'>;
type Hit = Suggestions['data'][number];
type Article = Hit['article'];
type Parts = Hit['snippet'];

/** The server marks the words that matched; they are shown as <mark>, the text itself never as HTML. */
function Marked({ parts }: { parts: Parts }) {
  return (
    <>
      {parts.map((p, i) => (p.hit ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
    </>
  );
}

/**
 * K2 in the workspace, like Zendesk's knowledge panel: articles for the customer's last message
 * (the conversation's problem type first), fetched again when the customer writes or the problem
 * type changes; a search box for anything else. An article opens beside the conversation and goes
 * into the reply box as a link or as its text, never sent on its own.
 */
export function KnowledgePanel({ conversationId, problemType, onInsert }: { conversationId: string; problemType: string | null; onInsert(text: string): boolean }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { generation } = useRealtimeStatus();
  const [suggestions, setSuggestions] = useState<Suggestions | null>(null);
  const [search, setSearch] = useState<Search | null>(null);
  const [query, setQuery] = useState('');
  const [searching, setSearching] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [customerSaid, setCustomerSaid] = useState(0);
  const [open, setOpen] = useState<Article | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    setError(null);
    api.get('/api/conversations/{id}/knowledge-suggestions', { path: { id: conversationId }, query: { limit: 5 }, signal: controller.signal }).then(setSuggestions, (err: unknown) => {
      if (!isAbort(err)) setError(asApiError(err));
    });
    return () => controller.abort();
  }, [conversationId, problemType, customerSaid, generation]);

  useRealtimeEvents(['message.created'], (e) => {
    const m = e.data as unknown as Message | null;
    if (m?.conversationId === conversationId && m.author === 'customer') setCustomerSaid((n) => n + 1);
  });

  async function find(q: string) {
    if (!q.trim()) return setSearch(null);
    setSearching(true);
    try {
      setSearch(await api.get('/api/knowledge-searches', { query: { q, conversationId, limit: 10 } }));
      setError(null);
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setSearching(false);
    }
  }

  const shown = search ?? suggestions;
  const basisNote = search
    ? search.match === 'any' && search.data.length > 0
      ? t('workspace.knowledge.partial')
      : null
    : suggestions?.basis === 'message'
      ? t('workspace.knowledge.byMessage')
      : suggestions?.basis === 'problem_type'
        ? t('workspace.knowledge.byProblemType')
        : null;

  return (
    <section aria-label={t('workspace.knowledge.title')} data-testid="knowledge-panel" style={{ height: '100%', overflowY: 'auto' }}>
      <Input.Search
        aria-label={t('workspace.knowledge.search')}
        placeholder={t('workspace.knowledge.searchPlaceholder')}
        allowClear
        value={query}
        loading={searching}
        maxLength={2000}
        onChange={(e) => {
          setQuery(e.target.value);
          if (!e.target.value) setSearch(null);
        }}
        onSearch={(q) => void find(q)}
        data-testid="knowledge-search"
      />
      {error && <Alert type="error" showIcon title={error.message} style={{ marginTop: 8 }} />}
      {basisNote && (
        <Typography.Text type="secondary" style={{ display: 'block', margin: '8px 0 0', fontSize: 12 }} data-testid="knowledge-basis">
          {basisNote}
        </Typography.Text>
      )}
      {!shown && !error && <Spin aria-label={t('common.loading')} style={{ display: 'block', margin: 24 }} />}
      {shown &&
        (shown.data.length === 0 ? (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={search ? t('workspace.knowledge.noResults') : t('workspace.knowledge.noSuggestions')} data-testid="knowledge-empty" />
        ) : (
          <ul data-testid="knowledge-results" style={{ listStyle: 'none', padding: 0, margin: '8px 0 0' }}>
            {shown.data.map((h) => (
              <li key={h.article.id} data-testid="knowledge-hit" data-article-id={h.article.id} style={{ padding: '8px 0', borderBottom: '1px solid #f0f0f0' }}>
                <Space size={4} wrap>
                  <Button type="link" size="small" style={{ padding: 0, height: 'auto', whiteSpace: 'normal', textAlign: 'start' }} onClick={() => setOpen(h.article)}>
                    <span>
                      KB-{h.article.number} <Marked parts={h.title} />
                    </span>
                  </Button>
                  <Tag>{t(`workspace.knowledge.type.${h.article.type}`)}</Tag>
                  {h.article.visibility === 'public' && <Tag color="green">{t('workspace.knowledge.public')}</Tag>}
                </Space>
                <Typography.Paragraph type="secondary" style={{ fontSize: 12, margin: '2px 0 0' }} ellipsis={{ rows: 3 }}>
                  <Marked parts={h.snippet} />
                </Typography.Paragraph>
              </li>
            ))}
          </ul>
        ))}
      <ArticleDrawer
        article={open}
        onClose={() => setOpen(null)}
        onInsert={(text) => {
          setOpen(null);
          if (!onInsert(text)) void message.warning(t('workspace.knowledge.noReplyBox'));
        }}
      />
    </section>
  );
}

/** The published text of one article, with the two ways into the reply. */
function ArticleDrawer({ article, onClose, onInsert }: { article: Article | null; onClose(): void; onInsert(text: string): void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [detail, setDetail] = useState<Reply<'get', '/api/knowledge-articles/{id}'> | null>(null);

  useEffect(() => {
    setDetail(null);
    if (!article) return;
    const controller = new AbortController();
    api.get('/api/knowledge-articles/{id}', { path: { id: article.id }, signal: controller.signal }).then(setDetail, (err: unknown) => {
      if (!isAbort(err)) void message.error(asApiError(err).message);
    });
    return () => controller.abort();
  }, [article, message]);

  const published = detail?.published;
  // Customers can open only public articles, in the help centre.
  const link = () => [`KB-${detail!.number} ${published!.title}`, detail!.visibility === 'public' ? `${location.origin}/help/articles/${detail!.number}` : null].filter(Boolean).join(' ');

  return (
    <Drawer
      open={article !== null}
      onClose={onClose}
      size="large"
      title={article ? `KB-${article.number} ${published?.title ?? article.title}` : ''}
      data-testid="knowledge-article"
      extra={
        <Space>
          <Button icon={<LinkOutlined />} disabled={!published} onClick={() => onInsert(link())}>
            {t('workspace.knowledge.insertLink')}
          </Button>
          <Button type="primary" icon={<FileTextOutlined />} disabled={!published} onClick={() => onInsert(published!.body)}>
            {t('workspace.knowledge.insertBody')}
          </Button>
        </Space>
      }
    >
      {!detail && <Spin aria-label={t('common.loading')} style={{ display: 'block', margin: 24 }} />}
      {detail && (
        <>
          <Space size={4} wrap style={{ marginBottom: 12 }}>
            <Tag>{t(`workspace.knowledge.type.${detail.type}`)}</Tag>
            <Tag color={detail.visibility === 'public' ? 'green' : 'default'}>{t(`workspace.knowledge.visibility.${detail.visibility}`)}</Tag>
          </Space>
          {published ? (
            <div style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }} data-testid="knowledge-body">
              {published.body}
            </div>
          ) : (
            <Empty description={t('workspace.knowledge.unpublished')} />
          )}
          {detail.attachments.length > 0 && (
            <section data-testid="knowledge-attachments" style={{ marginTop: 16 }}>
              <Typography.Title level={5}>{t('knowledge.attachments.title')}</Typography.Title>
              {detail.attachments.map((f) => (
                <div key={f.id}>
                  <AttachmentLink file={f} />
                </div>
              ))}
            </section>
          )}
        </>
      )}
    </Drawer>
  );
}
