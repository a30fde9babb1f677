import { useState } from 'react';
import { App, Button, Form, Input } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, type Options, type Reply } from '../../api/client.ts';
import { StaffPicker } from '../org/StaffPicker.tsx';
import { showApiError, textOrNull } from './forms.ts';

type Detail = Reply<'get', '/api/complaints/{id}'>;
type Patch = Options<'patch', '/api/complaints/{id}'>['body'];

/** One PATCH of the complaint, with the server's errors on the form field they name (the body's names). */
function usePatch<V>(complaint: Detail, fields: readonly string[], onDone: () => void) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<V>();
  const [saving, setSaving] = useState(false);

  async function save(body: Partial<Detail>) {
    // Nothing changed: the server wants at least one field, and there is nothing to record.
    if (Object.keys(body).length === 0) return void message.info(t('complaints.nothingChanged'));
    setSaving(true);
    try {
      await api.patch('/api/complaints/{id}', { path: { id: complaint.id }, body: body as Patch });
      void message.success(t('complaints.saved'));
      onDone();
    } catch (err) {
      showApiError(form, fields, err, message);
    } finally {
      setSaving(false);
    }
  }
  return { form, saving, save };
}

/** The fields whose value differs from the complaint's: only those are sent. */
function changed<K extends keyof Detail>(complaint: Detail, next: Pick<Detail, K>): Partial<Pick<Detail, K>> {
  return Object.fromEntries(Object.entries(next).filter(([k, v]) => complaint[k as K] !== v)) as Partial<Pick<Detail, K>>;
}

interface FindingValues {
  cause?: string;
  attributedStaffId?: string | null;
  attributionNote?: string;
}
const FINDING_FIELDS = ['cause', 'attributedStaffId', 'attributionNote'] as const;

/**
 * CP5: the investigation's findings — the cause and whom the complaint is attributed to (for fines
 * and performance). The server accepts them while the complaint is accepted or under investigation,
 * and the first finding starts the investigation.
 */
export function FindingsForm({ complaint, onDone }: { complaint: Detail; onDone: () => void }) {
  const { t } = useTranslation();
  const { form, saving, save } = usePatch<FindingValues>(complaint, FINDING_FIELDS, onDone);
  return (
    <Form<FindingValues>
      form={form}
      layout="vertical"
      name="findings"
      data-testid="findings-form"
      style={{ maxWidth: 720 }}
      initialValues={{ cause: complaint.cause ?? '', attributedStaffId: complaint.attributedStaffId, attributionNote: complaint.attributionNote ?? '' }}
      onFinish={(v) =>
        void save(changed(complaint, { cause: textOrNull(v.cause), attributedStaffId: v.attributedStaffId ?? null, attributionNote: textOrNull(v.attributionNote) }))
      }
    >
      <Form.Item label={t('complaints.cause')} name="cause" extra={t('complaints.causeHint')}>
        <Input maxLength={200} />
      </Form.Item>
      <Form.Item label={t('complaints.attributedStaff')} name="attributedStaffId" extra={t('complaints.attributedStaffHint')}>
        <StaffPicker aria-label={t('complaints.attributedStaff')} />
      </Form.Item>
      <Form.Item label={t('complaints.attribution')} name="attributionNote">
        <Input.TextArea rows={2} maxLength={1000} />
      </Form.Item>
      <Button htmlType="submit" loading={saving}>
        {t('complaints.saveFindings')}
      </Button>
    </Form>
  );
}

/** Hands the complaint to another service staff member, who is notified by the server. */
export function OwnerForm({ complaint, onDone }: { complaint: Detail; onDone: () => void }) {
  const { t } = useTranslation();
  const { form, saving, save } = usePatch<{ ownerId?: string | null }>(complaint, ['ownerId'], onDone);
  return (
    <Form
      form={form}
      layout="inline"
      name="owner"
      data-testid="owner-form"
      style={{ rowGap: 8 }}
      initialValues={{ ownerId: complaint.ownerId }}
      onFinish={(v: { ownerId?: string | null }) => void save(changed(complaint, { ownerId: v.ownerId ?? null }))}
    >
      <Form.Item label={t('complaints.owner')} name="ownerId" rules={[{ required: true, message: t('complaints.ownerRequired') }]}>
        <StaffPicker aria-label={t('complaints.owner')} />
      </Form.Item>
      <Button htmlType="submit" loading={saving}>
        {t('complaints.changeOwner')}
      </Button>
    </Form>
  );
}
