import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Alert, App, Button, Form, Input, Modal, Radio, Select, Space, Tag, Typography } from 'antd';
import { DownloadOutlined, PlusOutlined, UploadOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { Reply } from '../../api/client.ts';
import { allows, useMe } from '../../auth/session.tsx';
import { useRealtimeEvents, useRealtimeStatus } from '../../realtime.tsx';
import { asApiError } from '../../api/useLoad.tsx';
import { PagedList, usePagedList } from '../../shell/PagedList.tsx';
import { formatDateTime, showOnField } from '../org/shared.ts';
import { CustomerForm } from './CustomerForm.tsx';
import { downloadExport } from './files.ts';
import { ImportDialog } from './ImportDialog.tsx';
import { useTiers } from './tiers.ts';

type Row = Reply<'get', '/api/customers'>['data'][number];
interface Filters {
  q?: string;
  tier?: string;
  tag?: string;
  kind?: 'person' | 'organisation';
}

/** The filters live in the address, so a search can be shared and survives a reload. */
function filtersOf(params: URLSearchParams): Filters {
  const kind = params.get('kind');
  return {
    q: params.get('q') || undefined,
    tier: params.get('tier') || undefined,
    tag: params.get('tag') || undefined,
    kind: kind === 'person' || kind === 'organisation' ? kind : undefined,
  };
}

/** C1/C5: the customer archive — search, filter, page, import, export. */
export function CustomerList() {
  const { t } = useTranslation();
  const me = useMe();
  const { generation } = useRealtimeStatus();
  const [params, setParams] = useSearchParams();
  const filters = filtersOf(params);
  const tiers = useTiers();
  const [creating, setCreating] = useState(false);
  const [importing, setImporting] = useState(false);
  const [exporting, setExporting] = useState(false);
  const list = usePagedList('/api/customers', filters, generation);

  // An archive changed elsewhere (another agent, a tier recalculation) updates its row in place: the event carries its masked view.
  useRealtimeEvents(['customer.updated', 'customer.tier_changed'], (e) => {
    if (e.data) list.setRows((r) => r.map((c) => (c.id === e.entity.id ? { ...c, ...(e.data as Partial<Row>) } : c)));
  });

  function setFilter(name: keyof Filters, value: string | undefined) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  }

  const tierName = (code: string | null) => (code ? (tiers.find((x) => x.code === code)?.name ?? code) : '—');
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ margin: 0 }}>
          {t('nav.customers')}
        </Typography.Title>
        <Space wrap>
          {allows(me, 'customers.import') && (
            <Button icon={<UploadOutlined />} onClick={() => setImporting(true)}>
              {t('customers.import.open')}
            </Button>
          )}
          {allows(me, 'customers.export') && (
            <Button icon={<DownloadOutlined />} onClick={() => setExporting(true)}>
              {t('customers.export.open')}
            </Button>
          )}
          {allows(me, 'customers.manage') && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
              {t('customers.create')}
            </Button>
          )}
        </Space>
      </Space>
      <Space wrap role="search" aria-label={t('customers.filters')}>
        <Input.Search
          key={`q-${filters.q ?? ''}`}
          defaultValue={filters.q}
          allowClear
          aria-label={t('customers.search')}
          placeholder={t('customers.searchPlaceholder')}
          style={{ width: 320 }}
          maxLength={100}
          onSearch={(v) => setFilter('q', v.trim() || undefined)}
        />
        <Select
          allowClear
          aria-label={t('customers.tier')}
          placeholder={t('customers.tier')}
          style={{ width: 160 }}
          value={filters.tier}
          onChange={(v?: string) => setFilter('tier', v)}
          options={tiers.map((x) => ({ value: x.code, label: x.name }))}
        />
        <Input.Search
          key={`tag-${filters.tag ?? ''}`}
          defaultValue={filters.tag}
          allowClear
          aria-label={t('customers.tag')}
          placeholder={t('customers.tag')}
          style={{ width: 180 }}
          maxLength={32}
          onSearch={(v) => setFilter('tag', v.trim() || undefined)}
        />
        <Select
          allowClear
          aria-label={t('customers.kind')}
          placeholder={t('customers.kind')}
          style={{ width: 120 }}
          value={filters.kind}
          onChange={(v?: string) => setFilter('kind', v)}
          options={(['person', 'organisation'] as const).map((k) => ({ value: k, label: t(`customers.kinds.${k}`) }))}
        />
      </Space>
      <PagedList<Row>
        list={list}
        moreText={t('customers.more')}
        data-testid="customer-list"
        scroll={{ x: 900 }}
        columns={[
          { title: t('customers.name'), dataIndex: 'name', render: (name: string, c) => <Link to={`/customers?id=${c.id}`}>{name}</Link> },
          { title: t('customers.kind'), dataIndex: 'kind', width: 80, render: (k: Row['kind']) => t(`customers.kinds.${k}`) },
          { title: t('customers.phones'), dataIndex: 'phones', render: (p: string[]) => p.join('、') || '—' },
          { title: t('customers.emails'), dataIndex: 'emails', render: (e: string[]) => e.join('、') || '—' },
          { title: t('customers.tier'), dataIndex: 'tier', width: 100, render: tierName },
          { title: t('customers.tags'), dataIndex: 'tags', render: (tags: string[]) => tags.map((x) => <Tag key={x}>{x}</Tag>) },
          { title: t('customers.createdAt'), dataIndex: 'createdAt', width: 170, render: formatDateTime },
        ]}
      />
      {creating && (
        <CustomerForm
          customer={null}
          open
          onClose={() => setCreating(false)}
          onSaved={() => {
            setCreating(false);
            void list.reload();
          }}
        />
      )}
      <ImportDialog
        open={importing}
        onClose={(changed) => {
          setImporting(false);
          if (changed) void list.reload();
        }}
      />
      {exporting && <ExportDialog filters={filters} onClose={() => setExporting(false)} />}
    </Space>
  );
}

