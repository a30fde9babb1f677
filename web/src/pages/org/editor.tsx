import { useEffect, useState } from 'react';
import { App, Button, Form, Input, Popconfirm, Space } from 'antd';
import { useTranslation } from 'react-i18next';
import { asApiError } from '../../api/useLoad.tsx';
import { showOnField } from './shared.ts';

/**
 * The create/edit dialog and delete of one kind of organisation record: which one is open, its
 * form, and saving or deleting with the server's errors on the form field they name.
 */
export function useEditor<T extends { id: string }, V>(opts: { fields: readonly string[]; save(editing: T | 'new', v: V): Promise<unknown>; remove(item: T): Promise<unknown>; onChanged(): void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [editing, setEditing] = useState<T | 'new' | null>(null);
  const [form] = Form.useForm<V>();
  // One form serves every opening; a dialog reopened before the last one was torn down (or remounted
  // with the values the store kept) would show the previous record. Each opening starts from its own
  // initial values.
  useEffect(() => {
    if (editing) form.resetFields();
  }, [editing, form]);

  async function save(v: V) {
    if (!editing) return;
    try {
      await opts.save(editing, v);
      void message.success(t('org.saved'));
      setEditing(null);
      opts.onChanged();
    } catch (err) {
      if (!showOnField(form, err, opts.fields)) void message.error(asApiError(err).message);
    }
  }

  async function remove(item: T) {
    try {
      await opts.remove(item);
      void message.success(t('org.deleted'));
      opts.onChanged();
    } catch (err) {
      void message.error(asApiError(err).message);
    }
  }

  return { editing, setEditing, form, save, remove };
}

/** A row's edit button and its confirmed delete. */
export function EditDelete({ confirm, onEdit, onDelete }: { confirm: string; onEdit(): void; onDelete(): Promise<void> }) {
  const { t } = useTranslation();
  return (
    <Space>
      <Button size="small" onClick={onEdit}>
        {t('org.edit')}
      </Button>
      <Popconfirm title={confirm} onConfirm={onDelete}>
        <Button size="small" danger>
          {t('org.delete')}
        </Button>
      </Popconfirm>
    </Space>
  );
}

/** The name and code every organisation record has (the code is the stable key integrations use). */
export function NameAndCode() {
  const { t } = useTranslation();
  return (
    <>
      <Form.Item label={t('org.name')} name="name" rules={[{ required: true, whitespace: true, message: t('org.nameRequired') }]}>
        <Input maxLength={100} autoFocus />
      </Form.Item>
      <Form.Item label={t('org.code')} name="code" extra={t('org.codeHint')} rules={[{ required: true, pattern: /^[a-z][a-z0-9_]{1,47}$/, message: t('org.codeInvalid') }]}>
        <Input maxLength={48} />
      </Form.Item>
    </>
  );
}
