import { useCallback, useEffect, useState } from 'react';
import { AutoComplete, Button, Col, DatePicker, Descriptions, Drawer, Form, Input, Row, Select, Space, Table, Tag, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';
import { api, type Reply } from '../../api/client.ts';
import type { zhCN } from '../../i18n/zh-CN.ts';
import { isAbort, LoadError, usePaged } from '../../api/useLoad.tsx';
import { ORG_UTC_OFFSET, formatTime } from './format.ts';

type Entry = Reply<'get', '/api/audit'>['data'][number];
type Action = keyof typeof zhCN.audit.actions;
type KnownEntity = keyof typeof zhCN.audit.entities;
const ACTIONS: readonly Action[] = ['create', 'update', 'delete', 'reveal', 'export', 'login', 'login_failed', 'lock', 'logout', 'revoke'];
const ENTITIES: readonly KnownEntity[] = ['staff', 'department', 'team', 'policy', 'webhook', 'api_token', 'session', 'credentials', 'customer', 'conversation', 'message', 'complaint', 'task'];
type ActorType = keyof typeof zhCN.audit.actorTypes;
const ACTOR_TYPES: readonly ActorType[] = ['staff', 'api_token', 'system', 'anonymous'];
const ACTION_COLOURS: Partial<Record<Action, string>> = { create: 'green', update: 'blue', delete: 'red', reveal: 'purple', export: 'magenta', lock: 'volcano', login_failed: 'orange' };
const PAGE = 50;

interface Filter {
  actorId?: string;
  entityType?: string;
  entityId?: string;
  action?: Action;
  range?: [Dayjs | null, Dayjs | null] | null;
}

/** A wall-clock time picked in the org's zone, as an instant. */
const orgInstant = (d: Dayjs | null | undefined) => (d ? `${d.format('YYYY-MM-DDTHH:mm:ss')}${ORG_UTC_OFFSET}` : undefined);
const short = (v: unknown) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
};
/** The fields an update changed; a creation or deletion shows its whole record instead. */
const diffOf = (e: Entry) => (e.action === 'update' && e.diff && typeof e.diff === 'object' ? (e.diff as Record<string, { from: unknown; to: unknown }>) : {});

/** O4 / C4: the append-only audit log, newest first; reveals of personal data show their reason. */
export default function AuditPage() {
  const { t } = useTranslation();
  const [form] = Form.useForm<Filter>();
  const [filter, setFilter] = useState<Filter>({});
  const [open, setOpen] = useState<Entry | null>(null);
  const [actors, setActors] = useState<Array<{ value: string; label: string }>>([]);

  const entityLabel = (type: string) => ((ENTITIES as readonly string[]).includes(type) ? t(`audit.entities.${type as KnownEntity}`) : type);
  const actorTypeLabel = (a: string) => ((ACTOR_TYPES as readonly string[]).includes(a) ? t(`audit.actorTypes.${a as ActorType}`) : a);
  const actionLabel = (a: string) => ((ACTIONS as readonly string[]).includes(a) ? t(`audit.actions.${a as Action}`) : a);

  const { rows, loading, error, more, reload } = usePaged(
    useCallback(
      (after: string | null, signal: AbortSignal) =>
        api.get('/api/audit', {
          signal,
          query: {
            limit: PAGE,
            ...(after ? { cursor: after } : {}),
            actorId: filter.actorId,
            entityType: filter.entityType?.trim() || undefined,
            entityId: filter.entityId?.trim() || undefined,
            action: filter.action,
            from: orgInstant(filter.range?.[0]),
            to: orgInstant(filter.range?.[1]),
          },
        }),
      [filter],
    ),
  );

  const searchActors = useCallback(async (q: string) => {
    try {
      const page = await api.get('/api/staff', { query: { limit: 20, ...(q.trim() ? { q: q.trim() } : {}) } });
      setActors(page.data.map((s) => ({ value: s.id, label: `${s.displayName}（${s.username}）` })));
    } catch (err) {
      if (!isAbort(err)) setActors([]);
    }
  }, []);
  useEffect(() => void searchActors(''), [searchActors]);

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0 }}>
        {t('nav.audit')}
      </Typography.Title>
      <Form form={form} layout="vertical" onFinish={(f) => setFilter({ ...f })} data-testid="audit-filters">
        <Row gutter={12} align="bottom">
          <Col xs={24} md={8} xl={4}>
            <Form.Item label={t('audit.actor')} name="actorId">
              <Select allowClear showSearch={{ filterOption: false, onSearch: (q) => void searchActors(q) }} options={actors} placeholder={t('audit.anyone')} />
            </Form.Item>
          </Col>
          <Col xs={24} md={8} xl={4}>
            <Form.Item label={t('audit.entityType')} name="entityType">
              <AutoComplete
                allowClear
                options={ENTITIES.map((e) => ({ value: e, label: `${t(`audit.entities.${e}`)}（${e}）` }))}
                filterOption={(input, o) => String(o?.value).includes(input) || String(o?.label).includes(input)}
                placeholder={t('audit.anyType')}
              />
            </Form.Item>
          </Col>
          <Col xs={24} md={8} xl={4}>
            <Form.Item label={t('audit.entityId')} name="entityId">
              <Input allowClear placeholder={t('audit.anyEntity')} />
            </Form.Item>
          </Col>
          <Col xs={24} md={8} xl={3}>
            <Form.Item label={t('audit.action')} name="action">
              <Select allowClear options={ACTIONS.map((a) => ({ value: a, label: t(`audit.actions.${a}`) }))} placeholder={t('audit.anyAction')} />
            </Form.Item>
          </Col>
          <Col xs={24} md={16} xl={6}>
            <Form.Item label={t('audit.range')} name="range">
              <DatePicker.RangePicker showTime allowEmpty={[true, true]} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={24} xl={3}>
            <Form.Item>
              <Space>
                <Button type="primary" htmlType="submit">
                  {t('audit.search')}
                </Button>
                <Button
                  onClick={() => {
                    form.resetFields();
                    setFilter({});
                  }}
                >
                  {t('audit.reset')}
                </Button>
              </Space>
            </Form.Item>
          </Col>
        </Row>
      </Form>
      <Space>
        <Button
          onClick={() => {
            form.setFieldsValue({ action: 'reveal' });
            setFilter({ ...form.getFieldsValue(), action: 'reveal' });
          }}
        >
          {t('audit.onlyReveals')}
        </Button>
        <Typography.Text type="secondary">{t('audit.timeZone')}</Typography.Text>
      </Space>
      {error && <LoadError error={error} onRetry={() => void reload()} />}
      <Table<Entry>
        rowKey="id"
        size="small"
        loading={loading}
        dataSource={rows}
        pagination={false}
        data-testid="audit-table"
        onRow={(r) => ({ onClick: () => setOpen(r), style: { cursor: 'pointer' } })}
        columns={[
          { title: t('audit.at'), dataIndex: 'at', width: 190, render: formatTime },
          { title: t('audit.actor'), key: 'actor', render: (_, r) => r.actorName ?? actorTypeLabel(r.actorType) },
          { title: t('audit.action'), dataIndex: 'action', render: (a: string) => <Tag color={ACTION_COLOURS[a as Action]}>{actionLabel(a)}</Tag> },
          { title: t('audit.entityType'), dataIndex: 'entityType', render: entityLabel },
          {
            title: t('audit.changes'),
            key: 'changes',
            render: (_, r) =>
              Object.entries(diffOf(r))
                .slice(0, 3)
                .map(([field, { from, to }]) => (
                  <div key={field}>
                    <Typography.Text code>{field}</Typography.Text> {short(from)} → {short(to)}
                  </div>
                )),
          },
          { title: t('audit.reason'), dataIndex: 'reason', render: (v: string | null) => v ?? '' },
          {
            title: '',
            key: 'open',
            render: (_, r) => (
              <Button
                size="small"
                type="link"
                onClick={(e) => {
                  e.stopPropagation();
                  setOpen(r);
                }}
              >
                {t('audit.detail')}
              </Button>
            ),
          },
        ]}
      />
      {more && (
        <Button onClick={more} loading={loading}>
          {t('audit.more')}
        </Button>
      )}
      <Drawer title={open ? `${actionLabel(open.action)} · ${entityLabel(open.entityType)}` : ''} size="large" open={open !== null} onClose={() => setOpen(null)} destroyOnHidden>
        {open && <EntryDetail entry={open} entityLabel={entityLabel} actionLabel={actionLabel} />}
      </Drawer>
    </Space>
  );
}

