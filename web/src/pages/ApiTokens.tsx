import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { ApiError, api, type Reply } from '../api/client.ts';
import { currentLanguage } from '../i18n/index.ts';
import { SecretOnce } from '../shell/SecretOnce.tsx';

type Token = Reply<'get', '/api/api-tokens'>['data'][number];
type Created = Reply<'post', '/api/api-tokens'>;
const EXPIRY_DAYS = [0, 30, 90, 365] as const;

/** X3 / O5: tokens for integrations; the clear token is shown once, at creation. */
export default function ApiTokens() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [rows, setRows] = useState<Token[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<Created | null>(null);
  const [form] = Form.useForm<{ name: string; days: (typeof EXPIRY_DAYS)[number] }>();
  const date = new Intl.DateTimeFormat(currentLanguage(), { dateStyle: 'medium', timeStyle: 'short' });
  const when = (iso: string | null) => (iso ? date.format(new Date(iso)) : '—');

  const load = useCallback(async (after: string | null) => {
    setLoading(true);
    try {
      const page = await api.get('/api/api-tokens', { query: { limit: 50, ...(after ? { cursor: after } : {}) } });
      setRows((r) => (after ? [...r, ...page.data] : page.data));
      setCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      if ((err as Error).name === 'AbortError') return;
      setError(err instanceof ApiError ? err : new ApiError(0, 'client.network', String(err)));
    } finally {
      setLoading(false);
    }
  }, []);
  useEffect(() => void load(null), [load]);

  async function create(values: { name: string; days: (typeof EXPIRY_DAYS)[number] }) {
    try {
      const expiresAt = values.days ? new Date(Date.now() + values.days * 86_400_000).toISOString() : null;
      const token = await api.post('/api/api-tokens', { body: { name: values.name, expiresAt } });
      setCreating(false);
      form.resetFields();
      setCreated(token);
      await load(null);
    } catch (err) {
      if (err instanceof ApiError && err.field) form.setFields([{ name: err.field === 'expiresAt' ? 'days' : 'name', errors: [err.message] }]);
      else void message.error(err instanceof ApiError ? err.message : String(err));
    }
  }

  async function revoke(id: string) {
    try {
      await api.delete('/api/api-tokens/{id}', { path: { id } });
      void message.success(t('apiTokens.revokedDone'));
      await load(null);
    } catch (err) {
      void message.error(err instanceof ApiError ? err.message : String(err));
    }
  }

  const stateOf = (r: Token) => (r.revokedAt ? 'revoked' : r.expiresAt && new Date(r.expiresAt) <= new Date() ? 'expired' : 'active');
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={2} style={{ margin: 0 }}>
          {t('nav.apiTokens')}
        </Typography.Title>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
          {t('apiTokens.create')}
        </Button>
      </Space>
      {error && <Alert type="error" showIcon title={error.message} action={<Button size="small" onClick={() => void load(null)}>{t('common.retry')}</Button>} />}
      <Table<Token>
        rowKey="id"
        loading={loading}
        dataSource={rows}
        pagination={false}
        columns={[
          { title: t('apiTokens.name'), dataIndex: 'name' },
          { title: t('apiTokens.prefix'), dataIndex: 'prefix', render: (p: string) => <Typography.Text code>{p}…</Typography.Text> },
          { title: t('apiTokens.createdAt'), dataIndex: 'createdAt', render: when },
          { title: t('apiTokens.expiresAt'), dataIndex: 'expiresAt', render: (v: string | null) => (v ? when(v) : t('apiTokens.never')) },
          { title: t('apiTokens.lastUsedAt'), dataIndex: 'lastUsedAt', render: when },
          {
            title: t('apiTokens.state'),
            key: 'state',
            render: (_, r) => {
              const s = stateOf(r);
              return <Tag color={s === 'active' ? 'green' : 'default'}>{t(`apiTokens.${s}`)}</Tag>;
            },
          },
          {
            title: '',
            key: 'actions',
            render: (_, r) =>
              stateOf(r) === 'active' && (
                <Popconfirm title={t('apiTokens.revokeConfirm', { name: r.name })} onConfirm={() => revoke(r.id)}>
                  <Button danger size="small">
                    {t('apiTokens.revoke')}
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      {cursor && (
        <Button onClick={() => void load(cursor)} loading={loading}>
          {t('apiTokens.more')}
        </Button>
      )}
      <Modal title={t('apiTokens.create')} open={creating} onCancel={() => setCreating(false)} onOk={() => form.submit()} okText={t('apiTokens.create')} destroyOnHidden>
        <Form form={form} layout="vertical" initialValues={{ days: 90 }} onFinish={create}>
          <Form.Item label={t('apiTokens.name')} name="name" rules={[{ required: true, whitespace: true, message: t('apiTokens.nameRequired') }]}>
            <Input maxLength={100} autoFocus />
          </Form.Item>
          <Form.Item label={t('apiTokens.expiresAt')} name="days">
            <Select options={EXPIRY_DAYS.map((d) => ({ value: d, label: d ? t('apiTokens.days', { count: d }) : t('apiTokens.never') }))} />
          </Form.Item>
        </Form>
      </Modal>
      <SecretOnce
        title={t('apiTokens.createdTitle')}
        warning={t('apiTokens.shownOnce')}
        closeText={t('apiTokens.close')}
        secret={created?.token ?? null}
        testId="new-token"
        onClose={() => setCreated(null)}
      />
    </Space>
  );
}
