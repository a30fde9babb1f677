import { useEffect, useState } from 'react';
import { Alert, App, Button, Descriptions, Empty, Form, Input, List, Modal, Space, Spin, Tabs, Tag, Tooltip, Typography } from 'antd';
import { EyeOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, type Reply } from '../../api/client.ts';
import { allows, useMe } from '../../auth/session.tsx';
import { useRealtimeStatus } from '../../realtime.tsx';
import { STATUS_COLOURS, asApiError, formatTime, isAbort, type Customer, type Status } from './shared.ts';
import type { ApiError } from '../../api/client.ts';

type History = Reply<'get', '/api/customers/{id}/conversations'>['data'][number];
type Order = Reply<'get', '/api/customers/{id}/orders'>['data'][number];
type Product = Reply<'get', '/api/customers/{id}/products'>['data'][number];

/** The server's rule for a reveal reason: two characters or more besides blanks. */
const REASON = /\S[\s\S]*\S/;

const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;

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
                <Descriptions.Item label={t('workspace.customer.phones')}>
                  <Space orientation="vertical" size={0}>
                    {customer.phones.length === 0 && '—'}
                    {customer.phones.map((p, i) => (
                      <Reveal key={`p${i}`} customerId={customer.id} field={`phones.${i}`} label={t('workspace.customer.phoneN', { n: i + 1 })} masked={p} />
                    ))}
                  </Space>
                </Descriptions.Item>
                <Descriptions.Item label={t('workspace.customer.emails')}>
                  <Space orientation="vertical" size={0}>
                    {customer.emails.length === 0 && '—'}
                    {customer.emails.map((e, i) => (
                      <Reveal key={`e${i}`} customerId={customer.id} field={`emails.${i}`} label={t('workspace.customer.emailN', { n: i + 1 })} masked={e} />
                    ))}
                  </Space>
                </Descriptions.Item>
                {customer.addresses.map((a, i) => (
                  <Descriptions.Item key={`a${i}`} label={a.label ?? t('workspace.customer.address')}>
                    {[a.province, a.city, a.district].filter(Boolean).join(' ')}{' '}
                    <Reveal customerId={customer.id} field={`addresses.${i}.street`} label={a.label ?? t('workspace.customer.address')} masked={a.street} />
                  </Descriptions.Item>
                ))}
                <Descriptions.Item label={t('workspace.customer.tags')}>{customer.tags.length ? customer.tags.map((x) => <Tag key={x}>{x}</Tag>) : '—'}</Descriptions.Item>
                <Descriptions.Item label={t('workspace.customer.since')}>{formatTime(customer.createdAt, 'full')}</Descriptions.Item>
              </Descriptions>
            ),
          },
          {
            key: 'history',
            label: t('workspace.customer.history', { count: history.length }),
            children: history.length ? (
              <List
                size="small"
                dataSource={history}
                data-testid="customer-history"
                renderItem={(h) => (
                  <List.Item
                    style={{ cursor: h.id === currentId ? 'default' : 'pointer', background: h.id === currentId ? '#f5f5f5' : undefined }}
                    onClick={() => h.id !== currentId && onOpen(h.id)}
                  >
                    <List.Item.Meta
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
                  </List.Item>
                )}
              />
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />
            ),
          },
          {
            key: 'orders',
            label: t('workspace.customer.orders', { count: orders.length }),
            children: orders.length ? (
              <List
                size="small"
                dataSource={orders}
                renderItem={(o) => (
                  <List.Item>
                    <List.Item.Meta
                      title={
                        <Space size={4}>
                          <Typography.Text copyable>{o.number}</Typography.Text>
                          <Tag>{t(`workspace.order.${o.status}`)}</Tag>
                        </Space>
                      }
                      description={`${yuan(o.amountFen)} · ${formatTime(o.orderedAt, 'full')} · ${o.items.map((i) => `${i.name}×${i.quantity}`).join('，')}`}
                    />
                  </List.Item>
                )}
              />
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />
            ),
          },
          {
            key: 'products',
            label: t('workspace.customer.products', { count: products.length }),
            children: products.length ? (
              <List
                size="small"
                dataSource={products}
                renderItem={(p) => (
                  <List.Item>
                    <List.Item.Meta
                      title={
                        <Space size={4}>
                          {p.model}
                          {p.underWarranty !== null && <Tag color={p.underWarranty ? 'green' : 'default'}>{p.underWarranty ? t('workspace.customer.inWarranty') : t('workspace.customer.outOfWarranty')}</Tag>}
                        </Space>
                      }
                      description={[p.serialNumber && `SN ${p.serialNumber}`, p.warrantyEndsOn && t('workspace.customer.warrantyEnds', { date: p.warrantyEndsOn })].filter(Boolean).join(' · ') || '—'}
                    />
                  </List.Item>
                )}
              />
            ) : (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />
            ),
          },
        ]}
      />
    </section>
  );
}

/** A masked value with a reveal button for holders of pii.reveal: asks why, then shows the clear value (audited). */
function Reveal({ customerId, field, label, masked }: { customerId: string; field: string; label: string; masked: string }) {
  const { t } = useTranslation();
  const me = useMe();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [clear, setClear] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ reason: string }>();

  useEffect(() => setClear(null), [customerId]);

  async function reveal({ reason }: { reason: string }) {
    setBusy(true);
    try {
      const { value } = await api.post('/api/reveals', { body: { entityType: 'customer', entityId: customerId, field, reason: reason.trim() } });
      setClear(value ?? '');
      setOpen(false);
    } catch (err) {
      const e = asApiError(err);
      if (e.field === 'reason') form.setFields([{ name: 'reason', errors: [e.message] }]);
      else void message.error(e.message);
    } finally {
      setBusy(false);
    }
  }

  if (clear !== null) {
    return (
      <Space size={4} data-testid={`clear-${field}`}>
        <Typography.Text copyable>{clear}</Typography.Text>
        <Tag color="orange">{t('workspace.customer.revealed')}</Tag>
      </Space>
    );
  }
  return (
    <Space size={4}>
      <span data-testid={`masked-${field}`}>{masked}</span>
      {allows(me, 'pii.reveal') && (
        <Tooltip title={t('workspace.customer.reveal')}>
          <Button size="small" type="text" icon={<EyeOutlined />} aria-label={t('workspace.customer.revealOf', { label })} onClick={() => setOpen(true)} />
        </Tooltip>
      )}
      <Modal title={t('workspace.customer.revealTitle', { label })} open={open} onCancel={() => setOpen(false)} onOk={() => form.submit()} okText={t('workspace.customer.revealOk')} okButtonProps={{ loading: busy }} destroyOnHidden>
        <Typography.Paragraph type="secondary">{t('workspace.customer.revealHint')}</Typography.Paragraph>
        <Form form={form} layout="vertical" onFinish={reveal} preserve={false}>
          <Form.Item label={t('workspace.customer.revealReason')} name="reason" rules={[{ required: true, pattern: REASON, message: t('workspace.customer.revealReasonRequired') }]}>
            <Input.TextArea maxLength={500} rows={2} autoFocus />
          </Form.Item>
        </Form>
      </Modal>
    </Space>
  );
}
