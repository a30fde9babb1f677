import { useCallback, useEffect, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { Alert, Button, Checkbox, Select, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, type ApiError, type Reply } from '../../api/client.ts';
import { PlusOutlined } from '@ant-design/icons';
import { allows, useMe } from '../../auth/session.tsx';
import { useRealtimeEvents, useRealtimeStatus } from '../../realtime.tsx';
import { asApiError, formatDateTime, isAbort } from '../supervisor/shared.ts';
import { AcceptComplaint } from './Accept.tsx';
import { ComplaintDetail } from './Detail.tsx';
import { STATUS_COLOURS } from './labels.ts';

type Complaint = Reply<'get', '/api/complaints'>['data'][number];
type Status = Complaint['status'];
const STATUSES: readonly Status[] = ['accepted', 'investigating', 'proposed', 'approved', 'implementing', 'revisiting', 'closed'];
const OPEN_STATUSES = STATUSES.filter((s) => s !== 'closed');

interface Filters {
  status: Status[];
  overdue: boolean;
  mine: boolean;
}

function ComplaintList() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const me = useMe();
  const { generation } = useRealtimeStatus();
  const [filters, setFilters] = useState<Filters>({ status: [...OPEN_STATUSES], overdue: false, mine: false });
  const [rows, setRows] = useState<Complaint[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);

  const load = useCallback(
    async (after: string | null, signal?: AbortSignal) => {
      setLoading(true);
      try {
        const page = await api.get('/api/complaints', {
          query: {
            limit: 50,
            ...(filters.status.length ? { status: filters.status } : {}),
            ...(filters.overdue ? { overdue: true } : {}),
            ...(filters.mine ? { owner: 'me' as const } : {}),
            ...(after ? { cursor: after } : {}),
          },
          signal,
        });
        setRows((r) => (after ? [...r, ...page.data] : page.data));
        setCursor(page.nextCursor);
        setError(null);
      } catch (err) {
        if (!isAbort(err)) setError(asApiError(err));
      } finally {
        if (!signal?.aborted) setLoading(false);
      }
    },
    [filters],
  );
  useEffect(() => {
    const controller = new AbortController();
    void load(null, controller.signal);
    return () => controller.abort();
  }, [load, generation, attempt]);
  useRealtimeEvents(['complaint.'], () => setAttempt((n) => n + 1));

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space align="center" style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={2} style={{ margin: 0 }}>
          {t('complaints.title')}
        </Typography.Title>
        {allows(me, 'complaints.manage') && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('?new=1')}>
            {t('complaints.accept')}
          </Button>
        )}
      </Space>
      <Space wrap>
        <Select<Status[]>
          mode="multiple"
          allowClear
          aria-label={t('complaints.filterStatus')}
          placeholder={t('complaints.filterStatus')}
          style={{ minWidth: 320 }}
          value={filters.status}
          onChange={(status) => setFilters((f) => ({ ...f, status }))}
          options={STATUSES.map((s) => ({ value: s, label: t(`complaints.statuses.${s}`) }))}
        />
        <Checkbox checked={filters.overdue} onChange={(e) => setFilters((f) => ({ ...f, overdue: e.target.checked }))}>
          {t('complaints.overdueOnly')}
        </Checkbox>
        <Checkbox checked={filters.mine} onChange={(e) => setFilters((f) => ({ ...f, mine: e.target.checked }))}>
          {t('complaints.mineOnly')}
        </Checkbox>
      </Space>
      {error && <Alert type="error" showIcon title={error.message} action={<Button size="small" onClick={() => setAttempt((n) => n + 1)}>{t('common.retry')}</Button>} />}
      <Table<Complaint>
        rowKey="id"
        loading={loading}
        dataSource={rows}
        pagination={false}
        onRow={(r) => ({ onClick: () => navigate(`?id=${r.id}`), style: { cursor: 'pointer' } })}
        columns={[
          {
            title: t('complaints.number'),
            dataIndex: 'number',
            render: (n: number, r) => (
              // A real link, so the list is usable by keyboard as well as by a click on the row.
              <a href={`?id=${r.id}`} onClick={(e) => {
                  e.preventDefault();
                  e.stopPropagation();
                  navigate(`?id=${r.id}`);
                }}>
                #{n}
              </a>
            ),
          },
          { title: t('complaints.matter'), dataIndex: 'matter', ellipsis: true },
          { title: t('complaints.complainant'), dataIndex: 'complainantName' },
          { title: t('complaints.channel'), dataIndex: 'channel', render: (c: Complaint['channel']) => t(`complaints.channels.${c}`) },
          {
            title: t('complaints.severity'),
            dataIndex: 'severity',
            render: (s: Complaint['severity']) => <Tag color={s === 'normal' ? 'default' : s === 'major' ? 'orange' : 'red'}>{t(`complaints.severities.${s}`)}</Tag>,
          },
          {
            title: t('complaints.status'),
            dataIndex: 'status',
            render: (s: Status, r) => (
              <Space size={4}>
                <Tag color={STATUS_COLOURS[s]}>{t(`complaints.statuses.${s}`)}</Tag>
                {r.responseOverdue && <Tag color="red">{t('complaints.overdue')}</Tag>}
              </Space>
            ),
          },
          { title: t('complaints.receivedAt'), dataIndex: 'receivedAt', render: formatDateTime },
          { title: t('complaints.respondBy'), dataIndex: 'respondBy', render: formatDateTime },
        ]}
      />
      {cursor && (
        <Button onClick={() => void load(cursor)} loading={loading}>
          {t('complaints.more')}
        </Button>
      )}
    </Space>
  );
}

/** CP1–CP5: the complaints list, one complaint when the address names it (`?id=`), or accepting one (`?new=1`). */
export default function Complaints() {
  const [params] = useSearchParams();
  const me = useMe();
  const id = params.get('id');
  if (id) return <ComplaintDetail id={id} />;
  return params.get('new') && allows(me, 'complaints.manage') ? <AcceptComplaint /> : <ComplaintList />;
}
