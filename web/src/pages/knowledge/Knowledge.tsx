import { useCallback, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { Alert, Button, Card, Empty, Form, Input, InputNumber, Modal, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, type Reply } from '../../api/client.ts';
import { LoadError, useLoad, usePaged } from '../../api/useLoad.tsx';
import { allows, useMe } from '../../auth/session.tsx';
import { formatDateTime } from '../../i18n/index.ts';
import { useReloadKey } from '../../realtime.tsx';
import { EditDelete, useEditor } from '../org/editor.tsx';
import { ArticlePage } from './ArticlePage.tsx';
import { ArticleDialog } from './Dialogs.tsx';
import { ArticleTags, LIST_EVENTS, Marked, STATUSES, STATUS_COLOURS, TYPES, VISIBILITIES, articlePath, useCategories, useProblemTypes, type Article, type ArticleType, type Categories, type Category } from './shared.tsx';

type Gap = Reply<'get', '/api/knowledge-gaps'>['data'][number];

/**
 * K1/K2: the knowledge base — search first (as agents use it while answering), the article list,
 * the reviewers' queue, knowledge gaps and categories; ?id= opens one article.
 */
export default function Knowledge() {
  const { t } = useTranslation();
  const me = useMe();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const id = params.get('id');
  const tab = params.get('tab') ?? 'search';
  const [categoriesVersion, setCategoriesVersion] = useState(0);
  const categories = useCategories(categoriesVersion);
  const problemTypes = useProblemTypes();
  const [composing, setComposing] = useState<{ title?: string } | null>(null);
  const reviewer = allows(me, 'knowledge.review');

  if (id) {
    const back = () =>
      setParams((p) => {
        const next = new URLSearchParams(p);
        next.delete('id');
        return next;
      });
    return <ArticlePage key={id} id={id} categories={categories} problemTypes={problemTypes} onBack={back} />;
  }

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={2} style={{ margin: 0 }}>
          {t('nav.knowledge')}
        </Typography.Title>
        {allows(me, 'knowledge.write') && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setComposing({})}>
            {t('knowledge.create')}
          </Button>
        )}
      </Space>
      <Tabs
        activeKey={tab}
        onChange={(key) => setParams({ tab: key }, { replace: true })}
        destroyOnHidden
        items={[
          { key: 'search', label: t('knowledge.tabs.search'), children: <SearchTab categories={categories} /> },
          { key: 'browse', label: t('knowledge.tabs.browse'), children: <ArticleList categories={categories} inReview={false} /> },
          ...(reviewer
            ? [
                { key: 'review', label: t('knowledge.tabs.review'), children: <ArticleList categories={categories} inReview /> },
                { key: 'gaps', label: t('knowledge.tabs.gaps'), children: <GapsTab onWrite={(title) => setComposing({ title })} /> },
                { key: 'categories', label: t('knowledge.tabs.categories'), children: <CategoriesTab categories={categories} onChanged={() => setCategoriesVersion((n) => n + 1)} /> },
              ]
            : []),
        ]}
      />
      {composing && (
        <ArticleDialog
          title={t('knowledge.create')}
          parts={{ properties: true, text: true }}
          initialValues={{ type: 'article', visibility: 'internal', ...composing }}
          categories={categories}
          problemTypes={problemTypes}
          onSave={async (v) => {
            const created = await api.post('/api/knowledge-articles', {
              body: { type: v.type, visibility: v.visibility, categoryId: v.categoryId ?? null, problemType: v.problemType ?? null, title: v.title.trim(), body: v.body, note: v.note?.trim() || null },
            });
            navigate(articlePath(created.id));
          }}
          onClose={() => setComposing(null)}
        />
      )}
    </Space>
  );
}

/** Filters, not a record: no field names, so each label points at its control by id. */
function Filter<T extends string>({ id, label, value, onChange, options }: { id: string; label: string; value: T | undefined; onChange: (v: T | undefined) => void; options: Array<{ value: T; label: string }> }) {
  const { t } = useTranslation();
  return (
    <Form.Item label={label} htmlFor={id}>
      <Select<T> id={id} allowClear value={value} onChange={(v?: T) => onChange(v)} placeholder={t('knowledge.all')} style={{ width: 160 }} options={options} />
    </Form.Item>
  );
}

function useTypeOptions() {
  const { t } = useTranslation();
  return TYPES.map((v) => ({ value: v, label: t(`knowledge.types.${v}`) }));
}

