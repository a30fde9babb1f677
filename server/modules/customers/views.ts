import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp, Uuid, iso, isoOrNull } from '../../platform/http/schemas.ts';
import { Pii } from '../../platform/pii/schema-mask.ts';
import type { customerImports, customerNotes, customerOrders, customerProducts, customers } from './schema.ts';

export const CUSTOMER_KINDS = ['person', 'organisation'] as const;
export type CustomerKind = (typeof CUSTOMER_KINDS)[number];
export const CustomerKindSchema = Type.Union(CUSTOMER_KINDS.map((k) => Type.Literal(k)), { description: 'person 个人 / organisation 企业' });

export const AddressView = Type.Object(
  {
    label: Nullable(Type.String({ maxLength: 40, description: '如：家、公司、收货地址' })),
    province: Nullable(Type.String({ maxLength: 40 })),
    city: Nullable(Type.String({ maxLength: 40 })),
    district: Nullable(Type.String({ maxLength: 40 })),
    street: Pii('address', { minLength: 1, maxLength: 200 }),
    postcode: Nullable(Type.String({ maxLength: 12 })),
  },
  { title: 'Address', additionalProperties: false },
);
export type AddressView = Static<typeof AddressView>;

export const CustomerView = Type.Object(
  {
    id: Uuid,
    kind: CustomerKindSchema,
    name: Type.String(),
    organisationId: Nullable(Uuid),
    title: Nullable(Type.String({ description: '在所属企业中的职务' })),
    phones: Type.Array(Pii('phone')),
    emails: Type.Array(Pii('email')),
    addresses: Type.Array(AddressView),
    tags: Type.Array(Type.String()),
    tier: Nullable(Type.String({ description: '按订单计算的客户等级（如 vip），策略 customerTiers' })),
    tierComputedAt: Nullable(Timestamp),
    externalId: Nullable(Type.String()),
    source: Nullable(Type.String({ description: 'chat / email / phone / form / api / import / console' })),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'Customer' },
);
export type CustomerView = Static<typeof CustomerView>;

