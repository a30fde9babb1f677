import { Alert, Button, Form, Input, Modal, Select, Space, Table, Tag } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import { zhCN } from '../../i18n/zh-CN.ts';
import { StaffName, type Department, type Structure } from './data.ts';
import { EditDelete, NameAndCode, useEditor } from './editor.tsx';
import { StaffPicker } from './StaffPicker.tsx';

type Kind = Department['kind'];
/** Typed against the API, so the catalogue names every kind the server knows. */
const KIND_NAMES: Record<Kind, string> = zhCN.org.departmentKinds;
const KINDS = Object.keys(KIND_NAMES) as Kind[];
interface Values {
  code: string;
  name: string;
  kind: Kind;
  managerId?: string | null;
  description?: string;
}
const FIELDS = ['code', 'name', 'kind', 'managerId', 'description'];

/** O1: the departments, partner departments included (sales, production, finance, logistics). */
export function Departments({ structure, onChanged }: { version: number; structure: Structure; onChanged(): void }) {
  const { t } = useTranslation();
  const { editing, setEditing, form, save, remove } = useEditor<Department, Values>({
    fields: FIELDS,
    save: (editing, v) => {
      const body = { code: v.code, name: v.name.trim(), kind: v.kind, managerId: v.managerId ?? null, description: v.description?.trim() || null };
      return editing === 'new' ? api.post('/api/departments', { body }) : api.patch('/api/departments/{id}', { path: { id: editing.id }, body });
    },
    remove: (d) => api.delete('/api/departments/{id}', { path: { id: d.id } }),
    onChanged,
  });

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>
        {t('org.departments.create')}
      </Button>
      {structure.error && <Alert type="error" showIcon title={structure.error.message} />}
      <Table<Department>
        rowKey="id"
        data-testid="department-list"
        loading={structure.loading}
        dataSource={structure.departments}
        pagination={false}
        columns={[
          { title: t('org.name'), dataIndex: 'name' },
          { title: t('org.code'), dataIndex: 'code' },
          { title: t('org.departments.kind'), dataIndex: 'kind', render: (k: Kind, d) => <Space>{t(`org.departmentKinds.${k}`)}{d.isPartner && <Tag color="purple">{t('org.departments.partner')}</Tag>}</Space> },
          { title: t('org.departments.manager'), dataIndex: 'managerId', render: (id: string | null) => <StaffName id={id} /> },
          { title: t('org.teamCount'), key: 'teams', render: (_, d) => structure.teams.filter((x) => x.departmentId === d.id).length },
          {
            title: t('org.actions'),
            key: 'actions',
            render: (_, d) => <EditDelete confirm={t('org.departments.deleteConfirm', { name: d.name })} onEdit={() => setEditing(d)} onDelete={() => remove(d)} />,
          },
        ]}
      />
      <Modal
        title={t(editing === 'new' ? 'org.departments.create' : 'org.departments.edit')}
        open={editing !== null}
        onCancel={() => setEditing(null)}
        onOk={() => form.submit()}
        okText={t('org.save')}
        destroyOnHidden
      >
        <Form
          form={form}
          layout="vertical"
          preserve={false}
          onFinish={save}
          initialValues={editing && editing !== 'new' ? { ...editing, description: editing.description ?? '' } : { kind: 'customer_service' }}
        >
          <NameAndCode />
          <Form.Item label={t('org.departments.kind')} name="kind">
            <Select options={KINDS.map((k) => ({ value: k, label: t(`org.departmentKinds.${k}`) }))} />
          </Form.Item>
          <Form.Item label={t('org.departments.manager')} name="managerId">
            <StaffPicker />
          </Form.Item>
          <Form.Item label={t('org.description')} name="description">
            <Input.TextArea maxLength={500} rows={2} />
          </Form.Item>
        </Form>
      </Modal>
    </Space>
  );
}
