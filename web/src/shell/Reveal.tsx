import { useState } from 'react';
import { App, Button, Form, Input, Modal, Space, Tag, Tooltip, Typography } from 'antd';
import { EyeOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client.ts';
import { allows, useMe } from '../auth/session.tsx';
import { asApiError } from '../api/useLoad.tsx';

/** A reason is at least two characters besides blanks, as the server requires. */
const REASON = /\S[\s\S]*\S/;

interface Props {
  entityType: 'customer' | 'complaint';
  entityId: string;
  /** The field as POST /api/reveals names it, e.g. `phones.0`. */
  field: string;
  /** What the field is, for the button and the dialog (e.g. “手机 1”). */
  label: string;
  masked: string;
}

/**
 * C4: personal data shows masked; the clear value comes only from POST /api/reveals with a reason
 * (audited on the server), and only for holders of `pii.reveal`.
 */
export function Reveal({ entityType, entityId, field, label, masked }: Props) {
  const { t } = useTranslation();
  const me = useMe();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [clear, setClear] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ reason: string }>();
  const reason = Form.useWatch('reason', form) ?? '';

  async function reveal({ reason }: { reason: string }) {
    setBusy(true);
    try {
      const { value } = await api.post('/api/reveals', { body: { entityType, entityId, field, reason: reason.trim() } });
      setClear(value ?? '');
      setOpen(false);
      form.resetFields();
    } catch (err) {
      const e = asApiError(err);
      if (e.field === 'reason') form.setFields([{ name: 'reason', errors: [e.message] }]);
      else void message.error(e.message);
    } finally {
      setBusy(false);
    }
  }

  if (clear !== null) {
    return (
      <Space size={4} data-testid={`clear-${field}`}>
        <Typography.Text copyable>{clear}</Typography.Text>
        <Tag color="orange">{t('customers.revealed')}</Tag>
      </Space>
    );
  }
  return (
    <Space size={4}>
      <span data-testid={`masked-${field}`}>{masked}</span>
      {allows(me, 'pii.reveal') && (
        <Tooltip title={t('customers.reveal')}>
          <Button size="small" type="text" icon={<EyeOutlined />} aria-label={t('customers.revealOf', { label })} onClick={() => setOpen(true)} />
        </Tooltip>
      )}
      <Modal
        title={t('customers.revealTitle', { label })}
        open={open}
        onCancel={() => setOpen(false)}
        onOk={() => form.submit()}
        okText={t('customers.revealOk')}
        okButtonProps={{ disabled: !REASON.test(reason), loading: busy }}
        destroyOnHidden
      >
        <Typography.Paragraph type="secondary">{t('customers.revealHint')}</Typography.Paragraph>
        <Form form={form} layout="vertical" onFinish={reveal}>
          <Form.Item label={t('customers.revealReason')} name="reason" rules={[{ required: true, pattern: REASON, message: t('customers.revealReasonRequired') }]}>
            <Input.TextArea maxLength={500} rows={2} autoFocus placeholder={t('customers.revealReasonPlaceholder')} />
          </Form.Item>
        </Form>
      </Modal>
    </Space>
  );
}