/** K2: search as agents use it — Enter searches; the query's words are marked in the title and snippet. */
function SearchTab({ categories }: { categories: Categories }) {
  const { t } = useTranslation();
  const [q, setQ] = useState<string | null>(null);
  const [type, setType] = useState<ArticleType>();
  const [categoryId, setCategoryId] = useState<string>();
  const { data, error, loading, reload } = useLoad(
    useCallback(
      (signal: AbortSignal) => (q ? api.get('/api/knowledge-searches', { query: { q, limit: 20, ...(type ? { type } : {}), ...(categoryId ? { categoryId } : {}) }, signal }) : Promise.resolve(null)),
      [q, type, categoryId],
    ),
  );
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Form layout="inline" style={{ rowGap: 8 }}>
        <Form.Item label={t('knowledge.search')} htmlFor="kb-q" extra={t('knowledge.searchIntro')}>
          <Input.Search id="kb-q" allowClear autoFocus maxLength={2000} placeholder={t('knowledge.searchPlaceholder')} onSearch={(v) => setQ(v.trim() || null)} loading={loading && q !== null} style={{ width: 400 }} />
        </Form.Item>
        <Filter id="kb-search-type" label={t('knowledge.filterType')} value={type} onChange={setType} options={useTypeOptions()} />
        <Filter id="kb-search-category" label={t('knowledge.filterCategory')} value={categoryId} onChange={setCategoryId} options={categories.options} />
      </Form>
      {error && <LoadError error={error} onRetry={reload} />}
      {data && data.match === 'any' && <Alert type="info" showIcon data-testid="kb-partial" title={t('knowledge.partialMatch')} />}
      {data && data.data.length === 0 && (
        <Empty data-testid="kb-empty" description={
            data.match === 'none' ? (
              t('knowledge.noTerms')
            ) : (
              <>
                <div>{t('knowledge.noResults')}</div>
                <Typography.Text type="secondary">{t('knowledge.noResultsHint')}</Typography.Text>
              </>
            )
          } />
      )}
      {data && data.data.length > 0 && (
        <Space orientation="vertical" style={{ width: '100%' }} data-testid="kb-results">
          {data.data.map((hit) => (
            <Card key={hit.article.id} size="small">
              <Space wrap>
                <Link to={articlePath(hit.article.id)} style={{ fontSize: 16 }}>
                  <Marked parts={hit.title} />
                </Link>
                <Typography.Text type="secondary">KB-{hit.article.number}</Typography.Text>
                <ArticleTags type={hit.article.type} visibility={hit.article.visibility} />
              </Space>
              <Typography.Paragraph style={{ margin: '4px 0 0' }}>
                <Marked parts={hit.snippet} />
              </Typography.Paragraph>
            </Card>
          ))}
        </Space>
      )}
    </Space>
  );
}

interface ListFilters {
  status?: Article['status'];
  type?: ArticleType;
  visibility?: Article['visibility'];
  categoryId?: string;
}

/** K1: every article (newest first), or with `inReview` the reviewers' queue of versions waiting for them. */
function ArticleList({ categories, inReview }: { categories: Categories; inReview: boolean }) {
  const { t } = useTranslation();
  const [filters, setFilters] = useState<ListFilters>({});
  const set = <K extends keyof ListFilters>(k: K) => (v: ListFilters[K]) => setFilters((f) => ({ ...f, [k]: v }));
  const { rows, loading, error, more, reload } = usePaged(
    useCallback(
      (cursor: string | null, signal: AbortSignal) =>
        api.get('/api/knowledge-articles', {
          query: { limit: 50, ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)), ...(inReview ? { inReview: true } : {}), ...(cursor ? { cursor } : {}) },
          signal,
        }),
      [filters, inReview],
    ),
    useReloadKey(LIST_EVENTS),
  );
  const prefix = inReview ? 'kb-review' : 'kb-list';
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Form layout="inline" style={{ rowGap: 8 }}>
        {!inReview && <Filter id={`${prefix}-status`} label={t('knowledge.filterStatus')} value={filters.status} onChange={set('status')} options={STATUSES.map((v) => ({ value: v, label: t(`knowledge.statuses.${v}`) }))} />}
        <Filter id={`${prefix}-type`} label={t('knowledge.filterType')} value={filters.type} onChange={set('type')} options={useTypeOptions()} />
        <Filter id={`${prefix}-visibility`} label={t('knowledge.filterVisibility')} value={filters.visibility} onChange={set('visibility')} options={VISIBILITIES.map((v) => ({ value: v, label: t(`knowledge.visibilities.${v}`) }))} />
        <Filter id={`${prefix}-category`} label={t('knowledge.filterCategory')} value={filters.categoryId} onChange={set('categoryId')} options={categories.options} />
      </Form>
      {error && <LoadError error={error} onRetry={() => void reload()} />}
      <Table<Article>
        rowKey="id"
        data-testid={prefix}
        loading={loading}
        dataSource={rows}
        pagination={false}
        locale={{ emptyText: t(inReview ? 'knowledge.reviewEmpty' : 'knowledge.empty') }}
        columns={[
          { title: t('knowledge.number'), dataIndex: 'number', render: (n: number) => `KB-${n}` },
          { title: t('knowledge.titleField'), dataIndex: 'title', render: (title: string, a) => <Link to={articlePath(a.id)}>{title}</Link> },
          { title: t('knowledge.type'), key: 'tags', render: (_, a) => <ArticleTags type={a.type} visibility={a.visibility} /> },
          { title: t('knowledge.status'), dataIndex: 'status', render: (s: Article['status']) => <Tag color={STATUS_COLOURS[s]}>{t(`knowledge.statuses.${s}`)}</Tag> },
          { title: t('knowledge.category'), dataIndex: 'categoryId', render: (c: string | null) => categories.label(c) ?? '—' },
          { title: t('knowledge.updatedAt'), dataIndex: 'updatedAt', render: formatDateTime },
        ]}
      />
      {more && (
        <Button onClick={more} loading={loading}>
          {t('knowledge.more')}
        </Button>
      )}
    </Space>
  );
}

