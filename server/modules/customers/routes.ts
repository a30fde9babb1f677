import { Type } from '@sinclair/typebox';
import { RequestError } from '../../platform/errors.ts';
import { FileError, type FileStore } from '../../platform/files/store.ts';
import type { App } from '../../platform/http/app-types.ts';
import { attachment } from '../../platform/http/download.ts';
import { DEFAULT_LIMIT, Page, PageQuery, afterIdOf, decodeCursor, idPage, toPage } from '../../platform/http/pagination.ts';
import { Body, IdParams, Optional, Query, Text, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import type { JobRunner } from '../../platform/jobs/runner.ts';
import { PHONE_PATTERN } from '../../platform/pii/validate.ts';
import { HistoryItemView, customerHistory, historyCursor } from '../conversations/history.ts';
import { ImportError, LIMITS, exportCustomers, getImport, installImportJob, startImport } from './import-export.ts';
import * as customers from './service.ts';
import { installTierRefresh } from './tiers.ts';
import {
  CustomerDetailView,
  CustomerKindSchema,
  CustomerView,
  IMPORT_MODES,
  ImportView,
  NoteView,
  OrderStatusSchema,
  OrderView,
  ProductView,
  ReferralView,
  customerView,
  noteView,
  orderView,
  type ImportMode,
} from './views.ts';

const tags = ['客户档案 Customers'];
const DateOnly = Type.String({ format: 'date', description: 'YYYY-MM-DD' });

const AddressInput = Body(
  {
    label: Optional(Type.String({ maxLength: 40, description: '如：家、公司、收货地址' })),
    province: Optional(Type.String({ maxLength: 40 })),
    city: Optional(Type.String({ maxLength: 40 })),
    district: Optional(Type.String({ maxLength: 40 })),
    street: Text(LIMITS.street),
    postcode: Optional(Type.String({ maxLength: 12 })),
  },
  { title: 'AddressInput' },
);

const CustomerFields = {
  kind: CustomerKindSchema,
  name: Text(LIMITS.name),
  organisationId: Optional(Uuid),
  title: Optional(Type.String({ maxLength: LIMITS.title, description: '在所属企业中的职务' })),
  phones: Type.Optional(Type.Array(Type.String({ pattern: PHONE_PATTERN, maxLength: 32 }), { maxItems: LIMITS.phones, description: '保存为数字（保留开头的 +）；中国大陆手机号去掉 +86' })),
  emails: Type.Optional(Type.Array(Type.String({ format: 'email', maxLength: LIMITS.email }), { maxItems: LIMITS.emails })),
  addresses: Type.Optional(Type.Array(AddressInput, { maxItems: LIMITS.addresses })),
  tags: Type.Optional(Type.Array(Text(LIMITS.tag), { maxItems: LIMITS.tags })),
  externalId: Optional(Type.String({ maxLength: LIMITS.externalId, description: '外部系统（如 ERP、电商平台）的客户编号，唯一' })),
};
const CreateCustomer = Body({ ...CustomerFields, kind: Type.Optional(CustomerKindSchema) });
const UpdateCustomer = Body(Type.Partial(Type.Object(CustomerFields)).properties, { minProperties: 1 });

const Filters = {
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: '按姓名模糊搜索，或完整的手机号、邮箱、外部编号精确查找' })),
  tag: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.tag })),
  tier: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{1,47}$', description: '客户等级编码，如 vip' })),
  kind: Type.Optional(CustomerKindSchema),
  organisationId: Type.Optional(Type.String({ format: 'uuid', description: '列出该企业的联系人' })),
};

const OrderItemInput = Body({
  sku: Optional(Type.String({ maxLength: 64 })),
  name: Text(200),
  quantity: Type.Integer({ minimum: 1, maximum: 100_000 }),
  unitPriceFen: Type.Integer({ minimum: 0, maximum: 10_000_000_000, description: '单价（分）' }),
});
const OrderFields = {
  number: Type.String({ minLength: 1, maxLength: 64, pattern: '^\\S(.*\\S)?$', description: '订单号，全局唯一' }),
  items: Type.Array(OrderItemInput, { maxItems: 200 }),
  amountFen: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: '订单金额（分）；不填则按明细计算' })),
  status: OrderStatusSchema,
  orderedAt: Timestamp,
};
const CreateOrder = Body({ ...OrderFields, items: Type.Optional(OrderFields.items) });
const UpdateOrder = Body(Type.Partial(Type.Object(OrderFields)).properties, { minProperties: 1 });

