import { useState } from 'react';
import { Alert, App, Button, Form, Input, Modal, Popconfirm, Select, Space, Tag } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import { allows, useMe } from '../../auth/session.tsx';
import { zhCN } from '../../i18n/zh-CN.ts';
import { useRoles } from './RolesTab.tsx';
import type { Staff, Structure } from './data.ts';
import { asApiError } from '../../api/useLoad.tsx';
import { PagedList, usePagedList } from '../../shell/PagedList.tsx';
import { formatDateTime, showOnField } from './shared.ts';

type Role = Staff['role'];
type Level = NonNullable<Staff['level']>;
/** Typed against the API, so the catalogue names every level the server knows. */
const LEVEL_NAMES: Record<Level, string> = zhCN.org.levels;
const LEVELS = Object.keys(LEVEL_NAMES) as Level[];

interface Filters {
  q?: string;
  role?: Role;
  departmentId?: string;
  status?: Staff['status'];
}
interface Values {
  username: string;
  password: string;
  displayName: string;
  role: Role;
  departmentId?: string | null;
  teamId?: string | null;
  level?: Level | null;
  employeeNo?: string;
  phone?: string;
  email?: string;
}
const FIELDS = ['username', 'password', 'displayName', 'role', 'departmentId', 'teamId', 'level', 'employeeNo', 'phone', 'email'];

const isLocked = (s: Staff) => s.lockedUntil !== null && new Date(s.lockedUntil) > new Date();
const blankToNull = (v: string | undefined) => (v?.trim() ? v.trim() : null);

