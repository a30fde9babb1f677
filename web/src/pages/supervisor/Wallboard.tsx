import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { Alert, Button, Card, Col, Row, Space, Table, Tag, Typography } from 'antd';
import { FullscreenExitOutlined, FullscreenOutlined, ReloadOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, type Reply } from '../../api/client.ts';
import { useRealtimeEvents, useRealtimeStatus } from '../../realtime.tsx';
import { useLoad } from '../../api/useLoad.tsx';
import { clockDuration, formatDateTime, todayIn } from './shared.ts';

type Board = Reply<'get', '/api/wallboard'>;
type Agent = Reply<'get', '/api/agent-states'>[number];
type Status = Agent['status'];
const STATUSES: readonly Status[] = ['online', 'busy', 'away', 'offline'];
const STATUS_COLOURS: Record<Status, string> = { online: '#52c41a', busy: '#fa8c16', away: '#faad14', offline: '#8c8c8c' };

interface Snapshot {
  board: Board;
  agents: Agent[];
  serviceLevel: Reply<'get', '/api/kpis/{code}/values'>;
  withinSeconds: number;
  /** Server time minus browser time, so waits tick from the server's clock. */
  skewMs: number;
}

/** Re-reads after events come in bursts (a routing run assigns many at once), at most a few times a second. */
const EVENT_DEBOUNCE_MS = 300;
/** Some changes reach no event this user receives (e.g. unrouted work for a team lead): read again anyway. */
const REFRESH_MS = 30_000;
const LIVE_EVENTS = ['conversation.', 'agent.status_changed', 'sla.breached', 'queue.'];

async function loadSnapshot(signal: AbortSignal): Promise<Snapshot> {
  const [board, agents, policy] = await Promise.all([
    api.get('/api/wallboard', { signal }),
    api.get('/api/agent-states', { signal }),
    api.get('/api/policies/current', { signal }),
  ]);
  const today = todayIn(board.timezone);
  const serviceLevel = await api.get('/api/kpis/{code}/values', { path: { code: 'service_level' }, query: { from: today, to: today }, signal });
  return { board, agents, serviceLevel, withinSeconds: policy.document.sla.serviceLevel.withinSeconds.value, skewMs: Date.parse(board.at) - Date.now() };
}