const ProductFields = {
  model: Text(100, '产品型号'),
  serialNumber: Optional(Type.String({ maxLength: 100 })),
  purchasedOn: Optional(DateOnly),
  warrantyEndsOn: Optional(DateOnly),
  orderId: Optional(Uuid),
};
const CreateProduct = Body(ProductFields);
const UpdateProduct = Body(Type.Partial(Type.Object(ProductFields)).properties, { minProperties: 1 });

const CreateReferral = Body({
  referrerId: Type.String({ format: 'uuid', description: '转介人（老客户）' }),
  referredId: Type.String({ format: 'uuid', description: '被转介的客户' }),
  referredOn: DateOnly,
  relationship: Optional(Type.String({ maxLength: 50, description: '与转介人的关系' })),
  need: Optional(Type.String({ maxLength: 500, description: '客户需求' })),
  note: Optional(Type.String({ maxLength: 1000 })),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isTimeIdCursor = (v: unknown): v is [string, string] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0])) && typeof v[1] === 'string' && UUID.test(v[1]);

export interface CustomerDeps {
  jobs: JobRunner;
  files: FileStore;
}

/** C1–C3, C5: archives, orders, products, notes, referrals, history, import and export; also runs their jobs. */
export function customerRoutes(app: App, deps: CustomerDeps): void {
  installTierRefresh(deps.jobs);
  installImportJob(deps.jobs, deps);

  // ----- archive -----
  app.get(
    '/api/customers',
    {
      config: { access: 'customers.read' },
      schema: {
        tags,
        summary: '客户档案列表（新建的在前）',
        description: '手机号、邮箱、地址始终脱敏返回；原文请调用 POST /api/reveals（entityType=customer，field 如 phones.0）。导出见 GET /api/customers/exports。',
        querystring: Query({ ...PageQuery, ...Filters }),
        response: { 200: Page(CustomerView) },
      },
    },
    async (req) => {
      const { cursor, limit = DEFAULT_LIMIT, ...filter } = req.query;
      const rows = await customers.listCustomers(req.ctx, { ...filter, beforeId: afterIdOf(cursor), limit });
      return idPage(rows, limit, customerView);
    },
  );
  app.post(
    '/api/customers',
    { config: { access: 'customers.manage' }, schema: { tags, summary: '新建客户档案（个人或企业）', body: CreateCustomer, response: { 201: CustomerView } } },
    async (req, reply) => reply.status(201).send(await customers.createCustomer(req.ctx, { ...req.body, kind: req.body.kind ?? 'person' })),
  );
  app.get(
    '/api/customers/exports',
    {
      config: { access: 'customers.export' },
      schema: {
        tags,
        summary: '导出客户档案（CSV 或 Excel，个人信息为原文，须填写原因并记入审计）',
        description: '列与导入模板相同，可修改后再导入。CSV 为带 BOM 的 UTF-8，Excel 可直接打开中文。',
        querystring: Query({
          format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('xlsx')], { default: 'csv' })),
          reason: Type.String({ minLength: 2, maxLength: 200, pattern: '\\S[\\s\\S]*\\S', description: '导出原因，如“年度客户回访”' }),
          ...Filters,
        }),
      },
    },
    async (req, reply) => {
      const { format = 'csv', reason, ...filter } = req.query;
      const file = await exportCustomers(req.ctx, filter, format, reason);
      return reply
        .header('content-disposition', attachment(file.fileName))
        .header('x-kefu-rows', String(file.rows))
        .type(file.contentType)
        .send(file.body);
    },
  );
  app.post(
    '/api/customers/imports',
    {
      config: { access: 'customers.import' },
      schema: {
        tags,
        summary: '导入客户档案（CSV/Excel）：不超过 500 行当场导入并返回 201 和结果，更多行转入后台返回 202',
        description: [
          'multipart/form-data：file（.csv 为 UTF-8 或 GBK，或 .xlsx）与 mode（all_or_nothing 默认：有一行错误则全部不导入；valid_only：只导入正确的行）。',
          '表头（第 1 行）：姓名（必填）、类型(个人/企业)、手机、邮箱、地址、标签、所属企业、职务、外部编号；也可用英文 name、kind、phones、emails、address、tags、organisation、title、externalId。',
          '多个手机、邮箱、标签用 ; 、，或 , 分隔，多个地址用 ; 分隔。有外部编号且已存在则更新该档案，文件中没有的列保持不变；企业按外部编号或名称匹配；所属企业不存在时自动新建。',
          '进度通过 /api/realtime 的 customer_import.progress 事件推送给导入人，也可查询 GET /api/customers/imports/{id}。',
        ].join('\n'),
        consumes: ['multipart/form-data'],
        response: { 201: ImportView, 202: ImportView },
      },
    },
    async (req, reply) => {
      if (!req.isMultipart()) throw ImportError('not_multipart');
      let file: { fileName: string; bytes: Buffer } | null = null;
      let mode: ImportMode = 'all_or_nothing';
      for await (const part of req.parts()) {
        if (part.type === 'file' && part.fieldname === 'file') {
          try {
            file = { fileName: part.filename || 'customers.csv', bytes: await part.toBuffer() };
          } catch (cause) {
            if ((cause as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw FileError('too_large', { field: 'file', params: { limit: deps.files.maxBytes }, cause });
            throw cause;
          }
        } else if (part.type === 'field' && part.fieldname === 'mode') {
          if (!(IMPORT_MODES as readonly unknown[]).includes(part.value)) throw ImportError('invalid_mode', { field: 'mode' });
          mode = part.value as ImportMode;
        } else {
          throw RequestError('unknown_field', { field: part.fieldname, params: { name: part.fieldname } });
        }
      }
      if (!file || file.bytes.length === 0) throw FileError(file ? 'empty' : 'missing', { field: 'file' });
      const result = await startImport(req.ctx, deps, file, mode);
      return reply.status(result.status).send(result.view);
    },
  );
  app.get(
    '/api/customers/imports/:id',
    { config: { access: 'customers.import' }, schema: { tags, summary: '导入进度与逐行报告（行、列、原因）', params: IdParams, response: { 200: ImportView } } },
    async (req) => getImport(req.ctx, req.params.id),
  );
  app.get(
    '/api/customers/:id',
    { config: { access: 'customers.read' }, schema: { tags, summary: '客户档案详情（企业档案含联系人数量）', params: IdParams, response: { 200: CustomerDetailView } } },
    async (req) => customers.getCustomer(req.ctx, req.params.id),
  );
  app.patch(
    '/api/customers/:id',
    {
      config: { access: 'customers.manage' },
      schema: { tags, summary: '修改客户档案（手机、邮箱、地址、标签整体替换）', params: IdParams, body: UpdateCustomer, response: { 200: CustomerView } },
    },
    async (req) => customers.updateCustomer(req.ctx, req.params.id, req.body),
  );
  app.get(
    '/api/customers/:id/conversations',
    {
      config: { access: 'customers.read' },
      schema: {
        tags,
        summary: '客户在各渠道的全部会话（新的在前；企业档案含其联系人的会话）',
        params: IdParams,
        querystring: Query(PageQuery),
        response: { 200: Page(HistoryItemView) },
      },
    },
    async (req) => {
      const after = historyCursor(req.query.cursor);
      return customerHistory(req.ctx, await customers.historySubjects(req.ctx, req.params.id), { after, limit: req.query.limit ?? DEFAULT_LIMIT });
    },
  );

  // ----- orders -----
  app.get(
    '/api/customers/:id/orders',
    { config: { access: 'customers.read' }, schema: { tags, summary: '客户订单（按下单时间，新的在前）', params: IdParams, querystring: Query(PageQuery), response: { 200: Page(OrderView) } } },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      const rows = await customers.listOrders(req.ctx, req.params.id, { after: decodeCursor(req.query.cursor, isTimeIdCursor), limit });
      return toPage(rows, limit, orderView, (r) => [r.orderedAt.toISOString(), r.id]);
    },
  );
  app.post(
    '/api/customers/:id/orders',
    { config: { access: 'customers.manage' }, schema: { tags, summary: '录入订单（重新计算客户等级）', params: IdParams, body: CreateOrder, response: { 201: OrderView } } },
    async (req, reply) => reply.status(201).send(await customers.createOrder(req.ctx, req.params.id, { ...req.body, items: req.body.items ?? [] })),
  );
  app.patch(
    '/api/orders/:id',
    { config: { access: 'customers.manage' }, schema: { tags, summary: '修改订单（重新计算客户等级）', params: IdParams, body: UpdateOrder, response: { 200: OrderView } } },
    async (req) => customers.updateOrder(req.ctx, req.params.id, req.body),
  );
  app.delete(
    '/api/orders/:id',
    { config: { access: 'customers.manage' }, schema: { tags, summary: '删除订单（重新计算客户等级）', params: IdParams, response: { 204: Type.Null() } } },
    async (req, reply) => {
      await customers.deleteOrder(req.ctx, req.params.id);
      return reply.status(204).send(null);
    },
  );

  // ----- products owned -----
  app.get(
    '/api/customers/:id/products',
    { config: { access: 'customers.read' }, schema: { tags, summary: '客户拥有的产品（型号、序列号、保修）', params: IdParams, querystring: Query(PageQuery), response: { 200: Page(ProductView) } } },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      const rows = await customers.listProducts(req.ctx, req.params.id, { beforeId: afterIdOf(req.query.cursor), limit });
      return idPage(rows, limit, (v) => v);
    },
  );
  app.post(
    '/api/customers/:id/products',
    { config: { access: 'customers.manage' }, schema: { tags, summary: '登记客户产品', params: IdParams, body: CreateProduct, response: { 201: ProductView } } },
    async (req, reply) => reply.status(201).send(await customers.createProduct(req.ctx, req.params.id, req.body)),
  );
  app.patch(
    '/api/customer-products/:id',
    { config: { access: 'customers.manage' }, schema: { tags, summary: '修改客户产品', params: IdParams, body: UpdateProduct, response: { 200: ProductView } } },
    async (req) => customers.updateProduct(req.ctx, req.params.id, req.body),
  );
  app.delete(
    '/api/customer-products/:id',
    { config: { access: 'customers.manage' }, schema: { tags, summary: '删除客户产品', params: IdParams, response: { 204: Type.Null() } } },
    async (req, reply) => {
      await customers.deleteProduct(req.ctx, req.params.id);
      return reply.status(204).send(null);
    },
  );

  // ----- notes -----
  app.get(
    '/api/customers/:id/notes',
    { config: { access: 'customers.read' }, schema: { tags, summary: '客户备注（新的在前）', params: IdParams, querystring: Query(PageQuery), response: { 200: Page(NoteView) } } },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      const rows = await customers.listNotes(req.ctx, req.params.id, { beforeId: afterIdOf(req.query.cursor), limit });
      return idPage(rows, limit, noteView);
    },
  );
  app.post(
    '/api/customers/:id/notes',
    { config: { access: 'customers.manage' }, schema: { tags, summary: '添加客户备注', params: IdParams, body: Body({ body: Text(5000) }), response: { 201: NoteView } } },
    async (req, reply) => reply.status(201).send(await customers.createNote(req.ctx, req.params.id, req.body.body)),
  );

  // ----- referrals (C3) -----
  app.get(
    '/api/customers/:id/referrals',
    {
      config: { access: 'customers.read' },
      schema: { tags, summary: '客户转介记录（其转介的客户与转介其的客户）', params: IdParams, querystring: Query(PageQuery), response: { 200: Page(ReferralView) } },
    },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      const rows = await customers.listReferrals(req.ctx, req.params.id, { beforeId: afterIdOf(req.query.cursor), limit });
      return idPage(rows, limit, (v) => v);
    },
  );
  app.post(
    '/api/referrals',
    { config: { access: 'customers.manage' }, schema: { tags, summary: '登记客户转介（客户转介表）', body: CreateReferral, response: { 201: ReferralView } } },
    async (req, reply) => reply.status(201).send(await customers.createReferral(req.ctx, req.body)),
  );
}
