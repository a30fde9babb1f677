import { App, Form, Input, Modal, Select } from 'antd';
import { useTranslation } from 'react-i18next';
import { showOnField } from '../../api/forms.ts';
import { asApiError } from '../../api/useLoad.tsx';
import { TYPES, VISIBILITIES, type ArticleType, type Categories, type ProblemType, type Visibility } from './shared.tsx';

export interface ArticleValues {
  type: ArticleType;
  visibility: Visibility;
  categoryId?: string | null;
  problemType?: string | null;
  title: string;
  body: string;
  note?: string | null;
}

const PROPERTIES = ['type', 'visibility', 'categoryId', 'problemType'] as const;
const TEXT = ['title', 'body', 'note'] as const;
const FIELDS: readonly string[] = [...PROPERTIES, ...TEXT];

/**
 * One dialog for the article's two halves: its properties (type, visibility, category, problem
 * type; set when writing a new article, changed later by reviewers) and a version's text (title,
 * body, revision note). `parts` says which it shows; the server's field errors land on the fields.
 */
export function ArticleDialog({
  title,
  parts,
  initialValues,
  categories,
  problemTypes,
  onSave,
  onClose,
}: {
  title: string;
  parts: { properties: boolean; text: boolean };
  initialValues: Partial<ArticleValues>;
  categories: Categories;
  problemTypes: ProblemType[];
  onSave: (v: ArticleValues) => Promise<unknown>;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<ArticleValues>();

  async function finish(v: ArticleValues) {
    try {
      await onSave(v);
      void message.success(t('knowledge.saved'));
      onClose();
    } catch (err) {
      if (!showOnField(form, err, FIELDS)) void message.error(asApiError(err).message);
    }
  }

  return (
    <Modal title={title} open onCancel={onClose} onOk={() => form.submit()} okText={t('knowledge.save')} cancelText={t('knowledge.cancel')} width={720} destroyOnHidden>
      <Form<ArticleValues> form={form} layout="vertical" name="knowledge-article" initialValues={initialValues} onFinish={(v) => void finish(v)}>
        {parts.properties && (
          <div style={{ display: 'grid', gridTemplateColumns: 'repeat(2, minmax(0, 1fr))', columnGap: 16 }}>
            <Form.Item label={t('knowledge.type')} name="type" rules={[{ required: true }]}>
              <Select options={TYPES.map((v) => ({ value: v, label: t(`knowledge.types.${v}`) }))} />
            </Form.Item>
            <Form.Item label={t('knowledge.visibility')} name="visibility" rules={[{ required: true }]}>
              <Select options={VISIBILITIES.map((v) => ({ value: v, label: t(`knowledge.visibilities.${v}`) }))} />
            </Form.Item>
            <Form.Item label={t('knowledge.category')} name="categoryId">
              <Select allowClear placeholder={t('knowledge.noCategory')} options={categories.options} showSearch={{ optionFilterProp: 'label' }} />
            </Form.Item>
            <Form.Item label={t('knowledge.problemType')} name="problemType" extra={t('knowledge.problemTypeHint')}>
              <Select allowClear options={problemTypes.map((p) => ({ value: p.code, label: p.name }))} showSearch={{ optionFilterProp: 'label' }} />
            </Form.Item>
          </div>
        )}
        {parts.text && (
          <>
            <Form.Item label={t('knowledge.titleField')} name="title" rules={[{ required: true, whitespace: true, message: t('knowledge.titleRequired') }]}>
              <Input maxLength={200} autoFocus />
            </Form.Item>
            <Form.Item label={t('knowledge.body')} name="body" extra={t('knowledge.bodyHint')} rules={[{ required: true, whitespace: true, message: t('knowledge.bodyRequired') }]}>
              <Input.TextArea rows={12} maxLength={200_000} />
            </Form.Item>
            <Form.Item label={t('knowledge.note')} name="note">
              <Input maxLength={1000} placeholder={t('knowledge.notePlaceholder')} />
            </Form.Item>
          </>
        )}
      </Form>
    </Modal>
  );
}

/** A dialog asking for one required text (a rejection's comment, an archive's reason) before acting. */
export function ReasonDialog({ title, intro, field, label, required, onSave, onClose }: { title: string; intro?: string; field: string; label: string; required: string; onSave: (text: string) => Promise<unknown>; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Record<string, string>>();

  async function finish(v: Record<string, string>) {
    try {
      await onSave(v[field]!.trim());
      onClose();
    } catch (err) {
      if (!showOnField(form, err, [field])) void message.error(asApiError(err).message);
    }
  }

  return (
    <Modal title={title} open onCancel={onClose} onOk={() => form.submit()} okText={t('knowledge.save')} cancelText={t('knowledge.cancel')} destroyOnHidden>
      {intro && <p>{intro}</p>}
      <Form form={form} layout="vertical" name={`knowledge-${field}`} onFinish={(v) => void finish(v)}>
        <Form.Item label={label} name={field} rules={[{ required: true, whitespace: true, message: required }]}>
          <Input.TextArea rows={3} maxLength={field === 'reason' ? 500 : 1000} autoFocus />
        </Form.Item>
      </Form>
    </Modal>
  );
}
