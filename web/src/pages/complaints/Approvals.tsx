import { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { Alert, Button, Card, Descriptions, Empty, Segmented, Space, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, type Reply } from '../../api/client.ts';
import { allows, useMe } from '../../auth/session.tsx';
import { useRealtimeEvents, useRealtimeStatus } from '../../realtime.tsx';
import { formatDateTime, useLoad } from '../supervisor/shared.ts';
import { Decision } from './Decision.tsx';

type Task = Reply<'get', '/api/complaint-approvals'>['data'][number];
type Shown = 'pending' | 'approved' | 'rejected';

/**
 * CP3: the approval steps of the user's department, pending first. Partner departments hold no
 * complaints.read, so this screen shows what they need to decide without the complaint itself.
 */
export default function Approvals() {
  const { t } = useTranslation();
  const me = useMe();
  const { generation } = useRealtimeStatus();
  const [shown, setShown] = useState<Shown>('pending');
  const { data, error, reload } = useLoad(
    useCallback((signal: AbortSignal) => api.get('/api/complaint-approvals', { query: { decision: shown, limit: 100 }, signal }).then((p) => p.data), [shown]),
  );
  const first = useRef(generation);
  useEffect(() => {
    if (generation !== first.current) reload();
  }, [generation, reload]);
  useRealtimeEvents(['complaint.approval_', 'complaint.proposal_'], reload);
  const canOpen = allows(me, 'complaints.read');

  const card = (a: Task) => (
    <Card
      key={a.id}
      data-testid="approval-task"
      title={
        <Space>
          {canOpen ? <Link to={`/complaints?id=${a.complaint.id}`}>{t('complaints.detailTitle', { number: a.complaint.number })}</Link> : t('complaints.detailTitle', { number: a.complaint.number })}
          <Tag>{t('complaints.stepOfTotal', { step: a.step, total: a.stepsTotal, department: a.departmentName })}</Tag>
        </Space>
      }
      extra={<Tag color={a.decision === 'approved' ? 'green' : a.decision === 'rejected' ? 'red' : 'processing'}>{t(`complaints.decisions.${a.decision}`)}</Tag>}
    >
      <Descriptions column={1} size="small">
        <Descriptions.Item label={t('complaints.matter')}>{a.complaint.matter}</Descriptions.Item>
        <Descriptions.Item label={t('complaints.severity')}>{t(`complaints.severities.${a.complaint.severity}`)}</Descriptions.Item>
        <Descriptions.Item label={t('complaints.solution')}>{a.proposal.solution}</Descriptions.Item>
        <Descriptions.Item label={t('complaints.agreedMethod')}>{a.proposal.agreedMethod}</Descriptions.Item>
        <Descriptions.Item label={t('complaints.agreedAt')}>{formatDateTime(a.proposal.agreedAt)}</Descriptions.Item>
        {a.comment && <Descriptions.Item label={t('complaints.comment')}>{a.comment}</Descriptions.Item>}
      </Descriptions>
      {a.decision === 'pending' &&
        (a.proposal.createdBy === me.id ? <Typography.Text type="secondary">{t('complaints.ownProposal')}</Typography.Text> : <Decision approvalId={a.id} onDecided={reload} />)}
    </Card>
  );

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0 }}>
        {t('complaints.approvalsTitle')}
      </Typography.Title>
      <Segmented<Shown> aria-label={t('complaints.approvalsShown')} value={shown} onChange={setShown} options={(['pending', 'approved', 'rejected'] as const).map((d) => ({ value: d, label: t(`complaints.decisions.${d}`) }))} />
      {error && <Alert type="error" showIcon title={error.message} action={<Button size="small" onClick={reload}>{t('common.retry')}</Button>} />}
      {data && (data.length === 0 ? <Empty description={t('complaints.noApprovals')} /> : data.map(card))}
      {!data && !error && <Card loading />}
    </Space>
  );
}
