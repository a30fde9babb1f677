import { Type } from '@sinclair/typebox';
import type { App } from '../http/app-types.ts';
import { DEFAULT_LIMIT, Page, PageQuery, afterIdOf, idPage } from '../http/pagination.ts';
import { Body, IdParams, Query, Uuid } from '../http/schemas.ts';
import { eventTypeCatalogue } from '../events/outbox.ts';
import * as hooks from './service.ts';
import { SIGNATURE_HEADER } from './signature.ts';

const tags = ['Webhooks'];
const Url = Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 });
const EventTypes = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
  minItems: 1,
  maxItems: 100,
  uniqueItems: true,
  description: '事件类型：精确名称、前缀（如 staff.*）或 *',
});
const WithSecret = Type.Intersect([hooks.WebhookView, Type.Object({ secret: Type.String({ description: '签名密钥，只返回这一次' }) })]);

export function webhookRoutes(app: App): void {
  app.get(
    '/api/webhooks',
    { config: { access: 'webhooks.manage' }, schema: { tags, summary: 'Webhook 列表', querystring: Query(PageQuery), response: { 200: Page(hooks.WebhookView) } } },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      return idPage(await hooks.listWebhooks(req.ctx, afterIdOf(req.query.cursor), limit), limit, hooks.webhookView);
    },
  );
  app.post(
    '/api/webhooks',
    {
      config: { access: 'webhooks.manage' },
      schema: {
        tags,
        summary: '新建 Webhook',
        description: `每个领域事件以 JSON POST 到 url，请求头 ${SIGNATURE_HEADER}: t=<秒>,v1=<HMAC-SHA256(secret, t + "." + body)>；失败按指数退避重试。`,
        body: Body({ name: Type.String({ minLength: 1, maxLength: 100 }), url: Url, eventTypes: EventTypes, active: Type.Optional(Type.Boolean()) }),
        response: { 201: WithSecret },
      },
    },
    async (req, reply) => reply.status(201).send(await hooks.createWebhook(req.ctx, req.body)),
  );
  app.get(
    '/api/webhooks/:id',
    { config: { access: 'webhooks.manage' }, schema: { tags, summary: 'Webhook 详情', params: IdParams, response: { 200: hooks.WebhookView } } },
    async (req) => hooks.getWebhook(req.ctx, req.params.id),
  );
  app.patch(
    '/api/webhooks/:id',
    {
      config: { access: 'webhooks.manage' },
      schema: {
        tags,
        summary: '修改 Webhook（rotateSecret=true 轮换签名密钥）',
        params: IdParams,
        body: Body(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            url: Type.Optional(Url),
            eventTypes: Type.Optional(EventTypes),
            active: Type.Optional(Type.Boolean()),
            rotateSecret: Type.Optional(Type.Boolean()),
          },
          { minProperties: 1 },
        ),
        response: { 200: Type.Intersect([hooks.WebhookView, Type.Object({ secret: Type.Optional(Type.String()) })]) },
      },
    },
    async (req) => hooks.updateWebhook(req.ctx, req.params.id, req.body),
  );
  app.delete(
    '/api/webhooks/:id',
    { config: { access: 'webhooks.manage' }, schema: { tags, summary: '删除 Webhook', params: IdParams, response: { 204: Type.Null() } } },
    async (req, reply) => {
      await hooks.deleteWebhook(req.ctx, req.params.id);
      return reply.status(204).send(null);
    },
  );
  app.get(
    '/api/event-types',
    {
      config: { access: 'webhooks.manage' },
      schema: {
        tags,
        summary: '事件类型目录（Webhook 可订阅的全部领域事件）',
        response: { 200: Type.Object({ data: Type.Array(Type.Object({ type: Type.String(), description: Type.String() }, { title: 'EventType' })) }) },
      },
    },
    async () => ({ data: [...eventTypeCatalogue()].map(([type, description]) => ({ type, description })).sort((a, b) => a.type.localeCompare(b.type)) }),
  );
  app.get(
    '/api/webhooks/:id/deliveries',
    {
      config: { access: 'webhooks.manage' },
      schema: { tags, summary: '投递记录（每次尝试一条，最新在前）', params: IdParams, querystring: Query(PageQuery), response: { 200: Page(hooks.DeliveryView) } },
    },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      return idPage(await hooks.listDeliveries(req.ctx, req.params.id, afterIdOf(req.query.cursor), limit), limit, hooks.deliveryView);
    },
  );
  app.post(
    '/api/webhooks/:id/deliveries/:deliveryId/redeliveries',
    {
      config: { access: 'webhooks.manage' },
      schema: {
        tags,
        summary: '重新投递一条记录的事件（新的投递任务；事件的投递编号不变）',
        params: Body({ id: Uuid, deliveryId: Uuid }),
        response: { 202: Type.Object({ queued: Type.Boolean() }) },
      },
    },
    async (req, reply) => {
      await hooks.redeliver(req.ctx, req.params.id, req.params.deliveryId);
      return reply.status(202).send({ queued: true });
    },
  );
  app.post(
    '/api/webhooks/:id/pings',
    { config: { access: 'webhooks.manage' }, schema: { tags, summary: '发送测试事件 webhook.ping', params: IdParams, response: { 202: Type.Object({ queued: Type.Boolean() }) } } },
    async (req, reply) => {
      await hooks.ping(req.ctx, req.params.id);
      return reply.status(202).send({ queued: true });
    },
  );
}
