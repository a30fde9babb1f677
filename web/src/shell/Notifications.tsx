import { useCallback, useRef, useState, type KeyboardEvent } from 'react';
import { useNavigate } from 'react-router';
import { App, Badge, Button, Popover, Space, Typography } from 'antd';
import { BellOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, type Reply } from '../api/client.ts';
import { asApiError, LoadError, useLoad } from '../api/useLoad.tsx';
import { formatDateTime } from '../i18n/index.ts';
import { conversationPath } from '../nav.tsx';
import { articlePath } from '../pages/knowledge/shared.tsx';
import { useReloadKey } from '../realtime.tsx';

type Notification = Reply<'get', '/api/notifications'>['data'][number];

const RECENT = 20;
/** Unread ones are counted up to here; the badge shows 99+ beyond. */
const COUNTED = 100;
const MAX_READS = 200;

const complaintPath = (id: string) => `/complaints?id=${encodeURIComponent(id)}`;

/** Where a notification leads in the console, by the entity it names; null when the console has no page for it. */
function targetOf(n: Notification): string | null {
  const complaintId = typeof n.data.complaintId === 'string' ? n.data.complaintId : null;
  if (!n.entityId) return null;
  switch (n.entityType) {
    case 'knowledge_article':
      return articlePath(n.entityId);
    case 'complaint':
      return complaintPath(n.entityId);
    case 'complaint_approval':
      return '/complaint-approvals';
    case 'complaint_action':
      return complaintId && complaintPath(complaintId);
    case 'conversation':
      return conversationPath(n.entityId);
    default:
      return null;
  }
}

const itemStyle = { height: 'auto', whiteSpace: 'normal', textAlign: 'start', display: 'block', width: '100%', padding: '8px 12px' } as const;

/**
 * The bell in the console's header: the unread count, the latest notifications (newest first),
 * opening one marks it read and goes to what it is about. New ones arrive over /api/realtime.
 */
export function Notifications() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const bell = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLElement>(null);
  // Read again on every new one and after a reconnect (those missed meanwhile).
  const live = useReloadKey(['notification.created']);
  const { data, error, reload } = useLoad(
    useCallback(
      async (signal: AbortSignal) => {
        const [recent, unread] = await Promise.all([
          api.get('/api/notifications', { query: { limit: RECENT }, signal }),
          api.get('/api/notifications', { query: { unread: true, limit: COUNTED }, signal }),
        ]);
        return { recent: recent.data, unread: unread.data.length };
      },
      [live],
    ),
  );
  const unread = data?.unread ?? 0;
  const failed = (err: unknown) => void message.error(asApiError(err).message);

  function close() {
    setOpen(false);
    bell.current?.focus();
  }

  async function follow(n: Notification) {
    close();
    const to = targetOf(n);
    if (to) navigate(to);
    if (n.readAt) return;
    await api.post('/api/notifications/reads', { body: { ids: [n.id] } }).then(reload, failed);
  }

  async function readAll() {
    try {
      // Page by page: the API takes ids, and there may be more unread ones than the list shows.
      for (;;) {
        const page = await api.get('/api/notifications', { query: { unread: true, limit: MAX_READS } });
        if (page.data.length > 0) await api.post('/api/notifications/reads', { body: { ids: page.data.map((n) => n.id) } });
        if (!page.nextCursor) break;
      }
    } catch (err) {
      failed(err);
    }
    reload();
  }

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') close();
  };

  const content = (
    <section ref={list} tabIndex={-1} aria-label={t('notifications.title')} onKeyDown={onKeyDown} style={{ width: 360 }} data-testid="notification-list">
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Text strong>{t('notifications.title')}</Typography.Text>
        <Button size="small" type="link" disabled={unread === 0} onClick={() => void readAll()}>
          {t('notifications.readAll')}
        </Button>
      </Space>
      {error && <LoadError error={error} onRetry={reload} />}
      {data && data.recent.length === 0 && <Typography.Paragraph type="secondary">{t('notifications.empty')}</Typography.Paragraph>}
      <ul style={{ listStyle: 'none', margin: 0, padding: 0, maxHeight: 440, overflowY: 'auto' }}>
        {data?.recent.map((n) => (
          <li key={n.id} style={{ borderTop: '1px solid #f0f0f0' }}>
            <Button type="text" style={itemStyle} onClick={() => void follow(n)}>
              <Space size={4} orientation="vertical" style={{ width: '100%' }}>
                <Space size={6}>
                  {!n.readAt && <Badge status="processing" text={<Typography.Text type="secondary">{t('notifications.unread')}</Typography.Text>} />}
                  <Typography.Text strong={!n.readAt}>{n.title}</Typography.Text>
                </Space>
                <Typography.Text type="secondary">{n.body}</Typography.Text>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {formatDateTime(n.createdAt)}
                </Typography.Text>
              </Space>
            </Button>
          </li>
        ))}
      </ul>
    </section>
  );

  return (
    <Popover
      trigger="click"
      placement="bottomRight"
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (next) reload();
      }}
      // Opened, the newest notification takes the focus: the popover sits at the end of the page, far from the bell in the tab order.
      afterOpenChange={(opened) => opened && (list.current?.querySelector<HTMLElement>('li button') ?? list.current)?.focus()}
      content={content}
    >
      <Button
        ref={bell}
        type="text"
        aria-label={unread ? t('notifications.bellUnread', { count: unread >= COUNTED ? `${COUNTED - 1}+` : unread }) : t('notifications.title')}
        aria-expanded={open}
        data-testid="notification-bell"
        icon={
          <Badge count={unread} overflowCount={COUNTED - 1} size="small">
            <BellOutlined style={{ fontSize: 18 }} />
          </Badge>
        }
      />
    </Popover>
  );
}
