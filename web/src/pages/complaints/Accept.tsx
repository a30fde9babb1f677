import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { Alert, App, Button, Card, Col, DatePicker, Form, Input, Result, Row, Select, Space, Typography } from 'antd';
import { ArrowLeftOutlined } from '@ant-design/icons';
import type { Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';
import { api, type Reply } from '../../api/client.ts';
import { isAbort } from '../supervisor/shared.ts';
import { showApiError, textOrNull } from './forms.ts';
import { CHANNELS, SEVERITIES } from './labels.ts';

type Created = Reply<'post', '/api/complaints'>;
type Body = NonNullable<Parameters<typeof api.post<'/api/complaints'>>[1]>['body'];
type Customer = Reply<'get', '/api/customers'>['data'][number];
type Conversation = Reply<'get', '/api/customers/{id}/conversations'>['data'][number];

interface Values {
  customerId?: string;
  conversationId?: string;
  receivedAt?: Dayjs;
  complainantName?: string;
  contact?: string;
  channel?: Body['channel'];
  matter?: string;
  category?: string;
  productModel?: string;
  severity?: Body['severity'];
}
const FIELDS = ['customerId', 'conversationId', 'receivedAt', 'complainantName', 'contact', 'channel', 'matter', 'category', 'productModel', 'severity'] as const;

/** Customers found by name, or by a full phone number, e-mail or external number (the server's search). */
function useCustomerSearch() {
  const [q, setQ] = useState('');
  const [found, setFound] = useState<Customer[]>([]);
  useEffect(() => {
    const controller = new AbortController();
    api
      .get('/api/customers', { query: { limit: 20, ...(q.trim() ? { q: q.trim() } : {}) }, signal: controller.signal })
      .then((p) => setFound(p.data))
      .catch((err: unknown) => {
        if (!isAbort(err)) setFound([]);
      });
    return () => controller.abort();
  }, [q]);
  return { found, search: setQ };
}

/**
 * CP1: accepting a complaint records when it came, who complains about what, how to reach them and by
 * which channel. Linked to a conversation, the server apologises to the customer there at once.
 */
export function AcceptComplaint() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const { found, search } = useCustomerSearch();
  const customerId = Form.useWatch('customerId', form);
  const [conversations, setConversations] = useState<Conversation[]>([]);
  const [apology, setApology] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [created, setCreated] = useState<Created | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    api
      .get('/api/policies/current', { signal: controller.signal })
      .then((p) => setApology(p.document.complaints.apologyMessage.value))
      .catch(() => setApology(null));
    return () => controller.abort();
  }, []);
  useEffect(() => {
    setConversations([]);
    if (!customerId) return;
    const controller = new AbortController();
    api
      .get('/api/customers/{id}/conversations', { path: { id: customerId }, query: { limit: 50 }, signal: controller.signal })
      .then((p) => setConversations(p.data))
      .catch((err: unknown) => {
        if (!isAbort(err)) setConversations([]);
      });
    return () => controller.abort();
  }, [customerId]);

  async function submit(v: Values) {
    setSaving(true);
    try {
      // Required fields go as typed, so a missing one comes back from the server on its field.
      const body = {
        customerId: v.customerId,
        conversationId: v.conversationId ?? null,
        ...(v.receivedAt ? { receivedAt: v.receivedAt.toDate().toISOString() } : {}),
        complainantName: v.complainantName?.trim(),
        contact: v.contact?.trim(),
        channel: v.channel,
        matter: v.matter?.trim(),
        category: textOrNull(v.category),
        productModel: textOrNull(v.productModel),
        ...(v.severity ? { severity: v.severity } : {}),
      } as Body;
      setCreated(await api.post('/api/complaints', { body }));
    } catch (err) {
      showApiError(form, FIELDS, err, message);
    } finally {
      setSaving(false);
    }
  }

  const back = (
    <Link to="/complaints">
      <ArrowLeftOutlined /> {t('complaints.back')}
    </Link>
  );
  if (created) {
    return (
      <Space orientation="vertical" size="large" style={{ width: '100%' }}>
        {back}
        <Result
          status="success"
          title={t('complaints.acceptedTitle', { number: created.number })}
          subTitle={
            <Space orientation="vertical" data-testid="apology">
              <span>{t(created.apologySentAt ? 'complaints.apologySent' : 'complaints.apologyToSay')}</span>
              {apology && <Typography.Paragraph style={{ margin: 0 }} strong>{apology}</Typography.Paragraph>}
            </Space>
          }
          extra={
            <Link to={`/complaints?id=${created.id}`}>
              <Button type="primary">{t('complaints.openComplaint')}</Button>
            </Link>
          }
        />
      </Space>
    );
  }

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      {back}
      <Typography.Title level={2} style={{ margin: 0 }}>
        {t('complaints.acceptTitle')}
      </Typography.Title>
      <Card>
        <Form<Values> form={form} layout="vertical" onFinish={(v) => void submit(v)} name="accept" data-testid="accept-form" style={{ maxWidth: 880 }}>
          <Row gutter={16}>
            <Col xs={24} md={12}>
              <Form.Item label={t('complaints.customer')} name="customerId" required>
                <Select
                  showSearch={{ filterOption: false, onSearch: search }}
                  allowClear
                  placeholder={t('complaints.customerSearch')}
                  options={found.map((c) => ({ value: c.id, label: c.name }))}
                  onChange={(_, option) => {
                    const name = (option as { label?: string } | undefined)?.label;
                    if (name && !form.getFieldValue('complainantName')) form.setFieldValue('complainantName', name);
                  }}
                />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item label={t('complaints.conversation')} name="conversationId" extra={t('complaints.conversationHint')}>
                <Select
                  allowClear
                  disabled={!customerId}
                  options={conversations.map((c) => ({ value: c.id, label: `#${c.number} · ${c.channel} · ${c.lastMessagePreview ?? ''}` }))}
                />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item label={t('complaints.complainant')} name="complainantName" required>
                <Input maxLength={100} />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item label={t('complaints.contact')} name="contact" required>
                <Input maxLength={32} inputMode="tel" />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item label={t('complaints.channel')} name="channel" required>
                <Select options={CHANNELS.map((c) => ({ value: c, label: t(`complaints.channels.${c}`) }))} />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item label={t('complaints.receivedAt')} name="receivedAt" extra={t('complaints.receivedAtHint')}>
                <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col span={24}>
              <Form.Item label={t('complaints.matter')} name="matter" required>
                <Input.TextArea rows={4} maxLength={5000} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item label={t('complaints.category')} name="category">
                <Input maxLength={50} placeholder={t('complaints.categoryPlaceholder')} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item label={t('complaints.productModel')} name="productModel">
                <Input maxLength={100} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item label={t('complaints.severity')} name="severity">
                <Select allowClear placeholder={t('complaints.severities.normal')} options={SEVERITIES.map((s) => ({ value: s, label: t(`complaints.severities.${s}`) }))} />
              </Form.Item>
            </Col>
          </Row>
          {apology && <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t('complaints.apologyPreview')} description={apology} />}
          <Button type="primary" htmlType="submit" loading={saving}>
            {t('complaints.accept')}
          </Button>
        </Form>
      </Card>
    </Space>
  );
}
