import { Fragment, useEffect, useState, type ReactNode } from 'react';
import { Alert, Button, Descriptions, Empty, Space, Spin, Tabs, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, type Reply } from '../../api/client.ts';
import { useRealtimeStatus } from '../../realtime.tsx';
import { Reveal } from '../../shell/Reveal.tsx';
import { STATUS_COLOURS, asApiError, formatTime, isAbort, type Customer, type Status } from './shared.ts';
import type { ApiError } from '../../api/client.ts';

type History = Reply<'get', '/api/customers/{id}/conversations'>['data'][number];
type Order = Reply<'get', '/api/customers/{id}/orders'>['data'][number];
type Product = Reply<'get', '/api/customers/{id}/products'>['data'][number];

const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;

/** A tab of the panel: its rows, or the empty picture when there are none. */
function rowsTab<T extends { id: string }>(key: string, label: string, rows: T[], item: (row: T) => ReactNode, testId?: string) {
  const list = (
    <ul style={{ listStyle: 'none', margin: 0, padding: 0 }} data-testid={testId}>
      {rows.map((r) => (
        <Fragment key={r.id}>{item(r)}</Fragment>
      ))}
    </ul>
  );
  return { key, label, children: rows.length ? list : <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} /> };
}

/** One row: a title line and a secondary line (plain markup: antd 6 deprecates List). */
function Row({ title, description, current, onClick }: { title: ReactNode; description: ReactNode; current?: boolean; onClick?(): void }) {
  return (
    <li onClick={onClick} style={{ padding: '8px 4px', borderBottom: '1px solid #f0f0f0', cursor: onClick && !current ? 'pointer' : 'default', background: current ? '#f5f5f5' : undefined }}>
      <div>{title}</div>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {description}
      </Typography.Text>
    </li>
  );
}

/** Who the customer is (personal data masked), what they asked before, what they bought and own. */
export function CustomerPanel({ customerId, currentId, onOpen }: { customerId: string; currentId: string; onOpen(id: string): void }) {
  const { t } = useTranslation();
  const { generation } = useRealtimeStatus();
  const [customer, setCustomer] = useState<Customer | null>(null);
  const [history, setHistory] = useState<History[]>([]);
  const [orders, setOrders] = useState<Order[]>([]);
  const [products, setProducts] = useState<Product[]>([]);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    const path = { id: customerId };
    setCustomer(null);
    setError(null);
    Promise.all([
      api.get('/api/customers/{id}', { path, signal }),
      api.get('/api/customers/{id}/conversations', { path, query: { limit: 20 }, signal }),
      api.get('/api/customers/{id}/orders', { path, query: { limit: 20 }, signal }),
      api.get('/api/customers/{id}/products', { path, query: { limit: 20 }, signal }),
    ]).then(
      ([c, h, o, p]) => {
        setCustomer(c);
        setHistory(h.data);
        setOrders(o.data);
        setProducts(p.data);
      },
      (err: unknown) => {
        if (!isAbort(err)) setError(asApiError(err));
      },
    );
    return () => controller.abort();
  }, [customerId, generation]);

  if (error) return <Alert type="error" showIcon title={error.message} />;
  if (!customer) return <Spin aria-label={t('common.loading')} style={{ display: 'block', margin: 24 }} />;
  // The customers screen's reveal: the same reason asked, the same audit.
  const reveal = (field: string, label: string, masked: string) => <Reveal key={field} entityType="customer" entityId={customer.id} field={field} label={label} masked={masked} />;

  return (
    <section aria-label={t('workspace.customer.label')} data-testid="customer-panel" style={{ height: '100%', overflowY: 'auto' }}>
      <Typography.Title level={5} style={{ marginTop: 0 }}>
        {customer.name} {customer.tier && <Tag color="gold">{customer.tier}</Tag>}
      </Typography.Title>
      <Tabs
        size="small"
        items={[
          {
            key: 'profile',
            label: t('workspace.customer.profile'),
            children: (
              <Descriptions size="small" column={1} bordered>
                {customer.organisationName && <Descriptions.Item label={t('workspace.customer.organisation')}>{customer.organisationName}</Descriptions.Item>}
                {(['phones', 'emails'] as const).map((kind) => (
                  <Descriptions.Item key={kind} label={t(`workspace.customer.${kind}`)}>
                    <Space orientation="vertical" size={0}>
                      {customer[kind].length === 0 && '—'}
                      {customer[kind].map((value, i) => reveal(`${kind}.${i}`, t(kind === 'phones' ? 'workspace.customer.phoneN' : 'workspace.customer.emailN', { n: i + 1 }), value))}
                    </Space>
                  </Descriptions.Item>
                ))}
                {customer.addresses.map((a, i) => (
                  <Descriptions.Item key={`a${i}`} label={a.label ?? t('workspace.customer.address')}>
                    {[a.province, a.city, a.district].filter(Boolean).join(' ')} {reveal(`addresses.${i}.street`, a.label ?? t('workspace.customer.address'), a.street)}
                  </Descriptions.Item>
                ))}
                <Descriptions.Item label={t('workspace.customer.tags')}>{customer.tags.length ? customer.tags.map((x) => <Tag key={x}>{x}</Tag>) : '—'}</Descriptions.Item>
                <Descriptions.Item label={t('workspace.customer.since')}>{formatTime(customer.createdAt, 'full')}</Descriptions.Item>
              </Descriptions>
            ),
          },
          rowsTab(
            'history',
            t('workspace.customer.history', { count: history.length }),
            history,
            (h) => (
              <Row
                current={h.id === currentId}
                onClick={() => h.id !== currentId && onOpen(h.id)}
                title={
                    <Space size={4}>
                      <Button type="link" size="small" style={{ padding: 0 }} disabled={h.id === currentId} onClick={() => onOpen(h.id)}>
                        #{h.number}
                      </Button>
                      <Tag color={STATUS_COLOURS[h.status as Status] ?? 'default'}>{t(`workspace.status.${h.status as Status}`, { defaultValue: h.status })}</Tag>
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {formatTime(h.createdAt)}
                      </Typography.Text>
                    </Space>
                  }
                description={<Typography.Text ellipsis>{h.subject ?? h.lastMessagePreview ?? '—'}</Typography.Text>}
              />
            ),
            'customer-history',
          ),
          rowsTab('orders', t('workspace.customer.orders', { count: orders.length }), orders, (o) => (
            <Row
              title={
                  <Space size={4}>
                    <Typography.Text copyable>{o.number}</Typography.Text>
                    <Tag>{t(`workspace.order.${o.status}`)}</Tag>
                  </Space>
                }
              description={`${yuan(o.amountFen)} · ${formatTime(o.orderedAt, 'full')} · ${o.items.map((i) => `${i.name}×${i.quantity}`).join('，')}`}
            />
          )),
          rowsTab('products', t('workspace.customer.products', { count: products.length }), products, (p) => (
            <Row
              title={
                  <Space size={4}>
                    {p.model}
                    {p.underWarranty !== null && <Tag color={p.underWarranty ? 'green' : 'default'}>{p.underWarranty ? t('workspace.customer.inWarranty') : t('workspace.customer.outOfWarranty')}</Tag>}
                  </Space>
                }
              description={[p.serialNumber && `SN ${p.serialNumber}`, p.warrantyEndsOn && t('workspace.customer.warrantyEnds', { date: p.warrantyEndsOn })].filter(Boolean).join(' · ') || '—'}
            />
          )),
        ]}
      />
    </section>
  );
}
