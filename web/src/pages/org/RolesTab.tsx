import { useEffect, useState } from 'react';
import { Alert, Table, Typography } from 'antd';
import { CheckOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, type ApiError } from '../../api/client.ts';
import type { Roles } from './data.ts';
import { asApiError, isAbort } from '../../api/useLoad.tsx';

/** The server's role → permissions table (GET /api/roles); the console keeps no copy of it. */
export function useRoles(): { data: Roles | null; error: ApiError | null } {
  const [state, setState] = useState<{ data: Roles | null; error: ApiError | null }>({ data: null, error: null });
  useEffect(() => {
    const controller = new AbortController();
    api
      .get('/api/roles', { signal: controller.signal })
      .then((data) => setState({ data, error: null }))
      .catch((err: unknown) => !isAbort(err) && setState({ data: null, error: asApiError(err) }));
    return () => controller.abort();
  }, []);
  return state;
}

/** O2: read-only — which role holds which permission, as the server checks them. */
export function RolesTab() {
  const { t } = useTranslation();
  const { data, error } = useRoles();
  if (error) return <Alert type="error" showIcon title={error.message} />;
  const roles = data?.roles ?? [];
  return (
    <>
      <Typography.Paragraph type="secondary">{t('org.roles.hint')}</Typography.Paragraph>
      <Table<{ permission: string }>
        rowKey="permission"
        size="small"
        data-testid="role-matrix"
        loading={!data}
        pagination={false}
        sticky
        scroll={{ x: 160 + roles.length * 96 }}
        dataSource={(data?.permissions ?? []).map((permission) => ({ permission }))}
        columns={[
          { title: t('org.roles.permission'), dataIndex: 'permission', fixed: 'left', width: 220, render: (p: string) => <Typography.Text code>{p}</Typography.Text> },
          ...roles.map((r) => ({
            title: t(`roles.${r.role}`),
            key: r.role,
            width: 96,
            align: 'center' as const,
            render: (_: unknown, row: { permission: string }) =>
              r.permissions.includes(row.permission) ? <CheckOutlined aria-label={t('org.roles.granted')} style={{ color: '#52c41a' }} /> : <span aria-label={t('org.roles.notGranted')}>·</span>,
          })),
        ]}
      />
    </>
  );
}
