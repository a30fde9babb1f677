import { useCallback, useState } from 'react';
import { Alert, App, Button, Card, Descriptions, Modal, Space, Statistic, Table, Tag, Typography } from 'antd';
import { ArrowLeftOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import { asApiError, LoadError, useLoad, usePaged } from '../../api/useLoad.tsx';
import { allows, useMe } from '../../auth/session.tsx';
import { formatDateTime } from '../../i18n/index.ts';
import { StaffName } from '../org/data.ts';
import { ArticleAttachments } from './Attachments.tsx';
import { ArticleDialog, ReasonDialog, type ArticleValues } from './Dialogs.tsx';
import { ArticleTags, STATUS_COLOURS, useArticleLive, type Categories, type ProblemType, type Version } from './shared.tsx';

const textOrNull = (s: string | null | undefined) => s?.trim() || null;
const pre = { whiteSpace: 'pre-wrap', margin: 0 } as const;

type Dialog = 'edit' | 'version' | 'properties' | 'reject' | 'archive' | null;

/**
 * K1: one article — the published text readers see, the version being written or reviewed with
 * what its author and reviewer may do to it, and the version history with each version's diff.
 */
export function ArticlePage({ id, categories, problemTypes, onBack }: { id: string; categories: Categories; problemTypes: ProblemType[]; onBack: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const me = useMe();
  const [changes, setChanges] = useState(0);
  const changed = () => setChanges((n) => n + 1);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [diffOf, setDiffOf] = useState<number | null>(null);
  const { data: a, error, reload } = useLoad(useCallback((signal: AbortSignal) => api.get('/api/knowledge-articles/{id}', { path: { id }, signal }), [id, changes]));
  const history = usePaged(
    useCallback((cursor: string | null, signal: AbortSignal) => api.get('/api/knowledge-articles/{id}/versions', { path: { id }, query: { limit: 50, ...(cursor ? { cursor } : {}) }, signal }), [id]),
    changes,
  );
  useArticleLive(id, a, changed);

  const reviewer = allows(me, 'knowledge.review');
  const writer = allows(me, 'knowledge.write');

  async function act(call: () => Promise<unknown>, done: string) {
    try {
      await call();
      void message.success(done);
      changed();
    } catch (err) {
      void message.error(asApiError(err).message);
    }
  }

  if (!a) return error ? <LoadError error={error} onRetry={reload} /> : null;
  const open = a.open;
  const path = (v: number) => ({ path: { id, version: v } });
  const archived = a.status === 'archived';
  const problemType = problemTypes.find((p) => p.code === a.problemType)?.name ?? a.problemType;

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Button icon={<ArrowLeftOutlined />} onClick={onBack}>
        {t('knowledge.back')}
      </Button>
      <Space wrap align="center">
        <Typography.Text type="secondary">KB-{a.number}</Typography.Text>
        <Typography.Title level={2} style={{ margin: 0 }}>
          {a.title}
        </Typography.Title>
        <ArticleTags type={a.type} visibility={a.visibility} />
        <Tag color={STATUS_COLOURS[a.status]}>{t(`knowledge.statuses.${a.status}`)}</Tag>
      </Space>
      <Descriptions size="small" bordered column={{ xs: 1, md: 2 }}>
        <Descriptions.Item label={t('knowledge.category')}>{categories.label(a.categoryId) ?? t('knowledge.noCategory')}</Descriptions.Item>
        <Descriptions.Item label={t('knowledge.problemType')}>{problemType ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('knowledge.publishedAt')}>{formatDateTime(a.publishedAt)}</Descriptions.Item>
        <Descriptions.Item label={t('knowledge.updatedAt')}>{formatDateTime(a.updatedAt)}</Descriptions.Item>
      </Descriptions>
      {!archived && (
        <Space wrap>
          {writer && !open && a.published && <Button onClick={() => setDialog('version')}>{t('knowledge.newVersion')}</Button>}
          {reviewer && <Button onClick={() => setDialog('properties')}>{t('knowledge.properties')}</Button>}
          {reviewer && (
            <Button danger onClick={() => setDialog('archive')}>
              {t('knowledge.archive')}
            </Button>
          )}
        </Space>
      )}
      {archived && <Alert type="warning" showIcon title={t('knowledge.archivedNote', { time: formatDateTime(a.archivedAt) })} />}

      {open && (
        <Card
          size="small"
          data-testid="kb-open-version"
          title={
            <Space>
              {t('knowledge.openVersion', { version: open.version })}
              <Tag color={STATUS_COLOURS[open.status]}>{t(`knowledge.versionStatuses.${open.status}`)}</Tag>
            </Space>
          }
        >
          <Space orientation="vertical" style={{ width: '100%' }}>
            {open.status === 'draft' && open.reviewComment && <Alert type="warning" showIcon data-testid="kb-rejection" title={t('knowledge.rejection')} description={<p style={pre}>{open.reviewComment}</p>} />}
            <Typography.Title level={4} style={{ margin: 0 }}>
              {open.title}
            </Typography.Title>
            <p style={pre}>{open.body}</p>
            {open.note && <Typography.Text type="secondary">{`${t('knowledge.note')}：${open.note}`}</Typography.Text>}
            {!archived && (
              <Space wrap>
                {open.status === 'draft' && writer && (open.authorId === me.id || reviewer) && (
                  <>
                    <Button onClick={() => setDialog('edit')}>{t('knowledge.editDraft')}</Button>
                    <Button type="primary" onClick={() => void act(() => api.post('/api/knowledge-articles/{id}/versions/{version}/submissions', path(open.version)), t('knowledge.submitted'))}>
                      {t('knowledge.submit')}
                    </Button>
                  </>
                )}
                {open.status === 'in_review' && reviewer && open.authorId === me.id && <Typography.Text type="secondary">{t('knowledge.ownVersion')}</Typography.Text>}
                {open.status === 'in_review' && reviewer && open.authorId !== me.id && (
                  <>
                    <Button type="primary" onClick={() => void act(() => api.post('/api/knowledge-articles/{id}/versions/{version}/reviews', { ...path(open.version), body: { decision: 'approve' } }), t('knowledge.approved'))}>
                      {t('knowledge.approve')}
                    </Button>
                    <Button danger onClick={() => setDialog('reject')}>
                      {t('knowledge.reject')}
                    </Button>
                  </>
                )}
              </Space>
            )}
          </Space>
        </Card>
      )}

      {a.published ? (
        <Card size="small" data-testid="kb-published" title={t('knowledge.published', { version: a.published.version })}>
          <Typography.Title level={4} style={{ marginTop: 0 }}>
            {a.published.title}
          </Typography.Title>
          <p style={pre}>{a.published.body}</p>
        </Card>
      ) : (
        <Alert type="info" showIcon title={t('knowledge.notPublished')} />
      )}
      <ArticleAttachments article={a} onChanged={changed} />
      {a.visibility === 'public' && a.published && <ReaderFeedback id={id} />}

      <Typography.Title level={3}>{t('knowledge.history')}</Typography.Title>
      {history.error && <LoadError error={history.error} onRetry={() => void history.reload()} />}
      <Table<Version>
        rowKey="id"
        size="small"
        data-testid="kb-history"
        loading={history.loading}
        dataSource={history.rows}
        pagination={false}
        columns={[
          { title: t('knowledge.version'), dataIndex: 'version', render: (v: number) => `v${v}` },
          { title: t('knowledge.status'), dataIndex: 'status', render: (s: Version['status']) => <Tag color={STATUS_COLOURS[s]}>{t(`knowledge.versionStatuses.${s}`)}</Tag> },
          { title: t('knowledge.titleField'), dataIndex: 'title' },
          { title: t('knowledge.note'), dataIndex: 'note', render: (n: string | null) => n ?? '—' },
          { title: t('knowledge.author'), dataIndex: 'authorId', render: (s: string | null) => <StaffName id={s} /> },
          { title: t('knowledge.reviewer'), dataIndex: 'reviewerId', render: (s: string | null) => <StaffName id={s} /> },
          { title: t('knowledge.comment'), dataIndex: 'reviewComment', render: (c: string | null) => c ?? '—' },
          { title: t('knowledge.date'), dataIndex: 'updatedAt', render: formatDateTime },
          {
            title: t('knowledge.actions'),
            key: 'diff',
            render: (_, v) =>
              v.version > 1 && (
                <Button size="small" onClick={() => setDiffOf(v.version)} aria-label={`${t('knowledge.diff')} v${v.version}`}>
                  {t('knowledge.diff')}
                </Button>
              ),
          },
        ]}
      />
      {history.more && <Button onClick={history.more}>{t('knowledge.more')}</Button>}

      {diffOf !== null && <DiffDialog id={id} version={diffOf} onClose={() => setDiffOf(null)} />}
      {(dialog === 'edit' || dialog === 'version') && (
        <ArticleDialog
          title={t(dialog === 'edit' ? 'knowledge.editDraft' : 'knowledge.newVersionTitle')}
          parts={{ properties: false, text: true }}
          initialValues={dialog === 'edit' && open ? { title: open.title, body: open.body, note: open.note } : { title: a.published?.title ?? a.title, body: a.published?.body ?? '' }}
          categories={categories}
          problemTypes={problemTypes}
          onSave={async (v: ArticleValues) => {
            const body = { title: v.title.trim(), body: v.body, note: textOrNull(v.note) };
            await (dialog === 'edit' && open ? api.patch('/api/knowledge-articles/{id}/versions/{version}', { ...path(open.version), body }) : api.post('/api/knowledge-articles/{id}/versions', { path: { id }, body }));
            changed();
          }}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog === 'properties' && (
        <ArticleDialog
          title={t('knowledge.properties')}
          parts={{ properties: true, text: false }}
          initialValues={{ type: a.type, visibility: a.visibility, categoryId: a.categoryId, problemType: a.problemType }}
          categories={categories}
          problemTypes={problemTypes}
          onSave={async (v: ArticleValues) => {
            await api.patch('/api/knowledge-articles/{id}', { path: { id }, body: { type: v.type, visibility: v.visibility, categoryId: v.categoryId ?? null, problemType: v.problemType ?? null } });
            changed();
          }}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog === 'reject' && open && (
        <ReasonDialog
          title={t('knowledge.rejectTitle', { version: open.version })}
          field="comment"
          label={t('knowledge.comment')}
          required={t('knowledge.commentRequired')}
          onSave={async (comment) => {
            await api.post('/api/knowledge-articles/{id}/versions/{version}/reviews', { ...path(open.version), body: { decision: 'reject', comment } });
            void message.success(t('knowledge.rejected'));
            changed();
          }}
          onClose={() => setDialog(null)}
        />
      )}
      {dialog === 'archive' && (
        <ReasonDialog
          title={t('knowledge.archive')}
          intro={t('knowledge.archiveTitle')}
          field="reason"
          label={t('knowledge.archiveReason')}
          required={t('knowledge.archiveReasonRequired')}
          onSave={async (reason) => {
            await api.post('/api/knowledge-articles/{id}/archivals', { path: { id }, body: { reason } });
            void message.success(t('knowledge.archived'));
            changed();
          }}
          onClose={() => setDialog(null)}
        />
      )}
    </Space>
  );
}

/** What customers made of a public article: how often it was read, their "有帮助/没帮助" answers, chat visitors it solved. */
function ReaderFeedback({ id }: { id: string }) {
  const { t } = useTranslation();
  const { data, error, reload } = useLoad(useCallback((signal: AbortSignal) => api.get('/api/knowledge-articles/{id}/statistics', { path: { id }, signal }), [id]));
  return (
    <Card size="small" data-testid="kb-readers" title={t('knowledge.readers')} extra={<Typography.Text type="secondary">{t('knowledge.readersNote')}</Typography.Text>}>
      {error && <LoadError error={error} onRetry={reload} />}
      {data && (
        <Space wrap size="large">
          <Statistic title={t('knowledge.readerViews')} value={data.views} suffix={<Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('knowledge.readerRecent', { days: data.days, count: data.recentViews })}</Typography.Text>} />
          <Statistic title={t('knowledge.readerHelpful')} value={data.helpful} />
          <Statistic title={t('knowledge.readerNotHelpful')} value={data.notHelpful} />
          <Statistic title={t('knowledge.readerHelpfulRate')} value={data.helpfulRate === null ? '—' : `${Math.round(data.helpfulRate * 100)}%`} />
          <Statistic title={t('knowledge.readerSolvedInChat')} value={data.solvedInChat} />
        </Space>
      )}
    </Card>
  );
}

const ADDED = { color: '#389e0d', background: '#f6ffed', textDecoration: 'underline' } as const;
const REMOVED = { color: '#cf1322', background: '#fff1f0', textDecoration: 'line-through' } as const;

function Changes({ parts }: { parts: ReadonlyArray<{ text: string; change: 'same' | 'added' | 'removed' }> }) {
  return parts.map((p, i) => {
    if (p.change === 'added') return <ins key={i} style={ADDED}>{p.text}</ins>;
    if (p.change === 'removed') return <del key={i} style={REMOVED}>{p.text}</del>;
    return <span key={i}>{p.text}</span>;
  });
}

/** K1: what a version changed against the one before, word by word. */
function DiffDialog({ id, version, onClose }: { id: string; version: number; onClose: () => void }) {
  const { t } = useTranslation();
  const { data, error, reload } = useLoad(useCallback((signal: AbortSignal) => api.get('/api/knowledge-articles/{id}/versions/{version}/changes', { path: { id, version }, signal }), [id, version]));
  return (
    <Modal open title={data ? t('knowledge.diffTitle', { from: data.from, to: data.to }) : t('knowledge.diff')} onCancel={onClose} footer={null} width={800}>
      {error && <LoadError error={error} onRetry={reload} />}
      {data && (
        <div data-testid="kb-diff">
          <Typography.Paragraph type="secondary">{t('knowledge.diffLegend')}</Typography.Paragraph>
          <Typography.Title level={4}>
            <Changes parts={data.title} />
          </Typography.Title>
          <p style={pre}>
            <Changes parts={data.body} />
          </p>
        </div>
      )}
    </Modal>
  );
}