/** C4/C5: an export carries personal data in clear, so it asks why (the server audits it) and honours the list's filters. */
function ExportDialog({ filters, onClose }: { filters: Filters; onClose(): void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ format: 'csv' | 'xlsx'; reason: string }>();
  const [busy, setBusy] = useState(false);
  const active = Object.values(filters).filter(Boolean).length;
  async function run(v: { format: 'csv' | 'xlsx'; reason: string }) {
    setBusy(true);
    try {
      const count = await downloadExport({ ...filters, format: v.format, reason: v.reason.trim() });
      void message.success(t('customers.export.done', { count }));
      onClose();
    } catch (err) {
      if (!showOnField(form, err, ['reason', 'format'])) void message.error(asApiError(err).message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal title={t('customers.export.title')} open onCancel={onClose} onOk={() => form.submit()} okText={t('customers.export.ok')} okButtonProps={{ loading: busy }} destroyOnHidden>
      <Typography.Paragraph type="secondary">{active ? t('customers.export.filtered', { count: active }) : t('customers.export.all')}</Typography.Paragraph>
      <Form form={form} layout="vertical" initialValues={{ format: 'xlsx' }} onFinish={run}>
        <Form.Item label={t('customers.export.format')} name="format">
          <Radio.Group options={[{ value: 'xlsx', label: 'Excel (.xlsx)' }, { value: 'csv', label: 'CSV' }]} />
        </Form.Item>
        <Form.Item label={t('customers.export.reason')} name="reason" rules={[{ required: true, pattern: /\S[\s\S]*\S/, message: t('customers.export.reasonRequired') }]}>
          <Input.TextArea maxLength={200} rows={2} autoFocus placeholder={t('customers.export.reasonPlaceholder')} />
        </Form.Item>
        <Alert type="info" showIcon title={t('customers.export.audited')} />
      </Form>
    </Modal>
  );
}
