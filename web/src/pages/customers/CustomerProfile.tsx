import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { Alert, App, Button, Descriptions, Form, Input, Space, Table, Tabs, Tag, Typography } from 'antd';
import { ArrowLeftOutlined, EditOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, type ApiError, type PathOf, type Reply } from '../../api/client.ts';
import { allows, useMe } from '../../auth/session.tsx';
import { currentLanguage } from '../../i18n/index.ts';
import { useRealtimeEvents, useRealtimeStatus } from '../../realtime.tsx';
import NotFound from '../NotFound.tsx';
import { asApiError, isAbort, usePaged, type Page } from '../../api/useLoad.tsx';
import { formatDateTime, showOnField } from '../org/shared.ts';
import { CustomerForm, type Customer } from './CustomerForm.tsx';
import { Reveal } from '../../shell/Reveal.tsx';
import { useTiers } from './tiers.ts';
import { conversationPath } from '../../nav.tsx';

type Conversation = Reply<'get', '/api/customers/{id}/conversations'>['data'][number];
type Order = Reply<'get', '/api/customers/{id}/orders'>['data'][number];
type Product = Reply<'get', '/api/customers/{id}/products'>['data'][number];
type Note = Reply<'get', '/api/customers/{id}/notes'>['data'][number];
type SubList = Extract<PathOf<'get'>, '/api/customers/{id}/conversations' | '/api/customers/{id}/orders' | '/api/customers/{id}/products' | '/api/customers/{id}/notes'>;

/** One of the profile's lists, newest first, a page at a time. */
function useSubList<T>(path: SubList, id: string, refresh: number) {
  return usePaged<T>(
    useCallback(
      async (after: string | null, signal: AbortSignal) => (await api.get(path, { path: { id }, query: { limit: 20, ...(after ? { cursor: after } : {}) }, signal })) as Page<T>,
      [path, id],
    ),
    refresh,
  );
}

type SubListState<T> = ReturnType<typeof useSubList<T>>;
type Columns<T> = NonNullable<Parameters<typeof Table<T>>[0]['columns']>;

function PagedTable<T extends { id: string }>({ list, columns, testId, above }: { list: SubListState<T>; columns: Columns<T>; testId: string; above?: ReactNode }) {
  const { t } = useTranslation();
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      {above}
      {list.error && <Alert type="error" showIcon title={list.error.message} />}
      <Table<T> rowKey="id" size="small" data-testid={testId} loading={list.loading} dataSource={list.rows} columns={columns} pagination={false} />
      {list.more && <Button onClick={list.more}>{t('customers.more')}</Button>}
    </Space>
  );
}

/** A code's name in the catalogue; a code the console does not know yet shows as it is. */
const nameOf = (names: Record<string, string>, code: string) => names[code] ?? code;

