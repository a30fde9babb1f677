import { useState } from 'react';
import { App, Button, Form, Input, Space } from 'antd';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../../api/client.ts';

/**
 * CP3: approve or reject one step of a proposal, for the department whose turn it is. The server
 * decides who may (department, order, not the submitter); the console only offers it to them.
 */
export function Decision({ approvalId, onDecided }: { approvalId: string; onDecided: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ comment?: string }>();
  const [saving, setSaving] = useState<'approved' | 'rejected' | null>(null);

  async function decide(decision: 'approved' | 'rejected') {
    const comment = (form.getFieldValue('comment') as string | undefined)?.trim() || null;
    if (decision === 'rejected' && !comment) {
      form.setFields([{ name: 'comment', errors: [t('complaints.rejectNeedsComment')] }]);
      return;
    }
    setSaving(decision);
    try {
      await api.post('/api/complaint-approvals/{id}/decisions', { path: { id: approvalId }, body: { decision, comment } });
      void message.success(t(decision === 'approved' ? 'complaints.approvedDone' : 'complaints.rejectedDone'));
      form.resetFields();
      onDecided();
    } catch (err) {
      if (err instanceof ApiError && err.field === 'comment') form.setFields([{ name: 'comment', errors: [err.message] }]);
      else void message.error(err instanceof ApiError ? err.message : String(err));
    } finally {
      setSaving(null);
    }
  }

  return (
    <Form form={form} layout="vertical" data-testid="approval-decision" style={{ maxWidth: 560 }}>
      <Form.Item label={t('complaints.comment')} name="comment">
        <Input.TextArea rows={2} maxLength={2000} placeholder={t('complaints.commentPlaceholder')} />
      </Form.Item>
      <Space>
        <Button type="primary" loading={saving === 'approved'} disabled={saving !== null} onClick={() => void decide('approved')}>
          {t('complaints.approve')}
        </Button>
        <Button danger loading={saving === 'rejected'} disabled={saving !== null} onClick={() => void decide('rejected')}>
          {t('complaints.reject')}
        </Button>
      </Space>
    </Form>
  );
}