/** Ticks every second while mounted: the longest wait grows on screen between reloads. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function Tile({ title, value, hint, testId, tone }: { title: string; value: ReactNode; hint?: ReactNode; testId: string; tone?: string }) {
  return (
    <Card style={{ height: '100%' }} styles={{ body: { padding: '20px 24px' } }}>
      <div role="group" aria-label={title} data-testid={testId}>
        <div style={{ fontSize: 20, color: '#595959' }}>{title}</div>
        <div data-testid={`${testId}-value`} style={{ fontSize: 64, fontWeight: 600, lineHeight: 1.15, color: tone, fontVariantNumeric: 'tabular-nums' }}>
          {value}
        </div>
        {hint && <div style={{ fontSize: 16, color: '#8c8c8c', minHeight: 24 }}>{hint}</div>}
      </div>
    </Card>
  );
}

/** R1 / X2: the live wallboard for the floor, readable from across the room, kept current over /api/realtime. */
export default function Wallboard() {
  const { t } = useTranslation();
  const { generation } = useRealtimeStatus();
  const { data, error, reload } = useLoad(useCallback((signal: AbortSignal) => loadSnapshot(signal), []));
  const now = useNow();
  const frame = useRef<HTMLDivElement>(null);
  const [fullscreen, setFullscreen] = useState(false);

  // Events missed while the connection was down: read everything again once it is back.
  const firstGeneration = useRef(generation);
  useEffect(() => {
    if (generation !== firstGeneration.current) reload();
  }, [generation, reload]);

  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useRealtimeEvents(LIVE_EVENTS, () => {
    clearTimeout(pending.current);
    pending.current = setTimeout(reload, EVENT_DEBOUNCE_MS);
  });
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => {
      clearInterval(timer);
      clearTimeout(pending.current);
    };
  }, [reload]);

  useEffect(() => {
    const sync = () => setFullscreen(document.fullscreenElement === frame.current);
    document.addEventListener('fullscreenchange', sync);
    return () => document.removeEventListener('fullscreenchange', sync);
  }, []);
  const toggleFullscreen = () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void frame.current?.requestFullscreen();
  };

  const serverNow = now + (data?.skewMs ?? 0);
  const waitOf = (since: string | null) => (since ? clockDuration((serverNow - Date.parse(since)) / 1000) : '—');
  const sl = data?.serviceLevel;
  const byStatus = (s: Status) => (data?.agents ?? []).filter((a) => a.status === s);

  return (
    <div ref={frame} style={{ background: '#f5f5f5', padding: fullscreen ? 32 : 0, minHeight: fullscreen ? '100vh' : undefined, overflow: 'auto' }}>
      <Space orientation="vertical" size="large" style={{ width: '100%' }}>
        <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
          <Typography.Title level={2} style={{ margin: 0 }}>
            {t('wallboard.title')}
          </Typography.Title>
          <Space>
            {data && <Typography.Text type="secondary">{t('wallboard.updatedAt', { time: formatDateTime(data.board.at) })}</Typography.Text>}
            <Button icon={<ReloadOutlined />} aria-label={t('wallboard.refresh')} onClick={reload} />
            <Button icon={fullscreen ? <FullscreenExitOutlined /> : <FullscreenOutlined />} onClick={toggleFullscreen} aria-pressed={fullscreen}>
              {fullscreen ? t('wallboard.exitFullscreen') : t('wallboard.fullscreen')}
            </Button>
          </Space>
        </Space>
        {error && <Alert type="error" showIcon title={error.message} action={<Button size="small" onClick={reload}>{t('common.retry')}</Button>} />}
        {data && (
          <>
            <Row gutter={[16, 16]}>
              <Col xs={24} sm={12} xl={6}>
                <Tile testId="wallboard-waiting" title={t('wallboard.waiting')} value={data.board.waiting} tone={data.board.waiting > 0 ? '#1677ff' : undefined} hint={t('wallboard.waitingHint')} />
              </Col>
              <Col xs={24} sm={12} xl={6}>
                <Tile testId="wallboard-longest" title={t('wallboard.longestWait')} value={waitOf(data.board.oldestWaitingSince)} hint={t('wallboard.longestWaitHint')} />
              </Col>
              <Col xs={24} sm={12} xl={6}>
                <Tile
                  testId="wallboard-service-level"
                  title={t('wallboard.serviceLevel')}
                  value={sl?.total.value == null ? '—' : `${Math.round(sl.total.value * 10) / 10}%`}
                  tone={sl?.total.value != null && sl.target != null ? (sl.total.value >= sl.target ? '#389e0d' : '#cf1322') : undefined}
                  hint={
                    sl?.target != null
                      ? t('wallboard.serviceLevelTarget', { percent: sl.target, seconds: data.withinSeconds })
                      : t('wallboard.serviceLevelWithin', { seconds: data.withinSeconds })
                  }
                />
              </Col>
              <Col xs={24} sm={12} xl={6}>
                <Tile testId="wallboard-breaches" title={t('wallboard.breachesToday')} value={data.board.breachesToday} tone={data.board.breachesToday > 0 ? '#cf1322' : undefined} hint={t('wallboard.breachesHint')} />
              </Col>
            </Row>
            <Row gutter={[16, 16]}>
              {STATUSES.map((s) => {
                const agents = byStatus(s);
                return (
                  <Col key={s} xs={24} sm={12} xl={6}>
                    <Tile
                      testId={`wallboard-agents-${s}`}
                      title={t('wallboard.agentsIn', { status: t(`agentStatus.${s}`) })}
                      value={agents.length}
                      tone={STATUS_COLOURS[s]}
                      hint={
                        <Space size={[4, 4]} wrap>
                          {agents.map((a) => (
                            <Tag key={a.staffId}>{a.displayName}</Tag>
                          ))}
                        </Space>
                      }
                    />
                  </Col>
                );
              })}
            </Row>
            <Card title={t('wallboard.queues')}>
              <Table
                rowKey={(q) => q.queueId ?? 'none'}
                size="middle"
                pagination={false}
                dataSource={data.board.queues}
                columns={[
                  { title: t('wallboard.queue'), dataIndex: 'name', render: (name: string | null) => name ?? t('wallboard.unrouted') },
                  { title: t('wallboard.waiting'), dataIndex: 'waiting', align: 'right', render: (n: number) => <span style={{ fontSize: 20, fontWeight: 600 }}>{n}</span> },
                  { title: t('wallboard.longestWait'), dataIndex: 'oldestWaitingSince', align: 'right', render: (since: string | null) => <span style={{ fontSize: 20 }}>{waitOf(since)}</span> },
                ]}
              />
            </Card>
          </>
        )}
        {!data && !error && <Card loading />}
      </Space>
    </div>
  );
}
