import { useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { Alert, Button, Card, Form, Input, Space, Typography } from 'antd';
import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client.ts';
import { useSession, type SignedOutReason } from '../auth/session.tsx';
import { LanguageSwitch } from '../shell/LanguageSwitch.tsx';

interface FromState {
  from?: string;
  reason?: SignedOutReason;
}

export default function Login() {
  const { t } = useTranslation();
  const { state, login } = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as FromState | null)?.from ?? '/';
  const reason = (location.state as FromState | null)?.reason ?? null;
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  if (state.status === 'signed-in' && !busy) return <Navigate to={from} replace />;

  async function submit(values: { username: string; password: string }) {
    setBusy(true);
    setError(null);
    try {
      await login(values.username, values.password);
      navigate(from, { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, 'client.network', t('errors.network')));
    } finally {
      setBusy(false);
    }
  }

  // The server counts failures and decides the lock (O5); its message says for how long.
  const locked = error?.code === 'auth.account_locked';
  return (
    <main style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: '#f5f7fa', padding: 16 }}>
      <Card style={{ width: '100%', maxWidth: 380 }}>
        <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
          <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center' }}>
            <Typography.Title level={3} style={{ margin: 0 }}>
              {t('app.name')}
            </Typography.Title>
            <LanguageSwitch />
          </div>
          <Typography.Title level={1} style={{ fontSize: 18, margin: 0 }}>
            {t('login.title')}
          </Typography.Title>
          {reason && !error && <Alert type="info" showIcon title={t(reason === 'ended' ? 'session.ended' : 'session.loggedOut')} />}
          {error && (
            <Alert
              role="alert"
              data-testid="login-error"
              type={locked ? 'warning' : 'error'}
              showIcon
              title={locked ? t('login.locked') : t('login.failed')}
              description={error.message}
            />
          )}
          <Form layout="vertical" requiredMark={false} onFinish={submit} disabled={busy}>
            <Form.Item label={t('login.username')} name="username" rules={[{ required: true, message: t('login.usernameRequired') }]}>
              <Input prefix={<UserOutlined />} autoComplete="username" autoFocus />
            </Form.Item>
            <Form.Item label={t('login.password')} name="password" rules={[{ required: true, message: t('login.passwordRequired') }]}>
              <Input.Password prefix={<LockOutlined />} autoComplete="current-password" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy}>
              {t('login.submit')}
            </Button>
          </Form>
          <Space separator="·" style={{ justifyContent: 'center', width: '100%' }}>
            <a href="/api/docs">{t('login.apiDocs')}</a>
            <a href="/demo/chat">{t('login.chatDemo')}</a>
          </Space>
        </Space>
      </Card>
    </main>
  );
}