function NoteForm({ customerId, onAdded }: { customerId: string; onAdded(): void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ body: string }>();
  const [busy, setBusy] = useState(false);
  async function add({ body }: { body: string }) {
    setBusy(true);
    try {
      await api.post('/api/customers/{id}/notes', { path: { id: customerId }, body: { body: body.trim() } });
      form.resetFields();
      onAdded();
    } catch (err) {
      if (!showOnField(form, err, ['body'])) void message.error(asApiError(err).message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Form form={form} layout="vertical" onFinish={add}>
      <Form.Item label={t('customers.newNote')} name="body" rules={[{ required: true, whitespace: true, message: t('customers.noteRequired') }]}>
        <Input.TextArea maxLength={5000} rows={2} />
      </Form.Item>
      <Button htmlType="submit" loading={busy}>
        {t('customers.addNote')}
      </Button>
    </Form>
  );
}

const yuan = (fen: number) => new Intl.NumberFormat(currentLanguage(), { style: 'currency', currency: 'CNY' }).format(fen / 100);

/** C1/C4: one customer — masked personal data with reveal, tier, history across channels, orders, products, notes. */
export function CustomerProfile({ id }: { id: string }) {
  const { t } = useTranslation();
  const me = useMe();
  const { generation } = useRealtimeStatus();
  const tiers = useTiers();
  const [customer, setCustomer] = useState<Customer | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [editing, setEditing] = useState(false);
  const [refresh, setRefresh] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    api
      .get('/api/customers/{id}', { path: { id }, signal: controller.signal })
      .then((c) => {
        setCustomer(c);
        setError(null);
      })
      .catch((err: unknown) => !isAbort(err) && setError(asApiError(err)));
    return () => controller.abort();
  }, [id, generation, refresh]);

  const reloadOn = (e: { entity: { id: string }; data: Record<string, unknown> | null }) => {
    if (e.entity.id === id || (e.data as { customerId?: string } | null)?.customerId === id) setRefresh((n) => n + 1);
  };
  useRealtimeEvents(['customer.updated', 'customer.tier_changed', 'customer_order.', 'customer_product.', 'customer_note.'], reloadOn);

  const history = useSubList<Conversation>('/api/customers/{id}/conversations', id, generation + refresh);
  const orders = useSubList<Order>('/api/customers/{id}/orders', id, generation + refresh);
  const products = useSubList<Product>('/api/customers/{id}/products', id, generation + refresh);
  const notes = useSubList<Note>('/api/customers/{id}/notes', id, generation + refresh);

  if (error?.status === 404) return <NotFound />;
  if (error) return <Alert type="error" showIcon title={error.message} action={<Button size="small" onClick={() => setRefresh((n) => n + 1)}>{t('common.retry')}</Button>} />;
  if (!customer) return null;

  const reveal = (field: string, label: string, masked: string) => <Reveal key={field} entityType="customer" entityId={customer.id} field={field} label={label} masked={masked} />;
  const several = (items: ReactNode[]) => (items.length ? <Space orientation="vertical" size={0}>{items}</Space> : '—');
  const tier = customer.tier ? (tiers.find((x) => x.code === customer.tier)?.name ?? customer.tier) : null;
  /** A tab of one of the profile's lists; its key names the tab and the table's test id. */
  const listTab = <T extends { id: string },>(list: SubListState<T>, key: 'history' | 'orders' | 'products' | 'notes', columns: Columns<T>, above?: ReactNode) => ({
    key,
    label: t(`customers.${key}`),
    children: <PagedTable<T> list={list} testId={`customer-${key}`} columns={columns} above={above} />,
  });
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Link to="/customers">
        <ArrowLeftOutlined /> {t('customers.back')}
      </Link>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Space align="center">
          <Typography.Title level={2} style={{ margin: 0 }}>
            {customer.name}
          </Typography.Title>
          <Tag>{t(`customers.kinds.${customer.kind}`)}</Tag>
          {tier && <Tag color="gold" data-testid="customer-tier">{tier}</Tag>}
        </Space>
        {allows(me, 'customers.manage') && (
          <Button icon={<EditOutlined />} onClick={() => setEditing(true)}>
            {t('customers.edit')}
          </Button>
        )}
      </Space>
      <Descriptions bordered size="small" column={{ xs: 1, md: 2 }} data-testid="customer-profile">
        <Descriptions.Item label={t('customers.phones')}>{several(customer.phones.map((p, i) => reveal(`phones.${i}`, t('customers.phoneN', { n: i + 1 }), p)))}</Descriptions.Item>
        <Descriptions.Item label={t('customers.emails')}>{several(customer.emails.map((e, i) => reveal(`emails.${i}`, t('customers.emailN', { n: i + 1 }), e)))}</Descriptions.Item>
        <Descriptions.Item label={t('customers.addresses')}>
          {several(
            customer.addresses.map((a, i) => (
              <Space key={i} size={4}>
                {a.label && <Tag>{a.label}</Tag>}
                {[a.province, a.city, a.district].filter(Boolean).join('')}
                {reveal(`addresses.${i}.street`, t('customers.addressN', { n: i + 1 }), a.street)}
              </Space>
            )),
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('customers.tier')}>{tier ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('customers.tags')}>{customer.tags.length ? customer.tags.map((x) => <Tag key={x}>{x}</Tag>) : '—'}</Descriptions.Item>
        {customer.organisationId && (
          <Descriptions.Item label={t('customers.organisation')}>
            <Link to={`/customers?id=${customer.organisationId}`}>{customer.organisationName ?? customer.organisationId}</Link>
            {customer.title && ` · ${customer.title}`}
          </Descriptions.Item>
        )}
        {customer.contactsCount !== null && <Descriptions.Item label={t('customers.contacts')}>{customer.contactsCount}</Descriptions.Item>}
        <Descriptions.Item label={t('customers.externalId')}>{customer.externalId ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('customers.source')}>{customer.source ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('customers.createdAt')}>{formatDateTime(customer.createdAt)}</Descriptions.Item>
      </Descriptions>
      <Tabs
        items={[
          listTab(history, 'history', [
            { title: t('customers.conversation'), dataIndex: 'number', width: 100, render: (n: number, c) => <Link to={conversationPath(c.id)}>#{n}</Link> },
            { title: t('customers.channel'), dataIndex: 'channel', width: 100, render: (c: string) => nameOf(t('customers.channels', { returnObjects: true }), c) },
            { title: t('customers.status'), dataIndex: 'status', width: 120, render: (s: string) => nameOf(t('customers.conversationStatuses', { returnObjects: true }), s) },
            { title: t('customers.subject'), key: 'subject', render: (_, c) => c.subject ?? c.lastMessagePreview ?? '—' },
            { title: t('customers.lastMessageAt'), dataIndex: 'lastMessageAt', width: 170, render: formatDateTime },
          ]),
          listTab(orders, 'orders', [
            { title: t('customers.orderNumber'), dataIndex: 'number' },
            { title: t('customers.orderItems'), dataIndex: 'items', render: (items: Order['items']) => items.map((i) => `${i.name} × ${i.quantity}`).join('；') || '—' },
            { title: t('customers.amount'), dataIndex: 'amountFen', width: 120, align: 'right', render: yuan },
            { title: t('customers.status'), dataIndex: 'status', width: 100, render: (s: Order['status']) => t(`customers.orderStatuses.${s}`) },
            { title: t('customers.orderedAt'), dataIndex: 'orderedAt', width: 170, render: formatDateTime },
          ]),
          listTab(products, 'products', [
            { title: t('customers.model'), dataIndex: 'model' },
            { title: t('customers.serialNumber'), dataIndex: 'serialNumber', render: (v: string | null) => v ?? '—' },
            { title: t('customers.purchasedOn'), dataIndex: 'purchasedOn', render: (v: string | null) => v ?? '—' },
            {
              title: t('customers.warranty'),
              key: 'warranty',
              render: (_, p) =>
                p.underWarranty === null ? '—' : <Tag color={p.underWarranty ? 'green' : 'default'}>{t(p.underWarranty ? 'customers.inWarranty' : 'customers.outOfWarranty', { date: p.warrantyEndsOn })}</Tag>,
            },
          ]),
          listTab(
            notes,
            'notes',
            [
              { title: t('customers.note'), dataIndex: 'body', render: (b: string) => <Typography.Paragraph style={{ whiteSpace: 'pre-wrap', margin: 0 }}>{b}</Typography.Paragraph> },
              { title: t('customers.createdAt'), dataIndex: 'createdAt', width: 170, render: formatDateTime },
            ],
            allows(me, 'customers.manage') && <NoteForm customerId={customer.id} onAdded={() => setRefresh((n) => n + 1)} />,
          ),
        ]}
      />
      {editing && (
        <CustomerForm
          customer={customer}
          open
          onClose={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            setRefresh((n) => n + 1);
          }}
        />
      )}
    </Space>
  );
}
