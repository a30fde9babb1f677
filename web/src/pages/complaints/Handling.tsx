import { useEffect, useState } from 'react';
import { App, Button, DatePicker, Form, Input, Modal, Radio, Select, Space } from 'antd';
import type { Dayjs } from 'dayjs';
import { useTranslation } from 'react-i18next';
import { api, type Reply } from '../../api/client.ts';
import { StaffPicker } from '../org/StaffPicker.tsx';
import { useStaffName } from '../org/data.ts';
import { isAbort } from '../supervisor/shared.ts';
import { showApiError, textOrNull } from './forms.ts';

type Detail = Reply<'get', '/api/complaints/{id}'>;
type Action = Detail['actions'][number];
type EvidenceKind = Detail['evidence'][number]['kind'];
type Proposal = Detail['proposals'][number];

const KINDS: readonly EvidenceKind[] = ['conversation', 'order', 'call_recording', 'email', 'message', 'attachment'];
const noPast = (d: Dayjs) => d.isBefore(new Date(), 'day');

/** The records of the complaint's customer that can be picked by name; the other kinds are given by id. */
function useCustomerRecords(customerId: string, kind: EvidenceKind) {
  const [options, setOptions] = useState<Array<{ value: string; label: string }>>([]);
  useEffect(() => {
    setOptions([]);
    if (kind !== 'conversation' && kind !== 'order') return;
    const controller = new AbortController();
    const load =
      kind === 'conversation'
        ? api.get('/api/customers/{id}/conversations', { path: { id: customerId }, query: { limit: 50 }, signal: controller.signal }).then((p) => p.data.map((c) => ({ value: c.id, label: `#${c.number} · ${c.channel} · ${c.lastMessagePreview ?? ''}` })))
        : api.get('/api/customers/{id}/orders', { path: { id: customerId }, query: { limit: 50 }, signal: controller.signal }).then((p) => p.data.map((o) => ({ value: o.id, label: `${o.number} · ¥${(o.amountFen / 100).toFixed(2)}` })));
    load.then(setOptions).catch((err: unknown) => {
      if (!isAbort(err)) setOptions([]);
    });
    return () => controller.abort();
  }, [customerId, kind]);
  return options;
}

/** CP2: links a record of the system to the complaint; the server keeps a copy as it is now. */
// Each form has a name: several are on one page, and antd derives the fields' ids (the labels' targets) from it.
export function EvidenceForm({ complaint, onDone }: { complaint: Detail; onDone: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ kind: EvidenceKind; refId?: string; note?: string }>();
  const kind = Form.useWatch('kind', form) ?? 'conversation';
  const records = useCustomerRecords(complaint.customerId, kind);
  const [saving, setSaving] = useState(false);
  const pickable = kind === 'conversation' || kind === 'order';

  async function submit(v: { kind: EvidenceKind; refId?: string; note?: string }) {
    setSaving(true);
    try {
      await api.post('/api/complaints/{id}/evidence', { path: { id: complaint.id }, body: { kind: v.kind, refId: v.refId?.trim() as string, note: textOrNull(v.note) } });
      void message.success(t('complaints.evidenceAdded'));
      form.resetFields();
      onDone();
    } catch (err) {
      showApiError(form, ['kind', 'refId', 'note'], err, message);
    } finally {
      setSaving(false);
    }
  }

  return (
    <Form form={form} layout="inline" initialValues={{ kind: 'conversation' }} onFinish={(v) => void submit(v)} name="evidence" data-testid="evidence-form" style={{ rowGap: 8 }}>
      <Form.Item label={t('complaints.evidenceKind')} name="kind">
        <Select style={{ width: 140 }} onChange={() => form.setFieldValue('refId', undefined)} options={KINDS.map((k) => ({ value: k, label: t(`complaints.evidenceKinds.${k}`) }))} />
      </Form.Item>
      <Form.Item label={t('complaints.evidenceRecord')} name="refId" required tooltip={pickable ? undefined : t('complaints.evidenceIdHint')}>
        {pickable ? <Select style={{ width: 320 }} options={records} /> : <Input style={{ width: 320 }} placeholder={t('complaints.evidenceIdHint')} />}
      </Form.Item>
      <Form.Item label={t('complaints.note')} name="note">
        <Input maxLength={1000} style={{ width: 220 }} />
      </Form.Item>
      <Button htmlType="submit" loading={saving}>
        {t('complaints.addEvidence')}
      </Button>
    </Form>
  );
}

interface ProposalValues {
  solution?: string;
  agreedMethod?: string;
  agreedAt?: Dayjs;
}

/**
 * CP3: the solution with the method and time agreed with the customer; submitting starts the ordered
 * approvals. After a rejection the form opens with the rejected version, to be revised.
 */
