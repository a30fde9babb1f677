import { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { Alert, Button, Card, Descriptions, Empty, Space, Steps, Table, Tag, Timeline, Typography, type TableColumnsType } from 'antd';
import { ArrowLeftOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, type Reply } from '../../api/client.ts';
import { allows, useMe } from '../../auth/session.tsx';
import { useRealtimeEvents, useRealtimeStatus } from '../../realtime.tsx';
import { formatDateTime, useLoad } from '../supervisor/shared.ts';
import { STATUS_COLOURS } from './labels.ts';
import { Decision } from './Decision.tsx';
import { ActionDialog, ActionForm, CloseForm, EvidenceForm, ProposalForm, RevisitForm, StaffName } from './Handling.tsx';
import { FindingsForm, OwnerForm } from './Investigation.tsx';
import { Reveal } from '../../shell/Reveal.tsx';
import { conversationPath } from '../../nav.tsx';

type Detail = Reply<'get', '/api/complaints/{id}'>;
type Proposal = Detail['proposals'][number];
type Approval = Proposal['approvals'][number];
type Action = Detail['actions'][number];
type Evidence = Detail['evidence'][number];

const LIFECYCLE: readonly Detail['status'][] = ['accepted', 'investigating', 'proposed', 'approved', 'implementing', 'revisiting', 'closed'];
const DECISION_COLOURS: Record<Approval['decision'], string> = { waiting: 'default', pending: 'processing', approved: 'success', rejected: 'error', skipped: 'default' };
const STEP_STATUS: Record<Approval['decision'], 'wait' | 'process' | 'finish' | 'error'> = { waiting: 'wait', pending: 'process', approved: 'finish', rejected: 'error', skipped: 'wait' };

interface Loaded {
  complaint: Detail;
  /** The approval steps the signed-in user's department may decide now. */
  mine: Set<string>;
  /** Policy complaints.revisitRequired: closing waits for a satisfied revisit. */
  revisitRequired: boolean;
}


const ENTITIES = ['complaint', 'complaint_evidence', 'complaint_proposal', 'complaint_approval', 'complaint_action'] as const;
const isEntity = (v: string): v is (typeof ENTITIES)[number] => (ENTITIES as readonly string[]).includes(v);

/** What a snapshot says at a glance: its short, plain fields. */
function snapshotSummary(e: Evidence): string {
  return Object.entries(e.snapshot)
    .filter(([, v]) => typeof v === 'string' || typeof v === 'number')
    .slice(0, 4)
    .map(([k, v]) => `${k}: ${String(v).slice(0, 80)}`)
    .join(' · ');
}

/**
 * Where the linked record is seen: conversations (and their messages) in the workspace; files and
 * recordings by their address; orders on the customer's profile.
 */
function evidenceLink(e: Evidence, label: string) {
  const s = e.snapshot as { conversationId?: string; customerId?: string };
  const conversation = e.kind === 'conversation' ? e.refId : e.kind === 'message' || e.kind === 'email' ? s.conversationId : undefined;
  if (conversation) return <Link to={conversationPath(conversation)}>{label}</Link>;
  if (e.kind === 'order' && s.customerId) return <Link to={`/customers?id=${s.customerId}`}>{label}</Link>;
  return (
    <a href={e.link} target="_blank" rel="noreferrer">
      {label}
    </a>
  );
}

/** The evidence and the actions: a small table of records, or a word saying there are none yet. */
function Records<T extends { id: string }>({ rows, empty, columns }: { rows: T[]; empty: string; columns: TableColumnsType<T> }) {
  if (rows.length === 0) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={empty} />;
  return <Table<T> rowKey="id" size="small" pagination={false} dataSource={rows} columns={columns} />;
}

export function ComplaintDetail({ id }: { id: string }) {
  const { t } = useTranslation();
  const me = useMe();
  const { generation } = useRealtimeStatus();
  const canApprove = allows(me, 'complaints.approve');
  const canManage = allows(me, 'complaints.manage');
  const [actionDialog, setActionDialog] = useState<{ action: Action; mode: 'complete' | 'cancel' } | null>(null);
  const { data, error, reload } = useLoad(
    useCallback(
      async (signal: AbortSignal): Promise<Loaded> => {
        const [complaint, tasks, policy] = await Promise.all([
          api.get('/api/complaints/{id}', { path: { id }, signal }),
          canApprove ? api.get('/api/complaint-approvals', { query: { decision: 'pending', limit: 100 }, signal }) : null,
          canManage ? api.get('/api/policies/current', { signal }) : null,
        ]);
        return {
          complaint,
          mine: new Set((tasks?.data ?? []).filter((a) => a.complaint.id === id).map((a) => a.id)),
          revisitRequired: policy?.document.complaints.revisitRequired.value ?? true,
        };
      },
      [id, canApprove, canManage],
    ),
  );
  // Events missed while the connection was down: read again once it is back.
  const first = useRef(generation);
  useEffect(() => {
    if (generation !== first.current) reload();
  }, [generation, reload]);
  useRealtimeEvents(['complaint.'], (e) => {
    if (e.entity.id === id || (e.data as { complaintId?: string } | null)?.complaintId === id) reload();
  });

  const back = (
    <Link to="/complaints">
      <ArrowLeftOutlined /> {t('complaints.back')}
    </Link>
  );
  if (error && !data) return <Space orientation="vertical">{back}<Alert type="error" showIcon title={error.message} action={<Button size="small" onClick={reload}>{t('common.retry')}</Button>} /></Space>;
  if (!data) return <Card loading />;
  const c = data.complaint;
  const archived = c.archivedAt !== null;
  // What the handler may do now; the server checks the same and answers 409 otherwise.
  const handles = canManage && !archived;
  const latest = c.proposals.at(-1) ?? null;
  // CP5: the server takes the cause and attribution only until a solution is proposed.
  const findingsOpen = handles && (c.status === 'accepted' || c.status === 'investigating');
  const canClose = handles && c.status === 'revisiting' && (!data.revisitRequired || c.revisitOutcome === 'satisfied');
  const now = Date.now();
  const overdue = (a: Action) => a.status === 'open' && a.dueAt !== null && Date.parse(a.dueAt) < now;

  const approvalSteps = (p: Proposal) =>
    p.approvals.map((a) => {
      const myTurn = !archived && p.status === 'pending' && a.decision === 'pending' && data.mine.has(a.id) && p.createdBy !== me.id;
      return {
        status: STEP_STATUS[a.decision],
        title: (
          <Space>
            <span>{t('complaints.stepOf', { step: a.step, department: a.departmentName })}</span>
            <Tag color={DECISION_COLOURS[a.decision]}>{t(`complaints.decisions.${a.decision}`)}</Tag>
          </Space>
        ),
        content: (
          <Space orientation="vertical" size={4} data-testid={`approval-step-${a.step}`} style={{ width: '100%' }}>
            {a.decidedAt && <Typography.Text type="secondary">{t('complaints.decidedBy', { name: a.decidedByName ?? '—', time: formatDateTime(a.decidedAt) })}</Typography.Text>}
            {a.comment && <Typography.Text>{a.comment}</Typography.Text>}
            {myTurn && <Decision approvalId={a.id} onDecided={reload} />}
          </Space>
        ),
      };
    });

  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }} data-testid="complaint-detail">
      {back}
      <Space align="baseline" wrap>
        <Typography.Title level={2} style={{ margin: 0 }}>
          {t('complaints.detailTitle', { number: c.number })}
        </Typography.Title>
        <Tag color={STATUS_COLOURS[c.status]} data-testid="complaint-status">
          {t(`complaints.statuses.${c.status}`)}
        </Tag>
        {c.responseOverdue && <Tag color="red">{t('complaints.overdue')}</Tag>}
      </Space>
      {archived && <Alert type="info" showIcon title={t('complaints.archived', { time: formatDateTime(c.archivedAt) })} />}
      <Steps size="small" current={LIFECYCLE.indexOf(c.status)} items={LIFECYCLE.map((s) => ({ title: t(`complaints.statuses.${s}`) }))} />

      <Card title={t('complaints.acceptance')}>
        <Descriptions column={{ xs: 1, md: 2 }} size="small">
          <Descriptions.Item label={t('complaints.complainant')}>{c.complainantName}</Descriptions.Item>
          <Descriptions.Item label={t('complaints.contact')}>
            <Reveal entityType="complaint" entityId={c.id} field="contact" label={t('complaints.contact')} masked={c.contact} />
          </Descriptions.Item>
          <Descriptions.Item label={t('complaints.customer')}>{c.customerName ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('complaints.channel')}>{t(`complaints.channels.${c.channel}`)}</Descriptions.Item>
          <Descriptions.Item label={t('complaints.receivedAt')}>{formatDateTime(c.receivedAt)}</Descriptions.Item>
          <Descriptions.Item label={t('complaints.respondBy')}>{formatDateTime(c.respondBy)}</Descriptions.Item>
          <Descriptions.Item label={t('complaints.apologySentAt')}>{formatDateTime(c.apologySentAt)}</Descriptions.Item>
          <Descriptions.Item label={t('complaints.severity')}>{t(`complaints.severities.${c.severity}`)}</Descriptions.Item>
          <Descriptions.Item label={t('complaints.category')}>{c.category ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('complaints.productModel')}>{c.productModel ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('complaints.conversation')}>
            {c.conversationId ? <Link to={conversationPath(c.conversationId)}>{t('complaints.openConversation')}</Link> : '—'}
          </Descriptions.Item>
          <Descriptions.Item label={t('complaints.owner')}>
            <span data-testid="complaint-owner">
              <StaffName id={c.ownerId} />
            </span>
          </Descriptions.Item>
          <Descriptions.Item label={t('complaints.matter')} span={2}>
            <Typography.Paragraph style={{ whiteSpace: 'pre-wrap', margin: 0 }}>{c.matter}</Typography.Paragraph>
          </Descriptions.Item>
        </Descriptions>
        {handles && (
          <div style={{ marginTop: 16 }}>
            <OwnerForm key={c.ownerId} complaint={c} onDone={reload} />
          </div>
        )}
      </Card>

      <Card title={t('complaints.evidence', { count: c.evidence.length })}>
        <Records<Evidence>
          rows={c.evidence}
          empty={t('complaints.noEvidence')}
          columns={[
            { title: t('complaints.evidenceKind'), dataIndex: 'kind', render: (k: Evidence['kind']) => <Tag>{t(`complaints.evidenceKinds.${k}`)}</Tag> },
            { title: t('complaints.evidenceContent'), key: 'snapshot', render: (_, e) => snapshotSummary(e) },
            { title: t('complaints.note'), dataIndex: 'note', render: (n: string | null) => n ?? '—' },
            { title: t('complaints.addedAt'), dataIndex: 'addedAt', render: formatDateTime },
            { title: t('complaints.original'), key: 'link', render: (_, e) => evidenceLink(e, t('complaints.openOriginal')) },
          ]}
        />
        {handles && (
          <div style={{ marginTop: 16 }}>
            <EvidenceForm complaint={c} onDone={reload} />
          </div>
        )}
      </Card>

      <Card title={t('complaints.findings')} data-testid="complaint-findings">
        {findingsOpen ? (
          <FindingsForm key={[c.cause, c.attributedStaffId, c.attributionNote].join('|')} complaint={c} onDone={reload} />
        ) : (
          <Descriptions column={1} size="small">
            <Descriptions.Item label={t('complaints.cause')}>{c.cause ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('complaints.attributedStaff')}>
              <StaffName id={c.attributedStaffId} />
            </Descriptions.Item>
            <Descriptions.Item label={t('complaints.attribution')}>{c.attributionNote ?? '—'}</Descriptions.Item>
          </Descriptions>
        )}
      </Card>

      <Card title={t('complaints.proposals')} data-testid="complaint-proposals">
        {c.proposals.length === 0 ? (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('complaints.noProposal')} />
        ) : (
          <Space orientation="vertical" size="large" style={{ width: '100%' }}>
            {[...c.proposals].reverse().map((p) => (
              <div key={p.id} data-testid={`proposal-${p.version}`}>
                <Space align="baseline">
                  <Typography.Title level={5} style={{ margin: 0 }}>
                    {t('complaints.proposalVersion', { version: p.version })}
                  </Typography.Title>
                  <Tag color={p.status === 'approved' ? 'green' : p.status === 'rejected' ? 'red' : 'processing'}>{t(`complaints.proposalStatuses.${p.status}`)}</Tag>
                </Space>
                <Descriptions column={1} size="small" style={{ marginTop: 8 }}>
                  <Descriptions.Item label={t('complaints.solution')}>{p.solution}</Descriptions.Item>
                  <Descriptions.Item label={t('complaints.agreedMethod')}>{p.agreedMethod}</Descriptions.Item>
                  <Descriptions.Item label={t('complaints.agreedAt')}>{formatDateTime(p.agreedAt)}</Descriptions.Item>
                </Descriptions>
                {p.approvals.length > 0 ? (
                  <Steps orientation="vertical" size="small" items={approvalSteps(p)} />
                ) : (
                  <Typography.Text type="secondary">{t('complaints.noChain')}</Typography.Text>
                )}
              </div>
            ))}
          </Space>
        )}
        {handles && c.status === 'investigating' && (
          <div style={{ marginTop: 16 }}>
            <Typography.Title level={5}>{t(latest?.status === 'rejected' ? 'complaints.reviseProposal' : 'complaints.newProposal')}</Typography.Title>
            <ProposalForm key={latest?.id ?? 'first'} complaint={c} rejected={latest?.status === 'rejected' ? latest : null} onDone={reload} />
          </div>
        )}
      </Card>

      <Card title={t('complaints.actions')}>
        <Records<Action>
          rows={c.actions}
          empty={t('complaints.noActions')}
          columns={[
            { title: t('complaints.actionTitle'), dataIndex: 'title' },
            { title: t('complaints.assignee'), key: 'assignee', render: (_, a) => <StaffName id={a.assigneeId} /> },
            {
              title: t('complaints.status'),
              dataIndex: 'status',
              render: (s: Action['status'], a) => (
                <Space size={4}>
                  <Tag color={s === 'done' ? 'green' : s === 'cancelled' ? 'default' : 'blue'}>{t(`complaints.actionStatuses.${s}`)}</Tag>
                  {overdue(a) && <Tag color="red">{t('complaints.actionOverdue')}</Tag>}
                </Space>
              ),
            },
            { title: t('complaints.dueAt'), dataIndex: 'dueAt', render: formatDateTime },
            { title: t('complaints.result'), key: 'result', render: (_, a) => a.result ?? a.cancelReason ?? '—' },
            { title: t('complaints.doneAt'), key: 'doneAt', render: (_, a) => formatDateTime(a.doneAt ?? a.cancelledAt) },
            ...(archived
              ? []
              : [
                  {
                    title: t('complaints.operations'),
                    key: 'operations',
                    render: (_: unknown, a: Action) =>
                      a.status === 'open' && (
                        <Space size={4}>
                          {(canManage || a.assigneeId === me.id) && (
                            <Button size="small" onClick={() => setActionDialog({ action: a, mode: 'complete' })}>
                              {t('complaints.complete')}
                            </Button>
                          )}
                          {canManage && (
                            <Button size="small" danger onClick={() => setActionDialog({ action: a, mode: 'cancel' })}>
                              {t('complaints.cancelAction')}
                            </Button>
                          )}
                        </Space>
                      ),
                  },
                ]),
          ]}
        />
        {handles && (c.status === 'approved' || c.status === 'implementing') && (
          <div style={{ marginTop: 16 }}>
            <ActionForm complaint={c} onDone={reload} />
          </div>
        )}
        {actionDialog && (
          <ActionDialog
            action={actionDialog.action}
            mode={actionDialog.mode}
            onClose={() => setActionDialog(null)}
            onDone={() => {
              setActionDialog(null);
              reload();
            }}
          />
        )}
      </Card>

      <Card title={t('complaints.revisitAndClosure')}>
        <Descriptions column={{ xs: 1, md: 2 }} size="small">
          <Descriptions.Item label={t('complaints.agreedMethod')}>{c.agreedMethod ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('complaints.agreedAt')}>{formatDateTime(c.agreedAt)}</Descriptions.Item>
          <Descriptions.Item label={t('complaints.revisitOutcome')}>{c.revisitOutcome ? t(`complaints.revisitOutcomes.${c.revisitOutcome}`) : '—'}</Descriptions.Item>
          <Descriptions.Item label={t('complaints.revisitedAt')}>{formatDateTime(c.revisitedAt)}</Descriptions.Item>
          <Descriptions.Item label={t('complaints.closedAt')}>{formatDateTime(c.closedAt)}</Descriptions.Item>
        </Descriptions>
        {handles && c.status === 'revisiting' && (
          <div style={{ marginTop: 16 }}>
            <RevisitForm complaint={c} onDone={reload} />
          </div>
        )}
        {canClose && (
          <div style={{ marginTop: 16 }}>
            <CloseForm complaint={c} onDone={reload} />
          </div>
        )}
      </Card>

      <Card title={t('complaints.timeline')}>
        <Timeline
          items={c.timeline.map((e, i) => ({
            key: i,
            content: (
              <Space orientation="vertical" size={0}>
                <Typography.Text type="secondary">
                  {formatDateTime(e.at)} · {e.actorName ?? t('complaints.system')}
                </Typography.Text>
                <span>{isEntity(e.entityType) ? t(`complaints.entities.${e.entityType}`) : e.entityType} · {e.action}</span>
                {e.reason && <Typography.Text>{e.reason}</Typography.Text>}
              </Space>
            ),
          }))}
        />
      </Card>
    </Space>
  );
}
