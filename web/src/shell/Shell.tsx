import { Suspense } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { App, Avatar, Button, Dropdown, Layout, Menu, Space, Tag, Typography } from 'antd';
import { LogoutOutlined, UserOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client.ts';
import { useMe, useSession } from '../auth/session.tsx';
import { screensFor } from '../nav.tsx';
import { Loading } from '../routes.tsx';
import { LanguageSwitch } from './LanguageSwitch.tsx';
import { Notifications } from './Notifications.tsx';
import { RealtimeProvider, useRealtimeStatus } from '../realtime.tsx';

/** Shown while the live connection is down: what the screens show may be behind until it is back. */
function RealtimeIndicator() {
  const { t } = useTranslation();
  const { status } = useRealtimeStatus();
  if (status !== 'reconnecting') return null;
  return (
    <Tag color="warning" role="status" data-testid="realtime-reconnecting">
      {t('realtime.reconnecting')}
    </Tag>
  );
}

export default function Shell() {
  const { t } = useTranslation();
  const me = useMe();
  const { logout } = useSession();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const screens = screensFor(me);
  const selected = screens.filter((s) => s.path === pathname || (s.path !== '/' && pathname.startsWith(`${s.path}/`))).map((s) => s.path);

  async function signOut() {
    try {
      await logout();
      navigate('/login', { replace: true, state: { reason: 'logged-out' } });
    } catch (err) {
      void message.error(err instanceof ApiError ? err.message : t('errors.network'));
    }
  }

  return (
    <RealtimeProvider>
      <Layout style={{ minHeight: '100vh' }}>
        <Layout.Sider breakpoint="lg" collapsedWidth={0} theme="light" style={{ borderInlineEnd: '1px solid #f0f0f0' }}>
          <div style={{ padding: '16px 24px', fontWeight: 600, fontSize: 16 }}>{t('app.name')}</div>
          <nav aria-label={t('nav.label')}>
            <Menu
              mode="inline"
              style={{ borderInlineEnd: 0 }}
              selectedKeys={selected}
              items={screens.map(({ path, label, icon: Icon }) => ({ key: path, icon: <Icon />, label: <Link to={path}>{t(`nav.${label}`)}</Link> }))}
            />
          </nav>
        </Layout.Sider>
        <Layout>
          <Layout.Header style={{ background: '#fff', padding: '0 16px', display: 'flex', justifyContent: 'flex-end', alignItems: 'center', borderBottom: '1px solid #f0f0f0' }}>
            <Space>
              <RealtimeIndicator />
              <Notifications />
              <LanguageSwitch />
              <Dropdown
                trigger={['click']}
                menu={{ items: [{ key: 'logout', icon: <LogoutOutlined />, label: t('user.logout'), onClick: () => void signOut() }] }}
              >
                <Button type="text" aria-label={t('user.menu')} data-testid="user-menu">
                  <Space>
                    <Avatar size="small" icon={<UserOutlined />} />
                    <span>{me.displayName}</span>
                    <Typography.Text type="secondary">{t(`roles.${me.role}`)}</Typography.Text>
                  </Space>
                </Button>
              </Dropdown>
            </Space>
          </Layout.Header>
          <Layout.Content style={{ padding: 24 }}>
            <Suspense fallback={<Loading />}>
              <Outlet />
            </Suspense>
          </Layout.Content>
        </Layout>
      </Layout>
    </RealtimeProvider>
  );
}
