import { Type } from '@sinclair/typebox';
import type { App } from '../../platform/http/app-types.ts';
import { DEFAULT_LIMIT, Page, PageQuery, decodeCursor, isPositiveInt, toPage } from '../../platform/http/pagination.ts';
import { Body, IdParams, Nullable, Query, Uuid } from '../../platform/http/schemas.ts';
import { PRESETS } from '../../presets/index.ts';
import { PolicyDocument } from './document.ts';
import * as policy from './service.ts';

const tags = ['制度 Policy'];
const Note = Type.Optional(Nullable(Type.String({ maxLength: 1000 })));

const PresetView = Type.Object(
  { name: Type.String(), seed: Type.String(), title: Type.String(), description: Type.String(), organisation: Type.String() },
  { title: 'Preset' },
);

export function policyRoutes(app: App): void {
  app.get(
    '/api/policies',
    {
      config: { access: 'policy.read' },
      schema: { tags, summary: '制度版本列表（新版本在前）', querystring: Query(PageQuery), response: { 200: Page(policy.PolicyVersionSummary) } },
    },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      const rows = await policy.listVersions(req.ctx, decodeCursor(req.query.cursor, isPositiveInt), limit);
      return toPage(rows, limit, policy.summaryView, (r) => r.version);
    },
  );
  app.get(
    '/api/policies/current',
    { config: { access: 'policy.read' }, schema: { tags, summary: '当前生效（已发布）的制度', response: { 200: policy.PolicyVersion } } },
    async (req) => policy.getCurrent(req.ctx),
  );
  app.get(
    '/api/policies/:id',
    { config: { access: 'policy.read' }, schema: { tags, summary: '制度版本详情', params: IdParams, response: { 200: policy.PolicyVersion } } },
    async (req) => policy.getVersion(req.ctx, req.params.id),
  );
  app.post(
    '/api/policies',
    {
      config: { access: 'policy.draft' },
      schema: {
        tags,
        summary: '起草新版本（默认复制当前生效版本）',
        body: Body({ basedOn: Type.Optional(Uuid), document: Type.Optional(PolicyDocument), note: Note }),
        response: { 201: policy.PolicyVersion },
      },
    },
    async (req, reply) => reply.status(201).send(await policy.createDraft(req.ctx, req.body)),
  );
  app.patch(
    '/api/policies/:id',
    {
      config: { access: 'policy.draft' },
      schema: {
        tags,
        summary: '修改草稿',
        params: IdParams,
        body: Body({ document: Type.Optional(PolicyDocument), note: Note }, { minProperties: 1 }),
        response: { 200: policy.PolicyVersion },
      },
    },
    async (req) => policy.updateDraft(req.ctx, req.params.id, req.body),
  );
  app.post(
    '/api/policies/:id/approvals',
    { config: { access: 'policy.approve' }, schema: { tags, summary: '审批通过草稿', params: IdParams, response: { 201: policy.PolicyVersion } } },
    async (req, reply) => reply.status(201).send(await policy.approve(req.ctx, req.params.id)),
  );
  app.post(
    '/api/policies/:id/rejections',
    {
      config: { access: 'policy.approve' },
      schema: { tags, summary: '驳回（退回草稿并附意见）', params: IdParams, body: Body({ comment: Type.String({ minLength: 2, maxLength: 1000 }) }), response: { 201: policy.PolicyVersion } },
    },
    async (req, reply) => reply.status(201).send(await policy.reject(req.ctx, req.params.id, req.body.comment)),
  );
  app.post(
    '/api/policies/:id/publications',
    { config: { access: 'policy.publish' }, schema: { tags, summary: '发布已审批的版本（原生效版本废止）', params: IdParams, response: { 201: policy.PolicyVersion } } },
    async (req, reply) => reply.status(201).send(await policy.publish(req.ctx, req.params.id)),
  );
  app.get(
    '/api/presets',
    {
      config: { access: 'presets.read' },
      schema: { tags, summary: '可用的预设（每份种子制度一个）', querystring: Query(PageQuery), response: { 200: Page(PresetView) } },
    },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      const all = Object.values(PRESETS).map((p) => ({ name: p.name, seed: p.seed, title: p.title, description: p.description, organisation: p.policy.meta.organisation }));
      const start = decodeCursor(req.query.cursor, isPositiveInt) ?? 0;
      const rows = all.slice(start, start + limit + 1).map((p, i) => ({ ...p, index: start + i + 1 }));
      return toPage(rows, limit, ({ index: _index, ...p }) => p, (r) => r.index);
    },
  );
}