/** O2/O5: staff accounts — create, edit, role, disable/enable, unlock, reset the password. */
export function StaffTab({ version, structure, onChanged }: { version: number; structure: Structure; onChanged(): void }) {
  const { t } = useTranslation();
  const me = useMe();
  const { message } = App.useApp();
  const roles = useRoles();
  const [filters, setFilters] = useState<Filters>({});
  const [editing, setEditing] = useState<Staff | 'new' | null>(null);
  const [resetting, setResetting] = useState<Staff | null>(null);
  const [leveling, setLeveling] = useState<Staff | null>(null);
  const [levelForm] = Form.useForm<{ level: Level; reason: string }>();
  const [form] = Form.useForm<Values>();
  const [resetForm] = Form.useForm<{ newPassword: string }>();
  const chosenDepartment = Form.useWatch('departmentId', form);

  const list = usePagedList('/api/staff', filters, version);

  const done = (text: string) => {
    void message.success(text);
    onChanged();
  };
  const failed = (err: unknown) => void message.error(asApiError(err).message);

  async function save(v: Values) {
    const placement = { departmentId: v.departmentId ?? null, teamId: v.teamId ?? null };
    try {
      if (editing === 'new') {
        await api.post('/api/staff', {
          body: {
            username: v.username.trim(),
            password: v.password,
            displayName: v.displayName.trim(),
            role: v.role,
            ...placement,
            level: v.level ?? null,
            employeeNo: blankToNull(v.employeeNo),
            phone: blankToNull(v.phone),
            email: blankToNull(v.email),
          },
        });
      } else if (editing) {
        await api.patch('/api/staff/{id}', { path: { id: editing.id }, body: { displayName: v.displayName.trim(), role: v.role, ...placement, employeeNo: blankToNull(v.employeeNo) } });
      }
      setEditing(null);
      done(t('org.saved'));
    } catch (err) {
      if (!showOnField(form, err, FIELDS)) failed(err);
    }
  }

  async function setStatus(s: Staff, status: Staff['status']) {
    try {
      await api.patch('/api/staff/{id}', { path: { id: s.id }, body: { status } });
      done(t(status === 'active' ? 'org.staff.enabledDone' : 'org.staff.disabledDone', { name: s.displayName }));
    } catch (err) {
      failed(err);
    }
  }

  async function unlock(s: Staff) {
    try {
      await api.post('/api/staff/{id}/unlocks', { path: { id: s.id } });
      done(t('org.staff.unlockedDone', { name: s.displayName }));
    } catch (err) {
      failed(err);
    }
  }

  async function resetPassword({ newPassword }: { newPassword: string }) {
    if (!resetting) return;
    try {
      await api.post('/api/staff/{id}/password-resets', { path: { id: resetting.id }, body: { newPassword } });
      setResetting(null);
      void message.success(t('org.staff.resetDone', { name: resetting.displayName }));
    } catch (err) {
      if (!showOnField(resetForm, err, ['newPassword'])) failed(err);
    }
  }

  async function changeLevel(v: { level: Level; reason: string }) {
    if (!leveling) return;
    try {
      await api.post('/api/staff/{id}/level-changes', { path: { id: leveling.id }, body: { level: v.level, reason: v.reason.trim() } });
      setLeveling(null);
      done(t('org.staff.levelDone', { name: leveling.displayName, level: t(`org.levels.${v.level}`) }));
    } catch (err) {
      if (!showOnField(levelForm, err, ['level', 'reason'])) failed(err);
    }
  }

  const departmentName = (id: string | null) => structure.departments.find((d) => d.id === id)?.name ?? '—';
  const teamName = (id: string | null) => structure.teams.find((x) => x.id === id)?.name ?? '—';
  const roleOptions = roles.data?.roles.map((r) => ({ value: r.role, label: t(`roles.${r.role}`) })) ?? [];
  const departmentOptions = structure.departments.map((d) => ({ value: d.id, label: d.name }));
  const teamOptions = structure.teams.filter((x) => !chosenDepartment || x.departmentId === chosenDepartment).map((x) => ({ value: x.id, label: x.name }));
  const creating = editing === 'new';

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Space wrap style={{ width: '100%', justifyContent: 'space-between' }}>
        <Space wrap role="search" aria-label={t('org.staff.filters')}>
          <Input.Search allowClear aria-label={t('org.staff.search')} placeholder={t('org.staff.search')} style={{ width: 240 }} maxLength={100} onSearch={(q) => setFilters((f) => ({ ...f, q: q.trim() || undefined }))} />
          <Select allowClear aria-label={t('org.staff.role')} placeholder={t('org.staff.role')} style={{ width: 140 }} options={roleOptions} onChange={(role?: Role) => setFilters((f) => ({ ...f, role }))} />
          <Select allowClear aria-label={t('org.department')} placeholder={t('org.department')} style={{ width: 160 }} options={departmentOptions} onChange={(departmentId?: string) => setFilters((f) => ({ ...f, departmentId }))} />
          <Select
            allowClear
            aria-label={t('org.staff.status')}
            placeholder={t('org.staff.status')}
            style={{ width: 120 }}
            options={(['active', 'disabled'] as const).map((s) => ({ value: s, label: t(`org.staff.statuses.${s}`) }))}
            onChange={(status?: Staff['status']) => setFilters((f) => ({ ...f, status }))}
          />
        </Space>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>
          {t('org.staff.create')}
        </Button>
      </Space>
      <PagedList<Staff>
        list={list}
        moreText={t('org.more')}
        data-testid="staff-list"
        scroll={{ x: 1100 }}
        columns={[
          { title: t('org.staff.displayName'), dataIndex: 'displayName' },
          { title: t('org.staff.username'), dataIndex: 'username' },
          { title: t('org.staff.employeeNo'), dataIndex: 'employeeNo', render: (v: string | null) => v ?? '—' },
          { title: t('org.staff.role'), dataIndex: 'role', render: (r: Role) => t(`roles.${r}`) },
          { title: t('org.department'), dataIndex: 'departmentId', render: departmentName },
          { title: t('org.staff.team'), dataIndex: 'teamId', render: teamName },
          { title: t('org.staff.level'), dataIndex: 'level', render: (l: Level | null) => (l ? t(`org.levels.${l}`) : '—') },
          {
            title: t('org.staff.status'),
            key: 'status',
            render: (_, s) => (
              <Space size={4}>
                <Tag color={s.status === 'active' ? 'green' : 'default'}>{t(`org.staff.statuses.${s.status}`)}</Tag>
                {isLocked(s) && <Tag color="red">{t('org.staff.locked')}</Tag>}
              </Space>
            ),
          },
          { title: t('org.staff.lastLoginAt'), dataIndex: 'lastLoginAt', render: formatDateTime },
          {
            title: t('org.actions'),
            key: 'actions',
            fixed: 'right',
            render: (_, s) => (
              <Space size={4} wrap>
                <Button size="small" onClick={() => setEditing(s)}>
                  {t('org.edit')}
                </Button>
                {s.status === 'active' ? (
                  s.id !== me.id && (
                    <Popconfirm title={t('org.staff.disableConfirm', { name: s.displayName })} onConfirm={() => setStatus(s, 'disabled')}>
                      <Button size="small" danger>
                        {t('org.staff.disable')}
                      </Button>
                    </Popconfirm>
                  )
                ) : (
                  <Button size="small" onClick={() => void setStatus(s, 'active')}>
                    {t('org.staff.enable')}
                  </Button>
                )}
                {isLocked(s) && (
                  <Button size="small" onClick={() => void unlock(s)}>
                    {t('org.staff.unlock')}
                  </Button>
                )}
                {allows(me, 'staff.level.manage') && (
                  <Button size="small" onClick={() => setLeveling(s)}>
                    {t('org.staff.changeLevel')}
                  </Button>
                )}
                {allows(me, 'staff.password.reset') && (
                  <Button size="small" onClick={() => setResetting(s)}>
                    {t('org.staff.resetPassword')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <Modal title={t(creating ? 'org.staff.create' : 'org.staff.edit')} open={editing !== null} onCancel={() => setEditing(null)} onOk={() => form.submit()} okText={t('org.save')} destroyOnHidden>
        <Form
          form={form}
          layout="vertical"
          preserve={false}
          onFinish={save}
          initialValues={editing && editing !== 'new' ? { ...editing, employeeNo: editing.employeeNo ?? '' } : { role: 'agent' }}
          onValuesChange={(changed: Partial<Values>) => {
            // A team belongs to one department: another department clears it.
            if ('departmentId' in changed) form.setFieldValue('teamId', null);
          }}
        >
          {creating && (
            <>
              <Form.Item label={t('org.staff.username')} name="username" extra={t('org.staff.usernameHint')} rules={[{ required: true, whitespace: true, message: t('org.staff.usernameRequired') }]}>
                <Input maxLength={32} autoComplete="off" autoFocus />
              </Form.Item>
              <Form.Item label={t('org.staff.password')} name="password" rules={[{ required: true, message: t('org.staff.passwordRequired') }]}>
                <Input.Password maxLength={200} autoComplete="new-password" />
              </Form.Item>
            </>
          )}
          <Form.Item label={t('org.staff.displayName')} name="displayName" rules={[{ required: true, whitespace: true, message: t('org.nameRequired') }]}>
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item label={t('org.staff.role')} name="role" rules={[{ required: true }]}>
            <Select options={roleOptions} />
          </Form.Item>
          <Form.Item label={t('org.department')} name="departmentId">
            <Select allowClear options={departmentOptions} />
          </Form.Item>
          <Form.Item label={t('org.staff.team')} name="teamId">
            <Select allowClear options={teamOptions} />
          </Form.Item>
          {creating && (
            <Form.Item label={t('org.staff.level')} name="level">
              <Select allowClear options={LEVELS.map((l) => ({ value: l, label: t(`org.levels.${l}`) }))} />
            </Form.Item>
          )}
          <Form.Item label={t('org.staff.employeeNo')} name="employeeNo">
            <Input maxLength={32} />
          </Form.Item>
          {creating && (
            <>
              <Form.Item label={t('org.staff.phone')} name="phone">
                <Input maxLength={32} />
              </Form.Item>
              <Form.Item label={t('org.staff.email')} name="email">
                <Input maxLength={200} type="email" />
              </Form.Item>
            </>
          )}
        </Form>
      </Modal>
      {/* O3: a promotion or demotion is kept in the staff member's level history with its reason. */}
      <Modal
        title={t('org.staff.levelTitle', { name: leveling?.displayName ?? '' })}
        open={leveling !== null}
        onCancel={() => setLeveling(null)}
        onOk={() => levelForm.submit()}
        okText={t('org.save')}
        destroyOnHidden
      >
        <Form form={levelForm} layout="vertical" preserve={false} onFinish={changeLevel} initialValues={{ level: leveling?.level ?? undefined }}>
          <Form.Item label={t('org.staff.level')} name="level" rules={[{ required: true, message: t('org.staff.levelRequired') }]}>
            <Select options={LEVELS.map((l) => ({ value: l, label: t(`org.levels.${l}`) }))} />
          </Form.Item>
          <Form.Item label={t('org.staff.levelReason')} name="reason" rules={[{ required: true, pattern: /\S[\s\S]*\S/, message: t('org.staff.levelReasonRequired') }]}>
            <Input.TextArea maxLength={500} rows={2} />
          </Form.Item>
        </Form>
      </Modal>
      <Modal
        title={t('org.staff.resetTitle', { name: resetting?.displayName ?? '' })}
        open={resetting !== null}
        onCancel={() => setResetting(null)}
        onOk={() => resetForm.submit()}
        okText={t('org.staff.resetPassword')}
        destroyOnHidden
      >
        <Alert type="info" showIcon title={t('org.staff.resetHint')} style={{ marginBottom: 16 }} />
        <Form form={resetForm} layout="vertical" preserve={false} onFinish={resetPassword}>
          <Form.Item label={t('org.staff.newPassword')} name="newPassword" rules={[{ required: true, message: t('org.staff.passwordRequired') }]}>
            <Input.Password maxLength={200} autoComplete="new-password" autoFocus />
          </Form.Item>
        </Form>
      </Modal>
    </Space>
  );
}