/** K2: searches that found nothing, the articles worth writing next. */
function GapsTab({ onWrite }: { onWrite: (title: string) => void }) {
  const { t } = useTranslation();
  const { data, error, loading, reload } = useLoad(useCallback((signal: AbortSignal) => api.get('/api/knowledge-gaps', { signal }), []));
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
        {t('knowledge.gapsIntro')}
      </Typography.Paragraph>
      {error && <LoadError error={error} onRetry={reload} />}
      <Table<Gap>
        rowKey="terms"
        data-testid="kb-gaps"
        loading={loading}
        dataSource={data?.data ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        locale={{ emptyText: t('knowledge.gapsEmpty') }}
        columns={[
          { title: t('knowledge.gapTerms'), dataIndex: 'terms' },
          { title: t('knowledge.gapExample'), dataIndex: 'example' },
          { title: t('knowledge.gapCount'), dataIndex: 'searches' },
          { title: t('knowledge.gapLast'), dataIndex: 'lastAt', render: formatDateTime },
          {
            title: t('knowledge.actions'),
            key: 'write',
            render: (_, g) => (
              <Button size="small" onClick={() => onWrite(g.example)}>
                {t('knowledge.gapWrite')}
              </Button>
            ),
          },
        ]}
      />
    </Space>
  );
}

interface CategoryValues {
  name: string;
  parentId?: string | null;
  position?: number;
}

/** K1: the two levels of categories, kept by reviewers. */
function CategoriesTab({ categories, onChanged }: { categories: Categories; onChanged: () => void }) {
  const { t } = useTranslation();
  const { editing, setEditing, form, save, remove } = useEditor<Category, CategoryValues>({
    fields: ['name', 'parentId', 'position'],
    save: (editing, v) => {
      const body = { name: v.name.trim(), parentId: v.parentId ?? null, position: v.position ?? 0 };
      return editing === 'new' ? api.post('/api/knowledge-categories', { body }) : api.patch('/api/knowledge-categories/{id}', { path: { id: editing.id }, body });
    },
    remove: (c) => api.delete('/api/knowledge-categories/{id}', { path: { id: c.id } }),
    onChanged,
  });
  // A category with children stays top-level; others may move under any other top-level one.
  const parents = categories.tops.filter((c) => editing === 'new' || (editing && c.id !== editing.id && !categories.rows.some((r) => r.parentId === editing.id)));
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Button icon={<PlusOutlined />} onClick={() => setEditing('new')} style={{ alignSelf: 'flex-start' }}>
        {t('knowledge.createCategory')}
      </Button>
      <Table<Categories['rows'][number]>
        rowKey="id"
        data-testid="kb-categories"
        dataSource={categories.rows}
        pagination={false}
        locale={{ emptyText: t('knowledge.categoriesEmpty') }}
        columns={[
          { title: t('knowledge.categoryName'), dataIndex: 'label' },
          { title: t('knowledge.categoryPosition'), dataIndex: 'position' },
          { title: t('knowledge.actions'), key: 'actions', render: (_, c) => <EditDelete confirm={t('knowledge.deleteCategory', { name: c.label })} onEdit={() => setEditing(c)} onDelete={() => remove(c)} /> },
        ]}
      />
      <Modal title={t(editing === 'new' ? 'knowledge.createCategory' : 'knowledge.editCategory')} open={editing !== null} onCancel={() => setEditing(null)} onOk={() => form.submit()} okText={t('knowledge.save')} destroyOnHidden>
        <Form<CategoryValues>
          form={form}
          layout="vertical"
          name="knowledge-category"
          preserve={false}
          initialValues={editing && editing !== 'new' ? { name: editing.name, parentId: editing.parentId, position: editing.position } : { position: 0 }}
          onFinish={(v) => void save(v)}
        >
          <Form.Item label={t('knowledge.categoryName')} name="name" rules={[{ required: true, whitespace: true, message: t('knowledge.categoryNameRequired') }]}>
            <Input maxLength={50} autoFocus />
          </Form.Item>
          <Form.Item label={t('knowledge.categoryParent')} name="parentId" extra={t('knowledge.categoryParentHint')}>
            <Select allowClear options={parents.map((c) => ({ value: c.id, label: c.name }))} />
          </Form.Item>
          <Form.Item label={t('knowledge.categoryPosition')} name="position">
            <InputNumber min={0} max={10_000} />
          </Form.Item>
        </Form>
      </Modal>
    </Space>
  );
}
