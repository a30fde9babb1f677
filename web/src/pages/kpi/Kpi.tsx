import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { Alert, Button, Card, Col, DatePicker, Descriptions, Drawer, Dropdown, Row, Segmented, Select, Space, Statistic, Table, Tag, Typography } from 'antd';
import { DownloadOutlined, TableOutlined, BarChartOutlined } from '@ant-design/icons';
import dayjs, { type Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';
import { api, type Reply } from '../../api/client.ts';
import { useLoad, usePaged } from '../../api/useLoad.tsx';
import { formatDateTime, ORG_TIME_ZONE, todayIn } from '../supervisor/shared.ts';
import { Chart } from './Chart.tsx';
import { conversationPath } from '../../nav.tsx';

type Kpi = Reply<'get', '/api/kpis'>['data'][number];
type Dimension = Kpi['dimensions'][number];
type Values = Reply<'get', '/api/kpis/{code}/values'>;
type ValueRow = Values['rows'][number];
type DrillRow = Reply<'get', '/api/kpis/{code}/conversations'>['data'][number];
type Unit = Kpi['unit'];

const BREAKDOWNS = ['agent', 'team', 'channel', 'problem_type', 'metric'] as const satisfies readonly Dimension[];
type Breakdown = (typeof BREAKDOWNS)[number];
const TRENDS = ['day', 'week', 'month'] as const satisfies readonly Dimension[];
type Trend = (typeof TRENDS)[number];
/** The export sheet's groupings: every KPI has them (the SLA-only `metric` is not one). */
type ReportGroup = Exclude<Dimension, 'metric'>;
type Part = 'all' | 'numerator' | 'denominator';

const DECIMALS: Record<Unit, number> = { percent: 1, seconds: 0, score: 2, count: 0 };
export function formatValue(value: number | null, unit: Unit): string {
  return value === null ? '—' : value.toLocaleString('zh-CN', { maximumFractionDigits: DECIMALS[unit], minimumFractionDigits: DECIMALS[unit] });
}

interface Query {
  code: string;
  from: string;
  to: string;
}
interface Drill extends Query {
  groupBy: Dimension;
  group: string;
  label: string;
}

/** The values call, or null when the KPI does not have that dimension. */
function useValues(q: Query | null, groupBy: Dimension | null) {
  return useLoad(
    useCallback(
      async (signal: AbortSignal): Promise<Values | null> =>
        q && groupBy ? api.get('/api/kpis/{code}/values', { path: { code: q.code }, query: { from: q.from, to: q.to, groupBy }, signal }) : null,
      [q, groupBy],
    ),
  );
}

function ChartOrTable({ title, values, kind, unit, onPick, testId, extra }: { title: string; values: Values | null; kind: 'line' | 'bar'; unit: Unit; onPick: (row: ValueRow) => void; testId: string; extra?: ReactNode }) {
  const { t } = useTranslation();
  const [asTable, setAsTable] = useState(false);
  const rows = values?.rows ?? [];
  const labelOf = (r: ValueRow) => r.label ?? r.group ?? t('kpi.unassigned');
  const option = useMemo(
    () => ({
      grid: { left: 56, right: 24, top: 24, bottom: 48 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: rows.map(labelOf), axisLabel: { interval: 0, hideOverlap: true } },
      yAxis: { type: 'value' },
      series: [
        {
          type: kind,
          data: rows.map((r) => r.value),
          barMaxWidth: 48,
          itemStyle: { color: '#1677ff' },
          ...(values?.target != null ? { markLine: { symbol: 'none', data: [{ yAxis: values.target, name: t('kpi.target') }], lineStyle: { color: '#fa8c16', type: 'dashed' } } } : {}),
        },
      ],
    }),
    // labelOf only reads the language, which re-renders with new rows anyway.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [rows, kind, values?.target],
  );
  return (
    <Card
      title={title}
      data-testid={testId}
      extra={
        <Space>
          {extra}
          <Button icon={asTable ? <BarChartOutlined /> : <TableOutlined />} onClick={() => setAsTable((v) => !v)} aria-pressed={asTable}>
            {asTable ? t('kpi.showChart') : t('kpi.showTable')}
          </Button>
        </Space>
      }
    >
      {rows.length === 0 ? (
        <Typography.Text type="secondary">{t('kpi.noData')}</Typography.Text>
      ) : asTable ? (
        <Table<ValueRow>
          rowKey={(r) => r.group ?? 'none'}
          size="small"
          pagination={false}
          dataSource={rows}
          columns={[
            { title: t('kpi.group'), key: 'label', render: (_, r) => labelOf(r) },
            {
              title: t('kpi.value'),
              key: 'value',
              align: 'right',
              render: (_, r) => (
                <Button type="link" size="small" onClick={() => onPick(r)} aria-label={t('kpi.drillFor', { group: labelOf(r) })}>
                  {formatValue(r.value, unit)}
                </Button>
              ),
            },
            { title: t('kpi.numerator'), dataIndex: 'numerator', align: 'right' },
            { title: t('kpi.denominator'), dataIndex: 'denominator', align: 'right' },
          ]}
        />
      ) : (
        <Chart option={option} label={title} onPick={(i) => rows[i] && onPick(rows[i])} />
      )}
    </Card>
  );
}

/** The records behind one point or bar, cursor-paged, each linking to its conversation. */
function DrillDown({ drill, onClose }: { drill: Drill | null; onClose: () => void }) {
  const { t } = useTranslation();
  const [part, setPart] = useState<Part>('all');
  const { rows, loading, error, more } = usePaged(
    useCallback(
      async (after: string | null, signal: AbortSignal) =>
        drill
          ? api.get('/api/kpis/{code}/conversations', {
              path: { code: drill.code },
              query: { from: drill.from, to: drill.to, groupBy: drill.groupBy, group: drill.group, limit: 50, ...(part === 'all' ? {} : { part }), ...(after ? { cursor: after } : {}) },
              signal,
            })
          : { data: [], nextCursor: null },
      [drill, part],
    ),
    0,
    { clearOnChange: true },
  );
  useEffect(() => setPart('all'), [drill]);

  return (
    <Drawer open={drill !== null} onClose={onClose} size="large" title={drill ? t('kpi.drillTitle', { group: drill.label }) : ''} destroyOnHidden>
      <Space orientation="vertical" style={{ width: '100%' }}>
        <Segmented<Part>
          aria-label={t('kpi.part')}
          value={part}
          onChange={setPart}
          options={(['all', 'numerator', 'denominator'] as const).map((p) => ({ value: p, label: t(`kpi.parts.${p}`) }))}
        />
        {error && <Alert type="error" showIcon title={error.message} />}
        <Table<DrillRow>
          data-testid="kpi-drill"
          rowKey="id"
          size="small"
          loading={loading}
          pagination={false}
          dataSource={rows}
          columns={[
            {
              title: t('kpi.conversation'),
              key: 'number',
              render: (_, r) => (r.conversationId ? <Link to={conversationPath(r.conversationId)}>#{r.number}</Link> : '—'),
            },
            { title: t('kpi.source'), dataIndex: 'source', render: (s: DrillRow['source']) => t(`kpi.sources.${s}`) },
            { title: t('kpi.channel'), dataIndex: 'channel', render: (c: string | null) => c ?? '—' },
            { title: t('kpi.at'), dataIndex: 'at', render: (at: string) => formatDateTime(at) },
            { title: t('kpi.numerator'), dataIndex: 'numerator', align: 'right' },
            { title: t('kpi.denominator'), dataIndex: 'denominator', align: 'right' },
          ]}
        />
        {more && (
          <Button onClick={more} loading={loading}>
            {t('kpi.more')}
          </Button>
        )}
      </Space>
    </Drawer>
  );
}

/** R3 / issue 5 §7: one KPI of the registry, its trend and its breakdown, each figure drilling down to its records. */
export default function KpiDashboard() {
  const { t } = useTranslation();
  const registry = useLoad(useCallback((signal: AbortSignal) => api.get('/api/kpis', { signal }).then((r) => r.data), []));
  const [code, setCode] = useState<string | null>(null);
  const today = todayIn(ORG_TIME_ZONE);
  const [period, setPeriod] = useState<[string, string]>([`${today.slice(0, 8)}01`, today]);
  const [breakdown, setBreakdown] = useState<Breakdown>('agent');
  const [trend, setTrend] = useState<Trend>('day');
  const [drill, setDrill] = useState<Drill | null>(null);

  const kpis = registry.data ?? [];
  const kpi = kpis.find((k) => k.code === code) ?? kpis[0] ?? null;
  const query = useMemo(() => (kpi ? { code: kpi.code, from: period[0], to: period[1] } : null), [kpi, period]);
  const breakdowns = BREAKDOWNS.filter((d) => kpi?.dimensions.includes(d));
  const by = breakdowns.includes(breakdown) ? breakdown : (breakdowns[0] ?? null);
  const totals = useValues(query, by);
  const trendValues = useValues(query, trend);
  const error = registry.error ?? totals.error ?? trendValues.error;

  const open = (groupBy: Dimension) => (row: ValueRow) =>
    query && setDrill({ ...query, groupBy, group: row.group ?? 'none', label: row.label ?? row.group ?? t('kpi.unassigned') });

  const reportGroup: ReportGroup = by && by !== 'metric' ? by : 'agent';
  const exportUrl = (format: 'csv' | 'xlsx') => `/api/kpis/exports?${new URLSearchParams({ groupBy: reportGroup, from: period[0], to: period[1], format })}`;

  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ margin: 0 }}>
          {t('kpi.title')}
        </Typography.Title>
        <Dropdown
          trigger={['click']}
          menu={{
            items: (['xlsx', 'csv'] as const).map((f) => ({
              key: f,
              label: (
                <a href={exportUrl(f)} download>
                  {t(`kpi.export.${f}`, { by: t(`kpi.dimensions.${reportGroup}`) })}
                </a>
              ),
            })),
          }}
        >
          <Button icon={<DownloadOutlined />}>{t('kpi.export.button')}</Button>
        </Dropdown>
      </Space>
      <Space wrap>
        <Select
          aria-label={t('kpi.pick')}
          style={{ minWidth: 260 }}
          loading={registry.loading}
          value={kpi?.code}
          onChange={setCode}
          options={kpis.map((k) => ({ value: k.code, label: k.name }))}
          showSearch={{ optionFilterProp: 'label' }}
        />
        <DatePicker.RangePicker
          aria-label={t('kpi.period')}
          allowClear={false}
          value={[dayjs(period[0]), dayjs(period[1])]}
          onChange={(range) => {
            const [a, b] = (range ?? []) as [Dayjs | null, Dayjs | null];
            if (a && b) setPeriod([a.format('YYYY-MM-DD'), b.format('YYYY-MM-DD')]);
          }}
        />
      </Space>
      {error && <Alert type="error" showIcon title={error.message} />}
      {kpi && (
        <Row gutter={[16, 16]}>
          <Col xs={24} lg={8}>
            <Card style={{ height: '100%' }}>
              <div data-testid="kpi-total">
                <Statistic title={kpi.name} value={formatValue(totals.data?.total.value ?? null, kpi.unit)} suffix={t(`kpi.units.${kpi.unit}`)} loading={totals.loading && !totals.data} />
              </div>
              {totals.data && (
                <Typography.Text type="secondary">
                  {t('kpi.fraction', { numerator: totals.data.total.numerator, denominator: totals.data.total.denominator })}
                  {totals.data.target != null && ` · ${t('kpi.targetIs', { target: totals.data.target })}`}
                </Typography.Text>
              )}
            </Card>
          </Col>
          <Col xs={24} lg={16}>
            <Card style={{ height: '100%' }}>
              <Descriptions size="small" column={1} data-testid="kpi-definition">
                <Descriptions.Item label={t('kpi.name')}>
                  {kpi.name} <Typography.Text type="secondary">{kpi.nameEn}</Typography.Text>
                </Descriptions.Item>
                <Descriptions.Item label={t('kpi.unit')}>{t(`kpi.unitNames.${kpi.unit}`)}</Descriptions.Item>
                <Descriptions.Item label={t('kpi.direction')}>
                  <Tag color={kpi.direction === 'higher_better' ? 'green' : 'blue'}>{t(`kpi.directions.${kpi.direction}`)}</Tag>
                </Descriptions.Item>
                <Descriptions.Item label={t('kpi.formula')}>{kpi.formula}</Descriptions.Item>
              </Descriptions>
            </Card>
          </Col>
        </Row>
      )}
      {kpi && (
        <ChartOrTable
          title={t('kpi.trend')}
          testId="kpi-trend"
          kind="line"
          unit={kpi.unit}
          values={trendValues.data}
          onPick={open(trend)}
          extra={<Segmented<Trend> aria-label={t('kpi.trendBy')} value={trend} onChange={setTrend} options={TRENDS.map((d) => ({ value: d, label: t(`kpi.dimensions.${d}`) }))} />}
        />
      )}
      {kpi && by && (
        <ChartOrTable
          title={t('kpi.breakdown', { by: t(`kpi.dimensions.${by}`) })}
          testId="kpi-breakdown"
          kind="bar"
          unit={kpi.unit}
          values={totals.data}
          onPick={open(by)}
          extra={<Segmented<Breakdown> aria-label={t('kpi.breakdownBy')} value={by} onChange={setBreakdown} options={breakdowns.map((d) => ({ value: d, label: t(`kpi.dimensions.${d}`) }))} />}
        />
      )}
      <DrillDown drill={drill} onClose={() => setDrill(null)} />
    </Space>
  );
}
