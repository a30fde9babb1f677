import { App, Form, Input, Modal, Radio, Select } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, type Reply } from '../../api/client.ts';
import { asApiError } from '../../api/useLoad.tsx';
import { showOnField } from '../org/shared.ts';

export type Customer = Reply<'get', '/api/customers/{id}'>;

interface Values {
  kind: 'person' | 'organisation';
  name: string;
  title?: string;
  phones?: string[];
  emails?: string[];
  tags?: string[];
  externalId?: string;
}
const FIELDS = ['kind', 'name', 'title', 'phones', 'emails', 'tags', 'externalId'] as const;

const blankToNull = (v: string | undefined) => (v?.trim() ? v.trim() : null);

/**
 * Creates an archive, or edits one. Phones and emails arrive masked, so an edit cannot show them:
 * left empty they stay as they are; filled in, they replace the stored list (the API replaces lists whole).
 */
export function CustomerForm({ customer, open, onClose, onSaved }: { customer: Customer | null; open: boolean; onClose(): void; onSaved(c: { id: string }): void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const editing = customer !== null;

  async function save(v: Values) {
    const common = { kind: v.kind, name: v.name.trim(), title: blankToNull(v.title), tags: v.tags ?? [], externalId: blankToNull(v.externalId) };
    try {
      const saved = editing
        ? await api.patch('/api/customers/{id}', {
            path: { id: customer.id },
            body: { ...common, ...(v.phones?.length ? { phones: v.phones } : {}), ...(v.emails?.length ? { emails: v.emails } : {}) },
          })
        : await api.post('/api/customers', { body: { ...common, phones: v.phones ?? [], emails: v.emails ?? [] } });
      void message.success(t(editing ? 'customers.saved' : 'customers.created'));
      onSaved(saved);
    } catch (err) {
      if (!showOnField(form, err, FIELDS)) void message.error(asApiError(err).message);
    }
  }

  const list = (placeholder: string) => <Select mode="tags" open={false} tokenSeparators={[',', '，', ';', '；', ' ']} placeholder={placeholder} />;
  return (
    <Modal
      title={t(editing ? 'customers.edit' : 'customers.create')}
      open={open}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('customers.save')}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        onFinish={save}
        preserve={false}
        initialValues={customer ? { kind: customer.kind, name: customer.name, title: customer.title ?? '', tags: customer.tags, externalId: customer.externalId ?? '' } : { kind: 'person' }}
      >
        <Form.Item label={t('customers.kind')} name="kind">
          <Radio.Group options={(['person', 'organisation'] as const).map((k) => ({ value: k, label: t(`customers.kinds.${k}`) }))} />
        </Form.Item>
        <Form.Item label={t('customers.name')} name="name" rules={[{ required: true, whitespace: true, message: t('customers.nameRequired') }]}>
          <Input maxLength={100} autoFocus />
        </Form.Item>
        <Form.Item label={t('customers.phones')} name="phones" extra={editing ? t('customers.replaceHint') : undefined}>
          {list(t('customers.phonesPlaceholder'))}
        </Form.Item>
        <Form.Item label={t('customers.emails')} name="emails" extra={editing ? t('customers.replaceHint') : undefined}>
          {list(t('customers.emailsPlaceholder'))}
        </Form.Item>
        <Form.Item label={t('customers.tags')} name="tags">
          {list(t('customers.tagsPlaceholder'))}
        </Form.Item>
        <Form.Item label={t('customers.title')} name="title">
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item label={t('customers.externalId')} name="externalId">
          <Input maxLength={64} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
