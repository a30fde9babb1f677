import { Alert, Button, Form, Input, Modal, Select, Space, Table } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import { StaffName, type Structure, type Team } from './data.ts';
import { EditDelete, NameAndCode, useEditor } from './editor.tsx';
import { StaffPicker } from './StaffPicker.tsx';

interface Values {
  code: string;
  name: string;
  departmentId: string;
  leadId?: string | null;
  timezone: string;
}
const FIELDS = ['code', 'name', 'departmentId', 'leadId', 'timezone'];
const DEFAULT_ZONE = 'Asia/Shanghai';

/** O1: teams (班组) inside departments, each with its lead and the time zone its shifts run in. */
export function Teams({ structure, onChanged }: { version: number; structure: Structure; onChanged(): void }) {
  const { t } = useTranslation();
  const departmentName = (id: string) => structure.departments.find((d) => d.id === id)?.name ?? '—';
  const { editing, setEditing, form, save, remove } = useEditor<Team, Values>({
    fields: FIELDS,
    save: (editing, v) => {
      const body = { code: v.code, name: v.name.trim(), departmentId: v.departmentId, leadId: v.leadId ?? null, timezone: v.timezone.trim() };
      return editing === 'new' ? api.post('/api/teams', { body }) : api.patch('/api/teams/{id}', { path: { id: editing.id }, body });
    },
    remove: (team) => api.delete('/api/teams/{id}', { path: { id: team.id } }),
    onChanged,
  });

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>
        {t('org.teams.create')}
      </Button>
      {structure.error && <Alert type="error" showIcon title={structure.error.message} />}
      <Table<Team>
        rowKey="id"
        data-testid="team-list"
        loading={structure.loading}
        dataSource={structure.teams}
        pagination={false}
        columns={[
          { title: t('org.name'), dataIndex: 'name' },
          { title: t('org.code'), dataIndex: 'code' },
          { title: t('org.department'), dataIndex: 'departmentId', render: departmentName },
          { title: t('org.teams.lead'), dataIndex: 'leadId', render: (id: string | null) => <StaffName id={id} /> },
          { title: t('org.teams.timezone'), dataIndex: 'timezone' },
          {
            title: t('org.actions'),
            key: 'actions',
            render: (_, team) => <EditDelete confirm={t('org.teams.deleteConfirm', { name: team.name })} onEdit={() => setEditing(team)} onDelete={() => remove(team)} />,
          },
        ]}
      />
      <Modal title={t(editing === 'new' ? 'org.teams.create' : 'org.teams.edit')} open={editing !== null} onCancel={() => setEditing(null)} onOk={() => form.submit()} okText={t('org.save')} destroyOnHidden>
        <Form form={form} layout="vertical" preserve={false} onFinish={save} initialValues={editing && editing !== 'new' ? editing : { timezone: DEFAULT_ZONE }}>
          <NameAndCode />
          <Form.Item label={t('org.department')} name="departmentId" rules={[{ required: true, message: t('org.departmentRequired') }]}>
            <Select showSearch={{ optionFilterProp: 'label' }} options={structure.departments.map((d) => ({ value: d.id, label: d.name }))} />
          </Form.Item>
          <Form.Item label={t('org.teams.lead')} name="leadId">
            <StaffPicker />
          </Form.Item>
          <Form.Item label={t('org.teams.timezone')} name="timezone" rules={[{ required: true, whitespace: true, message: t('org.teams.timezoneRequired') }]}>
            <Input maxLength={64} />
          </Form.Item>
        </Form>
      </Modal>
    </Space>
  );
}