function EntryDetail({ entry, entityLabel, actionLabel }: { entry: Entry; entityLabel: (t: string) => string; actionLabel: (a: string) => string }) {
  const { t } = useTranslation();
  const changed = Object.entries(diffOf(entry)).map(([field, d]) => ({ field, ...d }));
  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }} data-testid="audit-detail">
      <Descriptions size="small" column={1} bordered>
        <Descriptions.Item label={t('audit.at')}>{formatTime(entry.at)}</Descriptions.Item>
        <Descriptions.Item label={t('audit.actor')}>
          {entry.actorName ?? '—'} <Typography.Text type="secondary">{entry.actorType}</Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('audit.action')}>{actionLabel(entry.action)}</Descriptions.Item>
        <Descriptions.Item label={t('audit.entityType')}>{entityLabel(entry.entityType)}</Descriptions.Item>
        <Descriptions.Item label={t('audit.entityId')}>{entry.entityId ? <Typography.Text code copyable>{entry.entityId}</Typography.Text> : '—'}</Descriptions.Item>
        {entry.reason && <Descriptions.Item label={t('audit.reason')}>{entry.reason}</Descriptions.Item>}
        <Descriptions.Item label="IP">{entry.ip ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('audit.requestId')}>{entry.requestId ?? '—'}</Descriptions.Item>
      </Descriptions>
      {changed.length > 0 && (
        <Table
          rowKey="field"
          size="small"
          pagination={false}
          dataSource={changed}
          columns={[
            { title: t('audit.field'), dataIndex: 'field', render: (f: string) => <Typography.Text code style={{ whiteSpace: 'nowrap' }}>{f}</Typography.Text> },
            { title: t('audit.before'), dataIndex: 'from', render: (v: unknown) => <Json value={v} /> },
            { title: t('audit.after'), dataIndex: 'to', render: (v: unknown) => <Json value={v} /> },
          ]}
        />
      )}
      <Row gutter={12}>
        <Col span={12}>
          <Typography.Title level={5}>{t('audit.before')}</Typography.Title>
          <Json value={entry.before} block />
        </Col>
        <Col span={12}>
          <Typography.Title level={5}>{t('audit.after')}</Typography.Title>
          <Json value={entry.after} block />
        </Col>
      </Row>
    </Space>
  );
}

function Json({ value, block = false }: { value: unknown; block?: boolean }) {
  if (value === null || value === undefined) return <Typography.Text type="secondary">—</Typography.Text>;
  if (!block) return <Typography.Text style={{ wordBreak: 'break-all' }}>{typeof value === 'string' ? value : JSON.stringify(value)}</Typography.Text>;
  return <pre style={{ fontSize: 12, whiteSpace: 'pre-wrap', wordBreak: 'break-all', maxHeight: 480, overflow: 'auto', background: '#fafafa', padding: 8, margin: 0 }}>{JSON.stringify(value, null, 2)}</pre>;
}
