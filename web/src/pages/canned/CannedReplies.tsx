import { useCallback, useMemo, useState } from 'react';
import { Button, Form, Input, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, type Reply } from '../../api/client.ts';
import { LoadError, useLoad } from '../../api/useLoad.tsx';
import { allows, useMe } from '../../auth/session.tsx';
import { formatDateTime } from '../../i18n/index.ts';
import { EditDelete, useEditor } from '../org/editor.tsx';
import { textOrNull } from '../complaints/forms.ts';
import { CannedForm, type CannedValues } from './CannedForm.tsx';

type Canned = Reply<'get', '/api/canned-replies'>[number];
type Scope = Canned['scope'];
const FIELDS = ['scope', 'title', 'body', 'category', 'shortcut'];

/**
 * CH8: the shared canned replies (标准话术) every agent inserts in the workspace, kept by supervisors,
 * trainers and managers, and the signed-in user's own: search, filter, create, edit, delete. Agents
 * read the shared ones and keep only their own.
 */
export default function CannedReplies() {
  const { t } = useTranslation();
  const keepsShared = allows(useMe(), 'canned_replies.manage_shared');
  const mayEdit = (r: Canned) => r.scope === 'personal' || keepsShared;
  const [q, setQ] = useState('');
  const [scope, setScope] = useState<Scope | 'all'>('all');
  const [category, setCategory] = useState<string | null>(null);
  const { data, error, loading, reload } = useLoad(
    useCallback(
      (signal: AbortSignal) => api.get('/api/canned-replies', { query: { ...(q ? { q } : {}), ...(scope === 'all' ? {} : { scope }) }, signal }),
      [q, scope],
    ),
  );
  // Categories are free text: they are offered from the replies found, and filtered here rather than re-asked.
  const categories = useMemo(() => [...new Set((data ?? []).map((r) => r.category).filter((c): c is string => c !== null))].sort(), [data]);
  const rows = useMemo(() => (data ?? []).filter((r) => !category || r.category === category), [data, category]);

  const { editing, setEditing, form, save, remove } = useEditor<Canned, CannedValues>({
    fields: FIELDS,
    save: (editing, v) => {
      const body = { title: v.title.trim(), body: v.body.trim(), category: textOrNull(v.category), shortcut: textOrNull(v.shortcut) };
      return editing === 'new' ? api.post('/api/canned-replies', { body: { ...body, scope: keepsShared ? (v.scope ?? 'shared') : 'personal' } }) : api.patch('/api/canned-replies/{id}', { path: { id: editing.id }, body });
    },
    remove: (r) => api.delete('/api/canned-replies/{id}', { path: { id: r.id } }),
    onChanged: reload,
  });

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={2} style={{ margin: 0 }}>
          {t('nav.canned')}
        </Typography.Title>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>
          {t('canned.create')}
        </Button>
      </Space>
      <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
        {t(keepsShared ? 'canned.intro' : 'canned.introAgent')}
      </Typography.Paragraph>
      {/* Filters, not a record: no field names, so each label points at its control by id. */}
      <Form layout="inline" style={{ rowGap: 8 }}>
        <Form.Item label={t('canned.search')} htmlFor="canned-q">
          <Input.Search id="canned-q" allowClear maxLength={100} placeholder={t('canned.searchPlaceholder')} onSearch={(v) => setQ(v.trim())} style={{ width: 280 }} />
        </Form.Item>
        <Form.Item label={t('canned.filterScope')} htmlFor="canned-scope">
          <Select<Scope | 'all'> id="canned-scope" value={scope} onChange={setScope} style={{ width: 140 }} options={(['all', 'shared', 'personal'] as const).map((s) => ({ value: s, label: t(`canned.scopes.${s}`) }))} />
        </Form.Item>
        <Form.Item label={t('canned.filterCategory')} htmlFor="canned-category">
          <Select<string> id="canned-category" allowClear value={category ?? undefined} onChange={(v?: string) => setCategory(v ?? null)} placeholder={t('canned.allCategories')} style={{ width: 160 }} options={categories.map((c) => ({ value: c, label: c }))} />
        </Form.Item>
      </Form>
      {error && <LoadError error={error} onRetry={reload} />}
      <Table<Canned>
        rowKey="id"
        data-testid="canned-table"
        loading={loading}
        dataSource={rows}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        locale={{ emptyText: t('canned.empty') }}
        columns={[
          { title: t('canned.titleField'), dataIndex: 'title' },
          { title: t('canned.body'), dataIndex: 'body', render: (b: string) => <Typography.Paragraph ellipsis={{ rows: 2, tooltip: b }} style={{ margin: 0, maxWidth: 420 }}>{b}</Typography.Paragraph> },
          { title: t('canned.category'), dataIndex: 'category', render: (c: string | null) => c ?? '—' },
          { title: t('canned.shortcut'), dataIndex: 'shortcut', render: (s: string | null) => (s ? <Typography.Text code>/{s}</Typography.Text> : '—') },
          { title: t('canned.scope'), dataIndex: 'scope', render: (s: Scope) => <Tag color={s === 'shared' ? 'blue' : 'default'}>{t(`canned.scopes.${s}`)}</Tag> },
          { title: t('canned.usageCount'), dataIndex: 'usageCount' },
          { title: t('canned.updatedAt'), dataIndex: 'updatedAt', render: formatDateTime },
          {
            title: t('canned.actions'),
            key: 'actions',
            render: (_, r) => mayEdit(r) && <EditDelete confirm={t('canned.deleteConfirm', { title: r.title })} onEdit={() => setEditing(r)} onDelete={() => remove(r)} />,
          },
        ]}
      />
      <Modal title={t(editing === 'new' ? 'canned.create' : 'canned.edit')} open={editing !== null} onCancel={() => setEditing(null)} onOk={() => form.submit()} okText={t('org.save')} width={640} destroyOnHidden>
        <CannedForm
          form={form}
          choosesScope={editing === 'new' && keepsShared}
          initialValues={editing && editing !== 'new' ? { title: editing.title, body: editing.body, category: editing.category, shortcut: editing.shortcut } : { scope: keepsShared ? 'shared' : 'personal' }}
          onFinish={(v) => void save(v)}
        />
      </Modal>
    </Space>
  );
}
