import { Type } from '@sinclair/typebox';
import type { App } from '../http/app-types.ts';
import { DEFAULT_LIMIT, Page, PageQuery, decodeCursor, isPositiveInt, toPage } from '../http/pagination.ts';
import { Nullable, Query, Timestamp, iso } from '../http/schemas.ts';
import { listAudit } from './service.ts';

const AuditEntryView = Type.Object(
  {
    id: Type.Integer(),
    at: Timestamp,
    actorId: Nullable(Type.String()),
    actorType: Type.String(),
    actorName: Nullable(Type.String()),
    action: Type.String({ description: 'create / update / delete / reveal / login / login_failed / lock / revoke' }),
    entityType: Type.String(),
    entityId: Nullable(Type.String()),
    before: Type.Unknown({ description: '变更前（个人信息已脱敏）' }),
    after: Type.Unknown({ description: '变更后（个人信息已脱敏）' }),
    diff: Type.Unknown({ description: '变化的字段：{ 字段: { from, to } }' }),
    reason: Nullable(Type.String()),
    ip: Nullable(Type.String()),
    requestId: Nullable(Type.String()),
  },
  { title: 'AuditEntry' },
);

export function auditRoutes(app: App): void {
  app.get(
    '/api/audit',
    {
      config: { access: 'audit.read' },
      schema: {
        tags: ['审计 Audit'],
        summary: '审计日志（只追加，最新在前）',
        querystring: Query({
          ...PageQuery,
          actorId: Type.Optional(Type.String({ maxLength: 64 })),
          entityType: Type.Optional(Type.String({ maxLength: 50 })),
          entityId: Type.Optional(Type.String({ maxLength: 64 })),
          action: Type.Optional(Type.String({ maxLength: 30 })),
          from: Type.Optional(Timestamp),
          to: Type.Optional(Timestamp),
        }),
        response: { 200: Page(AuditEntryView) },
      },
    },
    async (req) => {
      const { cursor, limit = DEFAULT_LIMIT, from, to, ...filter } = req.query;
      const rows = await listAudit(req.ctx, {
        ...filter,
        from: from ? new Date(from) : undefined,
        to: to ? new Date(to) : undefined,
        beforeId: decodeCursor(cursor, isPositiveInt),
        limit,
      });
      return toPage(rows, limit, (r) => ({ ...r, at: iso(r.at) }), (r) => r.id);
    },
  );
}
