import { Type } from '@sinclair/typebox';
import type { App } from '../../platform/http/app-types.ts';
import { DEFAULT_LIMIT, Page, PageQuery, afterIdOf, idPage } from '../../platform/http/pagination.ts';
import { Body, Nullable, Query, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { listNotifications, markRead, notificationView } from './service.ts';

const tags = ['通知 Notifications'];

const NotificationView = Type.Object({
  id: Uuid,
  kind: Type.String({ description: 'sla_warning | sla_breach | …' }),
  title: Type.String(),
  body: Type.String(),
  entityType: Nullable(Type.String()),
  entityId: Nullable(Uuid),
  data: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Timestamp,
  readAt: Nullable(Timestamp),
});

export function notificationRoutes(app: App): void {
  app.get(
    '/api/notifications',
    {
      config: { access: 'authenticated' },
      schema: { tags, summary: '我的通知（最新在前）', querystring: Query({ ...PageQuery, unread: Type.Optional(Type.Boolean()) }), response: { 200: Page(NotificationView) } },
    },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      const rows = await listNotifications(req.ctx, { unread: req.query.unread, beforeId: afterIdOf(req.query.cursor), limit });
      return idPage(rows, limit, notificationView);
    },
  );
  app.post(
    '/api/notifications/reads',
    {
      config: { access: 'authenticated' },
      schema: { tags, summary: '标记通知为已读', body: Body({ ids: Type.Array(Uuid, { minItems: 1, maxItems: 200 }) }), response: { 200: Type.Object({ marked: Type.Integer() }) } },
    },
    async (req) => ({ marked: await markRead(req.ctx, req.body.ids) }),
  );
}
