import { useEffect, useState } from 'react';
import { App, DatePicker, Form, Input, Modal, Radio, Select } from 'antd';
import type { Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';
import { api, type Reply } from '../../api/client.ts';
import { asApiError, isAbort, type Conversation } from './shared.ts';

export type ActionKind = 'transfer' | 'escalate' | 'handoff' | 'followUp';
type Agent = Reply<'get', '/api/agent-states'>[number];
type Queue = Reply<'get', '/api/queues'>[number];
type Department = Reply<'get', '/api/departments'>['data'][number];

interface Values {
  target?: 'agent' | 'queue';
  toStaffId?: string;
  toQueueId?: string;
  departmentId?: string;
  title?: string;
  note?: string;
  dueAt?: Dayjs;
  customerMessage?: string;
}

/** Fields the server names in errors, mapped to the form's. */
const FIELD_OF: Record<string, keyof Values> = { toStaffId: 'toStaffId', toQueueId: 'toQueueId', departmentId: 'departmentId', title: 'title', note: 'note', dueAt: 'dueAt', customerMessage: 'customerMessage' };

/**
 * CH7 / CH9: hand the conversation on (transfer to a colleague or queue), ask senior support
 * (escalate), give a partner department a task (hand-off), or schedule a follow-up. Each asks
 * for the note the server requires, so the next person knows why.
 */
export function ActionDialog({ kind, conversation, onClose, onDone }: { kind: ActionKind | null; conversation: Conversation; onClose(): void; onDone(): void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);
  const [agents, setAgents] = useState<Agent[]>([]);
  const [queues, setQueues] = useState<Queue[]>([]);
  const [departments, setDepartments] = useState<Department[]>([]);
  const target = Form.useWatch('target', form) ?? 'agent';

  useEffect(() => {
    if (!kind) return;
    const controller = new AbortController();
    const { signal } = controller;
    const fail = (err: unknown) => {
      if (!isAbort(err)) void message.error(asApiError(err).message);
    };
    if (kind === 'transfer' || kind === 'escalate') api.get('/api/agent-states', { signal }).then(setAgents, fail);
    if (kind === 'transfer') api.get('/api/queues', { signal }).then(setQueues, fail);
    if (kind === 'handoff') api.get('/api/departments', { query: { limit: 200 }, signal }).then((p) => setDepartments(p.data.filter((d) => d.isPartner)), fail);
    return () => controller.abort();
  }, [kind, message]);

  async function submit(v: Values) {
    setBusy(true);
    const id = conversation.id;
    const dueAt = v.dueAt?.toDate().toISOString();
    try {
      if (kind === 'transfer') {
        await api.post('/api/conversations/{id}/transfers', { path: { id }, body: { ...(target === 'agent' ? { toStaffId: v.toStaffId } : { toQueueId: v.toQueueId }), note: v.note!.trim() } });
      } else if (kind === 'escalate') {
        await api.post('/api/conversations/{id}/escalations', { path: { id }, body: { note: v.note!.trim(), ...(v.toStaffId ? { toStaffId: v.toStaffId } : {}), ...(dueAt ? { dueAt } : {}) } });
      } else if (kind === 'handoff') {
        await api.post('/api/conversations/{id}/handoffs', { path: { id }, body: { departmentId: v.departmentId!, title: v.title!.trim(), note: v.note?.trim() || null, dueAt: dueAt! } });
      } else if (kind === 'followUp') {
        await api.post('/api/conversations/{id}/follow-ups', { path: { id }, body: { dueAt: dueAt!, note: v.note!.trim(), customerMessage: v.customerMessage?.trim() || null } });
      }
      void message.success(t(`workspace.action.${kind!}Done`));
      form.resetFields();
      onDone();
    } catch (err) {
      const e = asApiError(err);
      const field = e.field ? FIELD_OF[e.field] : undefined;
      if (field) form.setFields([{ name: field, errors: [e.message] }]);
      else void message.error(e.message);
    } finally {
      setBusy(false);
    }
  }

  const agentOptions = agents
    .filter((a) => a.staffId !== conversation.assigneeId)
    .map((a) => ({ value: a.staffId, label: `${a.displayName}（${t(`agentStatus.${a.status}`)}）` }));
  const required = (label: string) => [{ required: true, whitespace: true, message: t('workspace.action.required', { label }) }];
  const due = (isRequired: boolean) => (
    <Form.Item label={t('workspace.action.dueAt')} name="dueAt" rules={isRequired ? [{ required: true, message: t('workspace.action.required', { label: t('workspace.action.dueAt') }) }] : []}>
      <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} disabledDate={(d) => d.isBefore(new Date(), 'day')} />
    </Form.Item>
  );

  return (
    <Modal
      title={kind ? t(`workspace.action.${kind}`) : ''}
      open={kind !== null}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={kind ? t(`workspace.action.${kind}Ok`) : ''}
      okButtonProps={{ loading: busy }}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" onFinish={submit} initialValues={{ target: 'agent' }} preserve={false}>
        {kind === 'transfer' && (
          <>
            <Form.Item label={t('workspace.action.target')} name="target">
              <Radio.Group
                optionType="button"
                options={[
                  { value: 'agent', label: t('workspace.action.toAgent') },
                  { value: 'queue', label: t('workspace.action.toQueue') },
                ]}
              />
            </Form.Item>
            {target === 'agent' ? (
              <Form.Item label={t('workspace.action.toAgent')} name="toStaffId" rules={[{ required: true, message: t('workspace.action.required', { label: t('workspace.action.toAgent') }) }]}>
                <Select showSearch={{ optionFilterProp: 'label' }} options={agentOptions} />
              </Form.Item>
            ) : (
              <Form.Item label={t('workspace.action.toQueue')} name="toQueueId" rules={[{ required: true, message: t('workspace.action.required', { label: t('workspace.action.toQueue') }) }]}>
                <Select options={queues.map((q) => ({ value: q.id, label: q.name }))} />
              </Form.Item>
            )}
          </>
        )}
        {kind === 'escalate' && (
          // Nobody chosen: the server gives it to an online engineer (any engineer when none is online).
          <Form.Item label={t('workspace.action.escalateTo')} name="toStaffId" extra={t('workspace.action.escalateToHint', { level: conversation.supportLevel + 1 })}>
            <Select allowClear showSearch={{ optionFilterProp: 'label' }} placeholder={t('workspace.action.escalateAuto')} options={agentOptions} />
          </Form.Item>
        )}
        {kind === 'handoff' && (
          <>
            <Form.Item label={t('workspace.action.department')} name="departmentId" rules={[{ required: true, message: t('workspace.action.required', { label: t('workspace.action.department') }) }]}>
              <Select options={departments.map((d) => ({ value: d.id, label: d.name }))} />
            </Form.Item>
            <Form.Item label={t('workspace.action.title')} name="title" rules={required(t('workspace.action.title'))}>
              <Input maxLength={200} />
            </Form.Item>
          </>
        )}
        {kind && (
          <Form.Item
            label={t(kind === 'followUp' ? 'workspace.action.followUpNote' : 'workspace.action.note')}
            name="note"
            rules={kind === 'handoff' ? [] : required(t('workspace.action.note'))}
            extra={kind === 'transfer' || kind === 'escalate' ? t('workspace.action.noteHint') : undefined}
          >
            <Input.TextArea rows={3} maxLength={2000} />
          </Form.Item>
        )}
        {(kind === 'escalate' || kind === 'handoff' || kind === 'followUp') && due(kind !== 'escalate')}
        {kind === 'followUp' && (
          <Form.Item label={t('workspace.action.customerMessage')} name="customerMessage" extra={t('workspace.action.customerMessageHint')}>
            <Input.TextArea rows={2} maxLength={2000} />
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}
