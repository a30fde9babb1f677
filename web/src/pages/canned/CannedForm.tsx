import { useRef } from 'react';
import { Alert, Button, Form, Input, Radio, Space, Typography, type FormInstance, type GetRef } from 'antd';
import { useTranslation } from 'react-i18next';
import { useMe } from '../../auth/session.tsx';

export interface CannedValues {
  scope?: 'shared' | 'personal';
  title: string;
  body: string;
  category?: string | null;
  shortcut?: string | null;
}

/**
 * CH8: the variables the server fills when an agent inserts the reply (VARIABLES and renderCanned in
 * server/modules/conversations/canned.ts), written {customer.name} in the text.
 */
const VARIABLES = [
  { name: 'customer.name', key: 'customerName' },
  { name: 'agent.name', key: 'agentName' },
  { name: 'order.number', key: 'orderNumber' },
  { name: 'conversation.number', key: 'conversationNumber' },
] as const;
/** The server's pattern of a variable; anything else in braces is plain text to it. */
const VARIABLE = /\{([a-z]+\.[a-z]+)\}/g;
export const SHORTCUT = /^[A-Za-z0-9_-]{1,20}$/;

/** The reply as a customer would read it, with example values; variables the server does not know stay as written. */
function usePreview(body: string): { text: string; unknown: string[] } {
  const { t } = useTranslation();
  const me = useMe();
  const samples: Record<string, string> = {
    'customer.name': t('canned.samples.customerName'),
    'agent.name': me.displayName,
    'order.number': t('canned.samples.orderNumber'),
    'conversation.number': t('canned.samples.conversationNumber'),
  };
  const unknown = new Set<string>();
  const text = body.replace(VARIABLE, (whole, name: string) => {
    const value = samples[name];
    if (value === undefined) unknown.add(whole);
    return value ?? whole;
  });
  return { text, unknown: [...unknown] };
}

/** The fields of one canned reply, the variables it may use (inserted at the caret) and a preview. */
export function CannedForm({ form, choosesScope, initialValues, onFinish }: { form: FormInstance<CannedValues>; choosesScope: boolean; initialValues: Partial<CannedValues>; onFinish: (v: CannedValues) => void }) {
  const { t } = useTranslation();
  const body = (Form.useWatch('body', form) as string | undefined) ?? '';
  const preview = usePreview(body);
  const textArea = useRef<GetRef<typeof Input.TextArea>>(null);

  function insert(name: string) {
    const token = `{${name}}`;
    const el = textArea.current?.resizableTextArea?.textArea;
    const current = (form.getFieldValue('body') as string | undefined) ?? '';
    const [from, to] = el ? [el.selectionStart, el.selectionEnd] : [current.length, current.length];
    form.setFieldValue('body', current.slice(0, from) + token + current.slice(to));
    // The caret goes after the variable, so typing carries on where it was.
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(from + token.length, from + token.length);
    });
  }

  return (
    <Form<CannedValues> form={form} layout="vertical" name="canned" preserve={false} initialValues={initialValues} onFinish={onFinish}>
      {choosesScope && (
        <Form.Item label={t('canned.scope')} name="scope" extra={t('canned.scopeHint')}>
          <Radio.Group options={(['shared', 'personal'] as const).map((s) => ({ value: s, label: t(`canned.scopes.${s}`) }))} />
        </Form.Item>
      )}
      <Form.Item label={t('canned.titleField')} name="title" rules={[{ required: true, whitespace: true, message: t('canned.titleRequired') }]}>
        <Input maxLength={100} autoFocus />
      </Form.Item>
      <Space wrap align="start">
        <Form.Item label={t('canned.category')} name="category">
          <Input maxLength={50} placeholder={t('canned.categoryPlaceholder')} style={{ width: 220 }} />
        </Form.Item>
        <Form.Item label={t('canned.shortcut')} name="shortcut" extra={t('canned.shortcutHint')} rules={[{ pattern: SHORTCUT, message: t('canned.shortcutInvalid') }]}>
          <Input maxLength={20} prefix="/" style={{ width: 220 }} />
        </Form.Item>
      </Space>
      <Form.Item label={t('canned.body')} name="body" rules={[{ required: true, whitespace: true, message: t('canned.bodyRequired') }]}>
        <Input.TextArea ref={textArea} rows={4} maxLength={5000} showCount />
      </Form.Item>
      <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
        {t('canned.variablesIntro')}
      </Typography.Paragraph>
      <Space orientation="vertical" size={4} data-testid="canned-variables" style={{ display: 'flex', marginBottom: 16 }}>
        {VARIABLES.map((v) => (
          <Space key={v.name} size="small">
            <Button size="small" onClick={() => insert(v.name)} aria-label={t('canned.insertVariable', { name: t(`canned.variables.${v.key}`) })}>
              <code>{`{${v.name}}`}</code>
            </Button>
            <Typography.Text type="secondary">{t(`canned.variables.${v.key}`)}</Typography.Text>
          </Space>
        ))}
      </Space>
      <Typography.Title level={5}>{t('canned.preview')}</Typography.Title>
      <Typography.Paragraph data-testid="canned-preview" style={{ whiteSpace: 'pre-wrap', padding: 8, border: '1px dashed #d9d9d9', borderRadius: 6 }}>
        {preview.text || <Typography.Text type="secondary">{t('canned.previewEmpty')}</Typography.Text>}
      </Typography.Paragraph>
      {preview.unknown.length > 0 && <Alert type="warning" showIcon title={t('canned.unknownVariables', { names: preview.unknown.join('、') })} />}
    </Form>
  );
}
