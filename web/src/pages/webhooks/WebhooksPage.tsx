import { useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Drawer, Form, Input, Modal, Popconfirm, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, type ApiError, type Reply } from '../../api/client.ts';
import { useRealtimeEvents, useRealtimeStatus } from '../../realtime.tsx';
import { asApiError, isAbort, LoadError, useLoad, usePaged } from '../../api/useLoad.tsx';
import { formatTime } from '../audit/format.ts';
import { SecretOnce } from '../../shell/SecretOnce.tsx';

type Webhook = Reply<'get', '/api/webhooks'>['data'][number];
type Delivery = Reply<'get', '/api/webhooks/{id}/deliveries'>['data'][number];
type EventType = Reply<'get', '/api/event-types'>['data'][number];
interface Values {
  name: string;
  url: string;
  eventTypes: string[];
  active: boolean;
}
/** Deliveries carry no live event; while their log is open it is re-read this often. */
const DELIVERY_REFRESH_MS = 5000;
const SHOWN_TYPES = 4;

/** X3: webhooks for domain events, their signing secret (shown once) and the delivery log. */
export default function WebhooksPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { generation } = useRealtimeStatus();
  const [editing, setEditing] = useState<Webhook | 'new' | null>(null);
  const [saving, setSaving] = useState(false);
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const [logOf, setLogOf] = useState<Webhook | null>(null);
  const [form] = Form.useForm<Values>();

  const list = usePaged(
    useCallback((after: string | null, signal: AbortSignal) => api.get('/api/webhooks', { query: { limit: 50, ...(after ? { cursor: after } : {}) }, signal }), []),
    generation,
  );
  const { rows, loading, more, reload } = list;
  const events = useLoad(useCallback(async (signal: AbortSignal): Promise<EventType[]> => (await api.get('/api/event-types', { signal })).data, []));
  const catalogue = useMemo(() => events.data ?? [], [events.data]);
  const error = list.error ?? events.error;
  // Changes by another administrator show without a reload.
  useRealtimeEvents(['webhook.'], () => void reload());

  const typeOptions = useMemo(() => {
    const prefixes = [...new Set(catalogue.map((e) => e.type.split('.')[0]!))].sort();
    return [
      { label: t('webhooks.groupAll'), options: [{ value: '*', label: t('webhooks.everyEvent') }] },
      { label: t('webhooks.groupPrefix'), options: prefixes.map((p) => ({ value: `${p}.*`, label: t('webhooks.prefix', { prefix: p }) })) },
      { label: t('webhooks.groupType'), options: catalogue.map((e) => ({ value: e.type, label: `${e.type} — ${e.description}` })) },
    ];
  }, [catalogue, t]);

  function openEditor(hook: Webhook | 'new') {
    setEditing(hook);
    form.setFieldsValue(hook === 'new' ? { name: '', url: '', eventTypes: [], active: true } : { name: hook.name, url: hook.url, eventTypes: hook.eventTypes, active: hook.active });
  }

  async function save(values: Values) {
    setSaving(true);
    try {
      if (editing === 'new') {
        const created = await api.post('/api/webhooks', { body: values });
        setSecret({ name: created.name, secret: created.secret });
      } else if (editing) {
        await api.patch('/api/webhooks/{id}', { path: { id: editing.id }, body: values });
        void message.success(t('webhooks.saved'));
      }
      setEditing(null);
      await reload();
    } catch (err) {
      const e = asApiError(err);
      const field = e.field?.split('.')[0];
      if (field === 'name' || field === 'url' || field === 'eventTypes') form.setFields([{ name: field, errors: [e.message] }]);
      else void message.error(e.message);
    } finally {
      setSaving(false);
    }
  }

  async function run(step: () => Promise<unknown>, done: string) {
    try {
      await step();
      void message.success(done);
      await reload();
    } catch (err) {
      void message.error(asApiError(err).message);
    }
  }

  async function rotate(hook: Webhook) {
    try {
      const updated = await api.patch('/api/webhooks/{id}', { path: { id: hook.id }, body: { rotateSecret: true } });
      if (updated.secret) setSecret({ name: updated.name, secret: updated.secret });
      await reload();
    } catch (err) {
      void message.error(asApiError(err).message);
    }
  }

  const ping = (hook: Webhook) => run(() => api.post('/api/webhooks/{id}/pings', { path: { id: hook.id } }), t('webhooks.pinged'));

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={2} style={{ margin: 0 }}>
          {t('nav.webhooks')}
        </Typography.Title>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => openEditor('new')}>
          {t('webhooks.create')}
        </Button>
      </Space>
      <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
        {t('webhooks.intro')}
      </Typography.Paragraph>
      {error && (
        <LoadError
          error={error}
          onRetry={() => {
            void reload();
            if (events.error) events.reload();
          }}
        />
      )}
      <Table<Webhook>
        rowKey="id"
        loading={loading}
        dataSource={rows}
        pagination={false}
        data-testid="webhooks-table"
        columns={[
          { title: t('webhooks.name'), dataIndex: 'name' },
          { title: t('webhooks.url'), dataIndex: 'url', render: (u: string) => <Typography.Text style={{ wordBreak: 'break-all' }}>{u}</Typography.Text> },
          {
            title: t('webhooks.eventTypes'),
            dataIndex: 'eventTypes',
            render: (types: string[]) => (
              <>
                {types.slice(0, SHOWN_TYPES).map((e) => (
                  <Tag key={e}>{e === '*' ? t('webhooks.everyEvent') : e}</Tag>
                ))}
                {types.length > SHOWN_TYPES && <Tag>{t('webhooks.moreTypes', { count: types.length - SHOWN_TYPES })}</Tag>}
              </>
            ),
          },
          {
            title: t('webhooks.active'),
            dataIndex: 'active',
            render: (active: boolean, r) => (
              <Switch
                checked={active}
                aria-label={t('webhooks.activeOf', { name: r.name })}
                onChange={(v) => run(() => api.patch('/api/webhooks/{id}', { path: { id: r.id }, body: { active: v } }), v ? t('webhooks.enabled') : t('webhooks.disabled'))}
              />
            ),
          },
          { title: t('webhooks.secret'), dataIndex: 'secretPreview', render: (s: string) => <Typography.Text code>{s}</Typography.Text> },
          { title: t('webhooks.createdAt'), dataIndex: 'createdAt', render: formatTime },
          {
            title: '',
            key: 'actions',
            render: (_, r) => (
              <Space wrap size="small">
                <Button size="small" onClick={() => openEditor(r)}>
                  {t('webhooks.edit')}
                </Button>
                <Button size="small" onClick={() => void ping(r)}>
                  {t('webhooks.ping')}
                </Button>
                <Button size="small" onClick={() => setLogOf(r)}>
                  {t('webhooks.deliveries')}
                </Button>
                <Popconfirm title={t('webhooks.rotateConfirm', { name: r.name })} onConfirm={() => rotate(r)}>
                  <Button size="small">{t('webhooks.rotate')}</Button>
                </Popconfirm>
                <Popconfirm title={t('webhooks.deleteConfirm', { name: r.name })} onConfirm={() => run(() => api.delete('/api/webhooks/{id}', { path: { id: r.id } }), t('webhooks.deleted'))}>
                  <Button size="small" danger>
                    {t('webhooks.delete')}
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      {more && (
        <Button onClick={more} loading={loading}>
          {t('webhooks.more')}
        </Button>
      )}
      <Modal
        title={editing === 'new' ? t('webhooks.create') : t('webhooks.edit')}
        open={editing !== null}
        onCancel={() => setEditing(null)}
        onOk={() => form.submit()}
        okText={t('webhooks.save')}
        confirmLoading={saving}
        forceRender
        width={640}
      >
        <Form form={form} layout="vertical" onFinish={save}>
          <Form.Item label={t('webhooks.name')} name="name" rules={[{ required: true, whitespace: true, message: t('webhooks.nameRequired') }]}>
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item label={t('webhooks.url')} name="url" rules={[{ required: true, pattern: /^https?:\/\/\S+$/, message: t('webhooks.urlInvalid') }]}>
            <Input maxLength={2000} placeholder="https://example.com/hooks/kefu" />
          </Form.Item>
          <Form.Item label={t('webhooks.eventTypes')} name="eventTypes" rules={[{ required: true, message: t('webhooks.typesRequired') }]} extra={t('webhooks.typesHint')}>
            <Select mode="multiple" options={typeOptions} showSearch={{ optionFilterProp: 'label' }} maxCount={100} />
          </Form.Item>
          <Form.Item label={t('webhooks.active')} name="active" valuePropName="checked">
            <Switch />
          </Form.Item>
        </Form>
      </Modal>
      <SecretOnce
        title={t('webhooks.secretTitle', { name: secret?.name })}
        warning={t('webhooks.secretOnce')}
        closeText={t('webhooks.secretSaved')}
        secret={secret?.secret ?? null}
        testId="new-secret"
        onClose={() => setSecret(null)}
      />
      <Drawer title={logOf ? t('webhooks.deliveriesOf', { name: logOf.name }) : ''} size="large" open={logOf !== null} onClose={() => setLogOf(null)} destroyOnHidden>
        {logOf && <Deliveries hook={logOf} onPing={() => ping(logOf)} />}
      </Drawer>
    </Space>
  );
}

/** The delivery log of one webhook: every attempt with its answer, newest first. */
function Deliveries({ hook, onPing }: { hook: Webhook; onPing: () => Promise<void> }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [rows, setRows] = useState<Delivery[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [extra, setExtra] = useState<Delivery[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [tick, setTick] = useState(0);

  // The first page is re-read on a timer; older pages, once loaded, stay as they were.
  useEffect(() => {
    const controller = new AbortController();
    api
      .get('/api/webhooks/{id}/deliveries', { path: { id: hook.id }, query: { limit: 50 }, signal: controller.signal })
      .then((page) => {
        setRows(page.data);
        setCursor((c) => c ?? page.nextCursor);
        setError(null);
      })
      .catch((err: unknown) => !isAbort(err) && setError(asApiError(err)));
    const timer = setTimeout(() => setTick((n) => n + 1), DELIVERY_REFRESH_MS);
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [hook.id, tick]);

  async function more() {
    if (!cursor) return;
    try {
      const page = await api.get('/api/webhooks/{id}/deliveries', { path: { id: hook.id }, query: { limit: 50, cursor } });
      setExtra((e) => [...e, ...page.data]);
      setCursor(page.nextCursor);
    } catch (err) {
      setError(asApiError(err));
    }
  }

  async function redeliver(d: Delivery) {
    try {
      await api.post('/api/webhooks/{id}/deliveries/{deliveryId}/redeliveries', { path: { id: hook.id, deliveryId: d.id } });
      void message.success(t('webhooks.redelivered'));
      setTick((n) => n + 1);
    } catch (err) {
      void message.error(asApiError(err).message);
    }
  }

  const all = [...rows, ...extra.filter((e) => !rows.some((r) => r.id === e.id))];
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Space>
        <Button icon={<ReloadOutlined />} onClick={() => setTick((n) => n + 1)}>
          {t('webhooks.refresh')}
        </Button>
        <Button
          onClick={async () => {
            await onPing();
            setTick((n) => n + 1);
          }}
        >
          {t('webhooks.ping')}
        </Button>
      </Space>
      {error && <Alert type="error" showIcon title={error.message} />}
      <Table<Delivery>
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={all}
        data-testid="webhook-deliveries"
        expandable={{
          rowExpandable: (r) => Boolean(r.responseBody || r.error),
          expandedRowRender: (r) => (
            <pre style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all', margin: 0, fontSize: 12 }}>{[r.error, r.responseBody].filter(Boolean).join('\n\n')}</pre>
          ),
        }}
        columns={[
          { title: t('webhooks.at'), dataIndex: 'at', render: formatTime },
          { title: t('webhooks.eventType'), dataIndex: 'eventType', render: (e: string) => <Typography.Text code>{e}</Typography.Text> },
          { title: t('webhooks.attempt'), dataIndex: 'attempt' },
          {
            title: t('webhooks.outcome'),
            dataIndex: 'outcome',
            render: (o: Delivery['outcome']) => <Tag color={o === 'succeeded' ? 'green' : 'red'}>{t(`webhooks.outcomes.${o}`)}</Tag>,
          },
          { title: t('webhooks.responseStatus'), dataIndex: 'responseStatus', render: (s: number | null) => s ?? '—' },
          { title: t('webhooks.duration'), dataIndex: 'durationMs', render: (ms: number) => t('webhooks.ms', { ms }) },
          {
            title: '',
            key: 'redeliver',
            render: (_, r) => (
              <Button size="small" onClick={() => void redeliver(r)}>
                {t('webhooks.redeliver')}
              </Button>
            ),
          },
        ]}
      />
      {cursor && <Button onClick={() => void more()}>{t('webhooks.more')}</Button>}
    </Space>
  );
}
