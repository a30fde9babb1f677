import { useCallback, useState } from 'react';
import { App, Card, Col, Row, Segmented, Space, Statistic, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { ApiError, api, type AgentState, type Reply } from '../api/client.ts';
import { LoadError, useLoad } from '../api/useLoad.tsx';
import { allows, useMe } from '../auth/session.tsx';
import { currentLanguage } from '../i18n/index.ts';

type Status = AgentState['status'];
const STATUSES: readonly Status[] = ['online', 'busy', 'away', 'offline'];
const STATUS_COLOURS: Record<Status, string> = { online: 'green', busy: 'orange', away: 'gold', offline: 'default' };

/** The agent's availability for routing (CH6): online takes new work, away and busy do not. */
function MyStatus() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { data, setData, error, reload } = useLoad(useCallback((signal: AbortSignal) => api.get('/api/agent-states/me', { signal }), []));
  const [saving, setSaving] = useState(false);

  async function change(status: Status) {
    setSaving(true);
    try {
      setData(await api.put('/api/agent-states/me', { body: { status } }));
      void message.success(t('home.changed', { status: t(`agentStatus.${status}`) }));
    } catch (err) {
      void message.error(err instanceof ApiError ? err.message : String(err));
    } finally {
      setSaving(false);
    }
  }

  const since = data ? new Intl.DateTimeFormat(currentLanguage(), { dateStyle: 'short', timeStyle: 'short' }).format(new Date(data.statusSince)) : '';
  return (
    <Card title={t('home.myStatus')} loading={!data && !error} data-testid="my-status">
      {error && !data ? (
        <LoadError error={error} onRetry={reload} />
      ) : (
        data && (
          <Space orientation="vertical">
            <Space>
              <Tag color={STATUS_COLOURS[data.status]}>{t(`agentStatus.${data.status}`)}</Tag>
              {data.statusSince !== new Date(0).toISOString() && <Typography.Text type="secondary">{t('home.since', { time: since })}</Typography.Text>}
            </Space>
            <Segmented<Status>
              aria-label={t('home.statusLabel')}
              disabled={saving}
              value={data.status}
              options={STATUSES.map((s) => ({ value: s, label: t(`agentStatus.${s}`) }))}
              onChange={(s) => void change(s)}
            />
          </Space>
        )
      )}
    </Card>
  );
}

type Overview = { agents: Reply<'get', '/api/agent-states'>; queues: Reply<'get', '/api/queues'> };

/** A supervisor's glance: who is available and how many queues there are (the live wallboard comes later, R1). */
function TeamOverview() {
  const { t } = useTranslation();
  const { data, error, reload } = useLoad(
    useCallback(async (signal: AbortSignal): Promise<Overview> => {
      const [agents, queues] = await Promise.all([api.get('/api/agent-states', { signal }), api.get('/api/queues', { signal })]);
      return { agents, queues };
    }, []),
  );
  return (
    <Card title={t('home.overview')} loading={!data && !error} data-testid="team-overview">
      {error && !data ? (
        <LoadError error={error} onRetry={reload} />
      ) : (
        data && (
          <Row gutter={[16, 16]}>
            {STATUSES.map((s) => (
              <Col key={s} xs={12} md={6}>
                <Statistic title={`${t('home.agents')} · ${t(`agentStatus.${s}`)}`} value={data.agents.filter((a) => a.status === s).length} />
              </Col>
            ))}
            <Col xs={12} md={6}>
              <Statistic title={t('home.queues')} value={data.queues.length} />
            </Col>
          </Row>
        )
      )}
    </Card>
  );
}

export default function Home() {
  const { t } = useTranslation();
  const me = useMe();
  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }}>
      <Space align="baseline">
        <Typography.Title level={2} style={{ margin: 0 }}>
          {t('home.greeting', { name: me.displayName })}
        </Typography.Title>
        <Tag>{t(`roles.${me.role}`)}</Tag>
      </Space>
      {allows(me, 'conversations.handle') && <MyStatus />}
      {allows(me, 'agents.status.manage') && <TeamOverview />}
    </Space>
  );
}