export function customerView(r: typeof customers.$inferSelect): CustomerView {
  return {
    id: r.id,
    kind: r.kind as CustomerKind,
    name: r.name,
    organisationId: r.organisationId,
    title: r.title,
    phones: r.phones,
    emails: r.emails,
    addresses: r.addresses,
    tags: r.tags,
    tier: r.tier,
    tierComputedAt: isoOrNull(r.tierComputedAt),
    externalId: r.externalId,
    source: r.source,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

export const CustomerDetailView = Type.Composite(
  [
    CustomerView,
    Type.Object({
      organisationName: Nullable(Type.String({ description: '所属企业名称' })),
      contactsCount: Nullable(Type.Integer({ description: '企业档案的联系人数量；个人档案为 null' })),
    }),
  ],
  { title: 'CustomerDetail' },
);
export type CustomerDetailView = Static<typeof CustomerDetailView>;

export const ORDER_STATUSES = ['pending', 'paid', 'shipped', 'completed', 'refunded', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const OrderStatusSchema = Type.Union(ORDER_STATUSES.map((s) => Type.Literal(s)), {
  description: 'pending 待付款 / paid 已付款 / shipped 已发货 / completed 已完成 / refunded 已退款 / cancelled 已取消；已付款、已发货、已完成计入消费',
});

export const OrderItemView = Type.Object(
  {
    sku: Nullable(Type.String({ maxLength: 64 })),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    quantity: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    unitPriceFen: Type.Integer({ minimum: 0, maximum: 100_000_000_000, description: '单价（分）' }),
  },
  { title: 'OrderItem', additionalProperties: false },
);

export const OrderView = Type.Object(
  {
    id: Uuid,
    customerId: Uuid,
    number: Type.String(),
    items: Type.Array(OrderItemView),
    amountFen: Type.Integer({ description: '订单金额（分）' }),
    status: OrderStatusSchema,
    orderedAt: Timestamp,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'CustomerOrder' },
);
export type OrderView = Static<typeof OrderView>;

export function orderView(r: typeof customerOrders.$inferSelect): OrderView {
  return {
    id: r.id,
    customerId: r.customerId,
    number: r.number,
    items: r.items,
    amountFen: r.amountFen,
    status: r.status as OrderStatus,
    orderedAt: iso(r.orderedAt),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

export const ProductView = Type.Object(
  {
    id: Uuid,
    customerId: Uuid,
    model: Type.String(),
    serialNumber: Nullable(Type.String()),
    orderId: Nullable(Uuid),
    purchasedOn: Nullable(Type.String({ format: 'date' })),
    warrantyEndsOn: Nullable(Type.String({ format: 'date' })),
    underWarranty: Nullable(Type.Boolean({ description: '按机构时区的今天是否仍在保修期内；未填保修截止日为 null' })),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'CustomerProduct' },
);
export type ProductView = Static<typeof ProductView>;

/** `today` is the date in the organisation's time zone (YYYY-MM-DD). */
export function productView(r: typeof customerProducts.$inferSelect, today: string): ProductView {
  return {
    id: r.id,
    customerId: r.customerId,
    model: r.model,
    serialNumber: r.serialNumber,
    orderId: r.orderId,
    purchasedOn: r.purchasedOn,
    warrantyEndsOn: r.warrantyEndsOn,
    underWarranty: r.warrantyEndsOn === null ? null : today <= r.warrantyEndsOn,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

export const NoteView = Type.Object(
  { id: Uuid, customerId: Uuid, authorId: Nullable(Uuid), body: Type.String(), createdAt: Timestamp },
  { title: 'CustomerNote' },
);
export type NoteView = Static<typeof NoteView>;

export function noteView(r: typeof customerNotes.$inferSelect): NoteView {
  return { ...r, createdAt: iso(r.createdAt) };
}

export const ReferralView = Type.Object(
  {
    id: Uuid,
    referrerId: Uuid,
    referrerName: Type.String(),
    referredId: Uuid,
    referredName: Type.String(),
    referredOn: Type.String({ format: 'date' }),
    relationship: Nullable(Type.String()),
    need: Nullable(Type.String()),
    note: Nullable(Type.String()),
    recordedBy: Nullable(Uuid),
    createdAt: Timestamp,
  },
  { title: 'CustomerReferral' },
);
export type ReferralView = Static<typeof ReferralView>;

export const IMPORT_MODES = ['all_or_nothing', 'valid_only'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];
export const IMPORT_STATUSES = ['queued', 'validating', 'running', 'completed', 'rejected', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

export const ImportProblem = Type.Object(
  {
    row: Type.Integer({ description: '行号，与 Excel 中看到的一致（表头为第 1 行）' }),
    field: Nullable(Type.String({ description: '列名（与文件表头一致）' })),
    reason: Type.String(),
  },
  { title: 'ImportProblem' },
);
export type ImportProblem = Static<typeof ImportProblem>;

export const ImportView = Type.Object(
  {
    id: Uuid,
    fileName: Type.String(),
    format: Type.Union([Type.Literal('csv'), Type.Literal('xlsx')]),
    mode: Type.Union(IMPORT_MODES.map((m) => Type.Literal(m)), { description: 'all_or_nothing 有错则全部不导入 / valid_only 只导入正确的行' }),
    status: Type.Union(IMPORT_STATUSES.map((s) => Type.Literal(s)), {
      description: 'queued 排队 / validating 校验中 / running 导入中 / completed 完成 / rejected 有错误未导入 / failed 出错中止',
    }),
    totalRows: Type.Integer(),
    processedRows: Type.Integer(),
    importedRows: Type.Integer(),
    report: Type.Array(ImportProblem),
    createdBy: Nullable(Uuid),
    createdAt: Timestamp,
    finishedAt: Nullable(Timestamp),
  },
  { title: 'CustomerImport' },
);
export type ImportView = Static<typeof ImportView>;

export function importView(r: typeof customerImports.$inferSelect): ImportView {
  return {
    ...r,
    format: r.format as ImportView['format'],
    mode: r.mode as ImportMode,
    status: r.status as ImportStatus,
    createdAt: iso(r.createdAt),
    finishedAt: isoOrNull(r.finishedAt),
  };
}