export function ProposalForm({ complaint, rejected, onDone }: { complaint: Detail; rejected: Proposal | null; onDone: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<ProposalValues>();
  const [saving, setSaving] = useState(false);

  async function submit(v: ProposalValues) {
    setSaving(true);
    try {
      const body = { solution: v.solution?.trim(), agreedMethod: v.agreedMethod?.trim(), agreedAt: v.agreedAt?.toDate().toISOString() } as { solution: string; agreedMethod: string; agreedAt: string };
      await api.post('/api/complaints/{id}/proposals', { path: { id: complaint.id }, body });
      void message.success(t('complaints.proposalSubmitted'));
      onDone();
    } catch (err) {
      showApiError(form, ['solution', 'agreedMethod', 'agreedAt'], err, message);
    } finally {
      setSaving(false);
    }
  }

  return (
    <Form<ProposalValues>
      form={form}
      layout="vertical"
      onFinish={(v) => void submit(v)}
      initialValues={rejected ? { solution: rejected.solution, agreedMethod: rejected.agreedMethod } : {}}
      name="proposal" data-testid="proposal-form"
      style={{ maxWidth: 720 }}
    >
      <Form.Item label={t('complaints.solution')} name="solution" required>
        <Input.TextArea rows={3} maxLength={5000} />
      </Form.Item>
      <Space wrap align="start">
        <Form.Item label={t('complaints.agreedMethod')} name="agreedMethod" required>
          <Input maxLength={1000} style={{ width: 320 }} />
        </Form.Item>
        <Form.Item label={t('complaints.agreedAt')} name="agreedAt" required>
          <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" disabledDate={noPast} />
        </Form.Item>
      </Space>
      <Button type="primary" htmlType="submit" loading={saving}>
        {t(rejected ? 'complaints.reviseProposal' : 'complaints.submitProposal')}
      </Button>
    </Form>
  );
}

interface ActionValues {
  title?: string;
  assigneeId?: string | null;
  departmentId?: string;
  dueAt?: Dayjs;
}

/** CP4: one implementation task, for a person or a (partner) department, with an optional due time. */
export function ActionForm({ complaint, onDone }: { complaint: Detail; onDone: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<ActionValues>();
  const [saving, setSaving] = useState(false);
  const [departments, setDepartments] = useState<Array<{ value: string; label: string }>>([]);
  useEffect(() => {
    const controller = new AbortController();
    api
      .get('/api/departments', { query: { limit: 100 }, signal: controller.signal })
      .then((p) => setDepartments(p.data.map((d) => ({ value: d.id, label: d.name }))))
      .catch((err: unknown) => {
        if (!isAbort(err)) setDepartments([]);
      });
    return () => controller.abort();
  }, []);

  async function submit(v: ActionValues) {
    setSaving(true);
    try {
      await api.post('/api/complaints/{id}/actions', {
        path: { id: complaint.id },
        body: { title: v.title?.trim() as string, assigneeId: v.assigneeId ?? null, departmentId: v.departmentId ?? null, dueAt: v.dueAt ? v.dueAt.toDate().toISOString() : null },
      });
      void message.success(t('complaints.actionAdded'));
      form.resetFields();
      onDone();
    } catch (err) {
      showApiError(form, ['title', 'assigneeId', 'departmentId', 'dueAt'], err, message);
    } finally {
      setSaving(false);
    }
  }

  return (
    <Form<ActionValues> form={form} layout="inline" onFinish={(v) => void submit(v)} name="action" data-testid="action-form" style={{ rowGap: 8 }}>
      <Form.Item label={t('complaints.actionTitle')} name="title" required>
        <Input maxLength={200} style={{ width: 260 }} />
      </Form.Item>
      <Form.Item label={t('complaints.assignee')} name="assigneeId">
        <StaffPicker aria-label={t('complaints.assignee')} />
      </Form.Item>
      <Form.Item label={t('complaints.department')} name="departmentId">
        <Select allowClear style={{ width: 160 }} options={departments} />
      </Form.Item>
      <Form.Item label={t('complaints.dueAt')} name="dueAt">
        <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" disabledDate={noPast} />
      </Form.Item>
      <Button htmlType="submit" loading={saving}>
        {t('complaints.addAction')}
      </Button>
    </Form>
  );
}

export function StaffName({ id }: { id: string | null }) {
  const name = useStaffName(id);
  return <>{id ? (name ?? '…') : '—'}</>;
}

/** Completing (with the result) or cancelling (with the reason) one open task, in a dialog. */
export function ActionDialog({ action, mode, onClose, onDone }: { action: Action; mode: 'complete' | 'cancel'; onClose: () => void; onDone: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Record<string, string | undefined>>();
  const [saving, setSaving] = useState(false);
  // Named as in the request body, so the server's error lands on it.
  const field = mode === 'complete' ? 'result' : 'reason';

  async function submit() {
    const text = (form.getFieldValue(field) as string | undefined)?.trim() as string;
    setSaving(true);
    try {
      if (mode === 'complete') await api.post('/api/complaint-actions/{id}/completions', { path: { id: action.id }, body: { result: text } });
      else await api.post('/api/complaint-actions/{id}/cancellations', { path: { id: action.id }, body: { reason: text } });
      void message.success(t(mode === 'complete' ? 'complaints.actionCompleted' : 'complaints.actionCancelled'));
      onDone();
    } catch (err) {
      showApiError(form, [field], err, message);
    } finally {
      setSaving(false);
    }
  }

  return (
    <Modal
      open
      title={t(mode === 'complete' ? 'complaints.completeTitle' : 'complaints.cancelTitle', { title: action.title })}
      okText={t(mode === 'complete' ? 'complaints.complete' : 'complaints.cancelAction')}
      okButtonProps={{ loading: saving, danger: mode === 'cancel' }}
      onOk={() => void submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Form form={form} name="action-dialog" layout="vertical">
        <Form.Item label={t(mode === 'complete' ? 'complaints.resultLabel' : 'complaints.cancelReason')} name={field} required>
          <Input.TextArea rows={3} maxLength={mode === 'complete' ? 2000 : 500} autoFocus />
        </Form.Item>
      </Form>
    </Modal>
  );
}

interface RevisitValues {
  outcome?: 'satisfied' | 'unsatisfied';
  note?: string;
  returnTo?: 'implementing' | 'investigating';
}

/** The revisit: the customer's word on the result. Not satisfied sends the work back. */
export function RevisitForm({ complaint, onDone }: { complaint: Detail; onDone: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<RevisitValues>();
  const outcome = Form.useWatch('outcome', form);
  const [saving, setSaving] = useState(false);

  async function submit(v: RevisitValues) {
    setSaving(true);
    try {
      const body = { outcome: v.outcome, note: v.note?.trim(), ...(v.outcome === 'unsatisfied' && v.returnTo ? { returnTo: v.returnTo } : {}) } as {
        outcome: 'satisfied' | 'unsatisfied';
        note: string;
      };
      await api.post('/api/complaints/{id}/revisits', { path: { id: complaint.id }, body });
      void message.success(t('complaints.revisitRecorded'));
      form.resetFields();
      onDone();
    } catch (err) {
      showApiError(form, ['outcome', 'note', 'returnTo'], err, message);
    } finally {
      setSaving(false);
    }
  }

  return (
    <Form<RevisitValues> form={form} layout="vertical" onFinish={(v) => void submit(v)} initialValues={{ returnTo: 'implementing' }} name="revisit" data-testid="revisit-form" style={{ maxWidth: 720 }}>
      <Form.Item label={t('complaints.revisitOutcome')} name="outcome" required>
        <Radio.Group options={(['satisfied', 'unsatisfied'] as const).map((o) => ({ value: o, label: t(`complaints.revisitOutcomes.${o}`) }))} />
      </Form.Item>
      {outcome === 'unsatisfied' && (
        <Form.Item label={t('complaints.returnTo')} name="returnTo">
          <Radio.Group options={(['implementing', 'investigating'] as const).map((s) => ({ value: s, label: t(`complaints.returnTargets.${s}`) }))} />
        </Form.Item>
      )}
      <Form.Item label={t('complaints.revisitNote')} name="note" required>
        <Input.TextArea rows={2} maxLength={2000} />
      </Form.Item>
      <Button htmlType="submit" loading={saving}>
        {t('complaints.recordRevisit')}
      </Button>
    </Form>
  );
}

/** Closing archives the complaint: nothing can change after it, so it asks once more. */
export function CloseForm({ complaint, onDone }: { complaint: Detail; onDone: () => void }) {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const [form] = Form.useForm<{ note?: string }>();

  function close() {
    modal.confirm({
      title: t('complaints.closeConfirm', { number: complaint.number }),
      content: t('complaints.closeConfirmText'),
      okText: t('complaints.close'),
      onOk: async () => {
        try {
          await api.post('/api/complaints/{id}/closures', { path: { id: complaint.id }, body: { note: textOrNull(form.getFieldValue('note') as string | undefined) } });
          void message.success(t('complaints.closed'));
          onDone();
        } catch (err) {
          showApiError(form, ['note'], err, message);
        }
      },
    });
  }

  return (
    <Form form={form} layout="vertical" name="closure" data-testid="close-form" style={{ maxWidth: 720 }}>
      <Form.Item label={t('complaints.closeNote')} name="note">
        <Input.TextArea rows={2} maxLength={2000} />
      </Form.Item>
      <Button type="primary" onClick={close}>
        {t('complaints.close')}
      </Button>
    </Form>
  );
}
