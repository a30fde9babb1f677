import { aliasedTable, and, count, desc, eq, ilike, inArray, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/columns.ts';
import type { Ctx } from '../../platform/context.ts';
import { defineErrors } from '../../platform/errors.ts';
import { declareEventTypes } from '../../platform/events/outbox.ts';
import { maskEmail, maskPhone } from '../../platform/pii/mask.ts';
import { registerRevealable } from '../../platform/pii/reveal.ts';
import { write } from '../../platform/write.ts';
import type { PolicyDocument } from '../policy/document.ts';
import { currentPolicy } from '../policy/service.ts';
import { CUSTOMER_AUDIENCE } from './audience.ts';
import { lockContacts, normaliseEmail, normalisePhone, startingTier } from './lookup.ts';
import { customerNotes, customerOrders, customerProducts, customerReferrals, customers, type Address, type OrderItem } from './schema.ts';
import { orgZone, refreshTier } from './tiers.ts';
import {
  CustomerView,
  NoteView,
  OrderView,
  ProductView,
  ReferralView,
  customerView,
  noteView,
  orderView,
  productView,
  type CustomerDetailView,
  type CustomerKind,
  type OrderStatus,
} from './views.ts';

export const CustomerError = defineErrors('customers', {
  not_found: [404, { 'zh-CN': '客户档案不存在', 'zh-TW': '客戶檔案不存在', en: 'Customer not found' }],
  organisation_not_found: [404, { 'zh-CN': '所属企业档案不存在', 'zh-TW': '所屬企業檔案不存在', en: 'The organisation archive does not exist' }],
  not_an_organisation: [400, { 'zh-CN': '所属企业必须是企业档案，不能是个人', 'zh-TW': '所屬企業必須是企業檔案，不能是個人', en: 'The organisation must be an organisation archive, not a person' }],
  organisation_cannot_belong: [400, { 'zh-CN': '企业档案不能再隶属于其他企业', 'zh-TW': '企業檔案不能再隸屬於其他企業', en: 'An organisation cannot belong to another organisation' }],
  has_contacts: [409, { 'zh-CN': '该企业下还有 {count} 位联系人，不能改为个人档案', 'zh-TW': '該企業下還有 {count} 位聯絡人，不能改為個人檔案', en: 'The organisation still has {count} contacts; it cannot become a person' }],
  phone_taken: [409, { 'zh-CN': '手机号 {value} 已登记在另一客户档案（{customerId}）', 'zh-TW': '手機號碼 {value} 已登記在另一客戶檔案（{customerId}）', en: 'Phone {value} already belongs to another customer ({customerId})' }],
  email_taken: [409, { 'zh-CN': '邮箱 {value} 已登记在另一客户档案（{customerId}）', 'zh-TW': '電子郵件 {value} 已登記在另一客戶檔案（{customerId}）', en: 'Email {value} already belongs to another customer ({customerId})' }],
  external_id_taken: [409, { 'zh-CN': '外部编号 {externalId} 已被客户档案（{customerId}）使用', 'zh-TW': '外部編號 {externalId} 已被客戶檔案（{customerId}）使用', en: 'External id {externalId} is already used by customer {customerId}' }],
  order_not_found: [404, { 'zh-CN': '订单不存在', 'zh-TW': '訂單不存在', en: 'Order not found' }],
  order_number_taken: [409, { 'zh-CN': '订单号 {number} 已存在', 'zh-TW': '訂單號 {number} 已存在', en: 'Order number {number} already exists' }],
  amount_required: [400, { 'zh-CN': '没有商品明细时必须填写订单金额', 'zh-TW': '沒有商品明細時必須填寫訂單金額', en: 'Give the amount when the order has no items' }],
  amount_too_large: [400, { 'zh-CN': '订单金额超出上限', 'zh-TW': '訂單金額超出上限', en: 'The order amount is too large' }],
  order_in_use: [409, { 'zh-CN': '订单已关联客户产品，请先解除关联', 'zh-TW': '訂單已關聯客戶產品，請先解除關聯', en: 'Products refer to this order; unlink them first' }],
  product_not_found: [404, { 'zh-CN': '客户产品不存在', 'zh-TW': '客戶產品不存在', en: 'Product not found' }],
  order_of_other_customer: [400, { 'zh-CN': '关联的订单不属于该客户', 'zh-TW': '關聯的訂單不屬於該客戶', en: 'The order belongs to another customer' }],
  warranty_before_purchase: [400, { 'zh-CN': '保修截止日期不能早于购买日期', 'zh-TW': '保固截止日期不能早於購買日期', en: 'The warranty cannot end before the purchase date' }],
  self_referral: [400, { 'zh-CN': '客户不能转介自己', 'zh-TW': '客戶不能轉介自己', en: 'A customer cannot refer themselves' }],
  referral_exists: [409, { 'zh-CN': '该转介记录已存在', 'zh-TW': '該轉介記錄已存在', en: 'This referral is already recorded' }],
  referral_in_future: [400, { 'zh-CN': '转介日期不能晚于今天', 'zh-TW': '轉介日期不能晚於今天', en: 'The referral date cannot be in the future' }],
});

declareEventTypes({
  'customer_order.created': '客户订单已录入',
  'customer_order.updated': '客户订单已修改',
  'customer_order.deleted': '客户订单已删除',
  'customer_product.created': '客户产品已登记',
  'customer_product.updated': '客户产品已修改',
  'customer_product.deleted': '客户产品已删除',
  'customer_note.created': '客户备注已添加',
  'customer_referral.created': '客户转介已登记',
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** ¥100 亿 in fen: far above any real order, far below where sums lose precision. */
const MAX_AMOUNT_FEN = 1_000_000_000_000;

registerRevealable('customer', {
  schema: CustomerView,
  async load(ctx, id) {
    if (!UUID.test(id)) return null;
    const [row] = await ctx.db.select().from(customers).where(eq(customers.id, id)).limit(1);
    return row ? customerView(row) : null;
  },
});

/** Only the keys the caller sent; `undefined` means "leave unchanged". */
function defined<T extends Record<string, unknown>>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Today's date (YYYY-MM-DD) in the organisation's time zone. */
export function orgToday(policy: PolicyDocument, now: Date): string {
  return DateTime.fromJSDate(now, { zone: orgZone(policy) }).toISODate()!;
}

// ---------- archive ----------

export interface AddressInput {
  label?: string | null;
  province?: string | null;
  city?: string | null;
  district?: string | null;
  street: string;
  postcode?: string | null;
}

export interface CustomerInput {
  kind: CustomerKind;
  name: string;
  organisationId?: string | null;
  title?: string | null;
  phones?: string[];
  emails?: string[];
  addresses?: AddressInput[];
  tags?: string[];
  externalId?: string | null;
}

const blankToNull = (v: string | null | undefined): string | null => (v?.trim() ? v.trim() : null);
const unique = (values: string[]): string[] => [...new Set(values.filter((v) => v !== ''))];

export const normalisePhones = (phones: string[]): string[] => unique(phones.map(normalisePhone));
export const normaliseEmails = (emails: string[]): string[] => unique(emails.map(normaliseEmail));
export const normaliseTags = (tags: string[]): string[] => unique(tags.map((t) => t.trim()));

export function normaliseAddress(a: AddressInput): Address {
  return {
    label: blankToNull(a.label),
    province: blankToNull(a.province),
    city: blankToNull(a.city),
    district: blankToNull(a.district),
    street: a.street.trim(),
    postcode: blankToNull(a.postcode),
  };
}

function findCustomer(db: Executor, id: string, lock = false) {
  const q = db.select().from(customers).where(eq(customers.id, id)).limit(1);
  return (lock ? q.for('update') : q).then(([row]) => {
    if (!row) throw CustomerError('not_found');
    return row;
  });
}

/** Who already holds any of these phones or emails, other than `self`. */
export async function contactOwners(db: Executor, phones: string[], emails: string[], self: string | null) {
  if (phones.length === 0 && emails.length === 0) return [];
  const overlap: SQL[] = [];
  if (phones.length) overlap.push(sql`${customers.phones} && ${`{${phones.map(arrayLiteral).join(',')}}`}::text[]`);
  if (emails.length) overlap.push(sql`${customers.emails} && ${`{${emails.map(arrayLiteral).join(',')}}`}::text[]`);
  return db
    .select({ id: customers.id, phones: customers.phones, emails: customers.emails })
    .from(customers)
    .where(and(or(...overlap), self ? ne(customers.id, self) : undefined));
}

/** One element of a PostgreSQL array literal, quoted so commas and braces in values stay inside it. */
function arrayLiteral(v: string): string {
  return `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

async function assertContactsFree(db: Executor, phones: string[], emails: string[], self: string | null): Promise<void> {
  const owners = await contactOwners(db, phones, emails, self);
  for (const [i, p] of phones.entries()) {
    const owner = owners.find((o) => o.phones.includes(p));
    if (owner) throw CustomerError('phone_taken', { field: `phones.${i}`, params: { value: maskPhone(p), customerId: owner.id } });
  }
  for (const [i, e] of emails.entries()) {
    const owner = owners.find((o) => o.emails.includes(e));
    if (owner) throw CustomerError('email_taken', { field: `emails.${i}`, params: { value: maskEmail(e), customerId: owner.id } });
  }
}

async function assertExternalIdFree(db: Executor, externalId: string | null | undefined, self: string | null): Promise<void> {
  if (!externalId) return;
  const [taken] = await db
    .select({ id: customers.id })
    .from(customers)
    .where(and(eq(customers.externalId, externalId), self ? ne(customers.id, self) : undefined))
    .limit(1);
  if (taken) throw CustomerError('external_id_taken', { field: 'externalId', params: { externalId, customerId: taken.id } });
}

async function assertPlacement(db: Executor, kind: CustomerKind, organisationId: string | null): Promise<void> {
  if (!organisationId) return;
  if (kind === 'organisation') throw CustomerError('organisation_cannot_belong', { field: 'organisationId' });
  const [org] = await db.select({ kind: customers.kind }).from(customers).where(eq(customers.id, organisationId)).limit(1);
  if (!org) throw CustomerError('organisation_not_found', { field: 'organisationId' });
  if (org.kind !== 'organisation') throw CustomerError('not_an_organisation', { field: 'organisationId' });
}

export async function contactsCount(db: Executor, organisationId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(customers).where(eq(customers.organisationId, organisationId));
  return row?.n ?? 0;
}

export async function createCustomer(ctx: Ctx, input: CustomerInput): Promise<CustomerView> {
  return write(ctx, async (w) => {
    const phones = normalisePhones(input.phones ?? []);
    const emails = normaliseEmails(input.emails ?? []);
    const organisationId = input.organisationId ?? null;
    await lockContacts(w, [...phones, ...emails]);
    await assertPlacement(w.tx, input.kind, organisationId);
    await assertContactsFree(w.tx, phones, emails, null);
    const externalId = blankToNull(input.externalId);
    await assertExternalIdFree(w.tx, externalId, null);
    const [row] = await w.tx
      .insert(customers)
      .values({
        id: newId(),
        kind: input.kind,
        name: input.name.trim(),
        organisationId,
        title: blankToNull(input.title),
        phones,
        emails,
        addresses: (input.addresses ?? []).map(normaliseAddress),
        tags: normaliseTags(input.tags ?? []),
        tier: startingTier(await currentPolicy(w.tx), w.now),
        tierComputedAt: w.now,
        externalId,
        source: 'console',
        createdAt: w.now,
        updatedAt: w.now,
      })
      .returning();
    const after = customerView(row!);
    await w.changed({ entityType: 'customer', entityId: after.id, schema: CustomerView, before: null, after, event: 'customer.created', audience: CUSTOMER_AUDIENCE });
    return after;
  });
}

export async function updateCustomer(ctx: Ctx, id: string, patch: Partial<CustomerInput>): Promise<CustomerView> {
  return write(ctx, async (w) => {
    const phones = patch.phones && normalisePhones(patch.phones);
    const emails = patch.emails && normaliseEmails(patch.emails);
    await lockContacts(w, [...(phones ?? []), ...(emails ?? [])]);
    const row = await findCustomer(w.tx, id, true);
    const kind = patch.kind ?? (row.kind as CustomerKind);
    const organisationId = patch.organisationId !== undefined ? patch.organisationId : row.organisationId;
    if (row.kind === 'organisation' && kind === 'person') {
      const n = await contactsCount(w.tx, id);
      if (n > 0) throw CustomerError('has_contacts', { field: 'kind', params: { count: n } });
    }
    await assertPlacement(w.tx, kind, organisationId);
    if (phones || emails) await assertContactsFree(w.tx, phones ?? [], emails ?? [], id);
    const externalId = patch.externalId === undefined ? undefined : blankToNull(patch.externalId);
    await assertExternalIdFree(w.tx, externalId, id);
    const [updated] = await w.tx
      .update(customers)
      .set({
        ...defined({
          kind: patch.kind,
          name: patch.name?.trim(),
          organisationId: patch.organisationId,
          title: patch.title === undefined ? undefined : blankToNull(patch.title),
          phones,
          emails,
          addresses: patch.addresses?.map(normaliseAddress),
          tags: patch.tags && normaliseTags(patch.tags),
          externalId,
        }),
        updatedAt: w.now,
      })
      .where(eq(customers.id, id))
      .returning();
    const before = customerView(row);
    const after = customerView(updated!);
    await w.changed({ entityType: 'customer', entityId: id, schema: CustomerView, before, after, event: 'customer.updated', audience: CUSTOMER_AUDIENCE });
    return after;
  });
}

export async function getCustomer(ctx: Ctx, id: string): Promise<CustomerDetailView> {
  const row = await findCustomer(ctx.db, id);
  let organisationName: string | null = null;
  if (row.organisationId) {
    const [org] = await ctx.db.select({ name: customers.name }).from(customers).where(eq(customers.id, row.organisationId)).limit(1);
    organisationName = org?.name ?? null;
  }
  const contacts = row.kind === 'organisation' ? await contactsCount(ctx.db, id) : null;
  return { ...customerView(row), organisationName, contactsCount: contacts };
}

export interface CustomerFilter {
  q?: string;
  tag?: string;
  tier?: string;
  kind?: CustomerKind;
  organisationId?: string;
}

/** Escapes LIKE wildcards so a search for "50%" finds "50%", not everything. */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** q matches part of the name, or a whole phone, email or external id. */
export function customerConditions(f: CustomerFilter): SQL[] {
  const cond: SQL[] = [];
  if (f.q) {
    const q = f.q.trim();
    const match: SQL[] = [ilike(customers.name, likePattern(q)), eq(customers.externalId, q)];
    const phone = normalisePhone(q);
    if (/^\+?\d{5,}$/.test(phone)) match.push(sql`${customers.phones} @> array[${phone}]::text[]`);
    if (q.includes('@')) match.push(sql`${customers.emails} @> array[${normaliseEmail(q)}]::text[]`);
    cond.push(or(...match)!);
  }
  if (f.tag) cond.push(sql`${customers.tags} @> array[${f.tag.trim()}]::text[]`);
  if (f.tier) cond.push(eq(customers.tier, f.tier));
  if (f.kind) cond.push(eq(customers.kind, f.kind));
  if (f.organisationId) cond.push(eq(customers.organisationId, f.organisationId));
  return cond;
}

/** Newest archives first; the cursor is the last id of the page. */
export async function listCustomers(ctx: Ctx, f: CustomerFilter & { beforeId?: string; limit: number }) {
  const cond = customerConditions(f);
  if (f.beforeId) cond.push(lt(customers.id, f.beforeId));
  return ctx.db
    .select()
    .from(customers)
    .where(and(...cond))
    .orderBy(desc(customers.id))
    .limit(f.limit + 1);
}

/** The customer and, for an organisation, its contacts: whose conversations make up its history. */
export async function historySubjects(ctx: Ctx, id: string): Promise<string[]> {
  const row = await findCustomer(ctx.db, id);
  if (row.kind !== 'organisation') return [id];
  const contacts = await ctx.db.select({ id: customers.id }).from(customers).where(eq(customers.organisationId, id));
  return [id, ...contacts.map((c) => c.id)];
}

// ---------- orders ----------

export type OrderItemInput = Omit<OrderItem, 'sku'> & { sku?: string | null };

export interface OrderInput {
  number: string;
  items: OrderItemInput[];
  amountFen?: number;
  status: OrderStatus;
  orderedAt: string;
}

function amountOf(items: OrderItemInput[], given: number | undefined, field: string): number {
  const amount = given ?? items.reduce((s, i) => s + i.quantity * i.unitPriceFen, 0);
  if (given === undefined && items.length === 0) throw CustomerError('amount_required', { field: 'amountFen' });
  if (amount > MAX_AMOUNT_FEN) throw CustomerError('amount_too_large', { field });
  return amount;
}

async function assertOrderNumberFree(db: Executor, number: string, self: string | null): Promise<void> {
  const [taken] = await db
    .select({ id: customerOrders.id })
    .from(customerOrders)
    .where(and(eq(customerOrders.number, number), self ? ne(customerOrders.id, self) : undefined))
    .limit(1);
  if (taken) throw CustomerError('order_number_taken', { field: 'number', params: { number } });
}

const normaliseItems = (items: OrderItemInput[]): OrderItem[] =>
  items.map((i) => ({ sku: blankToNull(i.sku), name: i.name.trim(), quantity: i.quantity, unitPriceFen: i.unitPriceFen }));

/** Orders newest first by order date; the cursor holds the last (orderedAt, id). */
export async function listOrders(ctx: Ctx, customerId: string, args: { after?: [string, string]; limit: number }) {
  await findCustomer(ctx.db, customerId);
  const cond: SQL[] = [eq(customerOrders.customerId, customerId)];
  if (args.after) {
    const [at, id] = args.after;
    cond.push(sql`(${customerOrders.orderedAt}, ${customerOrders.id}) < (${new Date(at)}, ${id})`);
  }
  return ctx.db
    .select()
    .from(customerOrders)
    .where(and(...cond))
    .orderBy(desc(customerOrders.orderedAt), desc(customerOrders.id))
    .limit(args.limit + 1);
}

export async function createOrder(ctx: Ctx, customerId: string, input: OrderInput): Promise<OrderView> {
  return write(ctx, async (w) => {
    await findCustomer(w.tx, customerId, true);
    const number = input.number.trim();
    await assertOrderNumberFree(w.tx, number, null);
    const items = normaliseItems(input.items);
    const [row] = await w.tx
      .insert(customerOrders)
      .values({
        id: newId(),
        customerId,
        number,
        items,
        amountFen: amountOf(items, input.amountFen, 'items'),
        status: input.status,
        orderedAt: new Date(input.orderedAt),
        createdAt: w.now,
        updatedAt: w.now,
      })
      .returning();
    const after = orderView(row!);
    await w.changed({ entityType: 'customer_order', entityId: after.id, schema: OrderView, before: null, after, event: 'customer_order.created', audience: CUSTOMER_AUDIENCE });
    await refreshTier(w, customerId, await currentPolicy(w.tx));
    return after;
  });
}

async function findOrder(db: Executor, id: string) {
  const [row] = await db.select().from(customerOrders).where(eq(customerOrders.id, id)).limit(1).for('update');
  if (!row) throw CustomerError('order_not_found');
  return row;
}

export async function updateOrder(ctx: Ctx, id: string, patch: Partial<OrderInput>): Promise<OrderView> {
  return write(ctx, async (w) => {
    const row = await findOrder(w.tx, id);
    const number = patch.number?.trim();
    if (number && number !== row.number) await assertOrderNumberFree(w.tx, number, id);
    const items = patch.items && normaliseItems(patch.items);
    // New items without an amount re-price the order; an amount alone overrides (discounts, freight).
    const amountFen =
      patch.amountFen !== undefined || (items && items.length > 0) ? amountOf(items ?? row.items, patch.amountFen, patch.amountFen !== undefined ? 'amountFen' : 'items') : undefined;
    const [updated] = await w.tx
      .update(customerOrders)
      .set({
        ...defined({ number, items, amountFen, status: patch.status, orderedAt: patch.orderedAt ? new Date(patch.orderedAt) : undefined }),
        updatedAt: w.now,
      })
      .where(eq(customerOrders.id, id))
      .returning();
    const after = orderView(updated!);
    await w.changed({ entityType: 'customer_order', entityId: id, schema: OrderView, before: orderView(row), after, event: 'customer_order.updated', audience: CUSTOMER_AUDIENCE });
    await refreshTier(w, row.customerId, await currentPolicy(w.tx));
    return after;
  });
}

export async function deleteOrder(ctx: Ctx, id: string): Promise<void> {
  await write(ctx, async (w) => {
    const row = await findOrder(w.tx, id);
    const [linked] = await w.tx.select({ id: customerProducts.id }).from(customerProducts).where(eq(customerProducts.orderId, id)).limit(1);
    if (linked) throw CustomerError('order_in_use');
    await w.tx.delete(customerOrders).where(eq(customerOrders.id, id));
    await w.changed({ entityType: 'customer_order', entityId: id, schema: OrderView, before: orderView(row), after: null, event: 'customer_order.deleted', audience: CUSTOMER_AUDIENCE });
    await refreshTier(w, row.customerId, await currentPolicy(w.tx));
  });
}

// ---------- products owned ----------

export interface ProductInput {
  model: string;
  serialNumber?: string | null;
  purchasedOn?: string | null;
  warrantyEndsOn?: string | null;
  orderId?: string | null;
}

async function assertProduct(db: Executor, customerId: string, p: { purchasedOn: string | null; warrantyEndsOn: string | null; orderId: string | null }): Promise<void> {
  if (p.purchasedOn && p.warrantyEndsOn && p.warrantyEndsOn < p.purchasedOn) throw CustomerError('warranty_before_purchase', { field: 'warrantyEndsOn' });
  if (!p.orderId) return;
  const [order] = await db.select({ customerId: customerOrders.customerId }).from(customerOrders).where(eq(customerOrders.id, p.orderId)).limit(1);
  if (!order) throw CustomerError('order_not_found', { field: 'orderId' });
  if (order.customerId !== customerId) throw CustomerError('order_of_other_customer', { field: 'orderId' });
}

export async function listProducts(ctx: Ctx, customerId: string, args: { beforeId?: string; limit: number }) {
  await findCustomer(ctx.db, customerId);
  const rows = await ctx.db
    .select()
    .from(customerProducts)
    .where(and(eq(customerProducts.customerId, customerId), args.beforeId ? lt(customerProducts.id, args.beforeId) : undefined))
    .orderBy(desc(customerProducts.id))
    .limit(args.limit + 1);
  const today = orgToday(await currentPolicy(ctx.db), ctx.clock.now());
  return rows.map((r) => productView(r, today));
}

export async function createProduct(ctx: Ctx, customerId: string, input: ProductInput): Promise<ProductView> {
  return write(ctx, async (w) => {
    await findCustomer(w.tx, customerId);
    const values = {
      model: input.model.trim(),
      serialNumber: blankToNull(input.serialNumber),
      purchasedOn: input.purchasedOn ?? null,
      warrantyEndsOn: input.warrantyEndsOn ?? null,
      orderId: input.orderId ?? null,
    };
    await assertProduct(w.tx, customerId, values);
    const [row] = await w.tx
      .insert(customerProducts)
      .values({ id: newId(), customerId, ...values, createdAt: w.now, updatedAt: w.now })
      .returning();
    const after = productView(row!, orgToday(await currentPolicy(w.tx), w.now));
    await w.changed({ entityType: 'customer_product', entityId: after.id, schema: ProductView, before: null, after, event: 'customer_product.created', audience: CUSTOMER_AUDIENCE });
    return after;
  });
}

async function findProduct(db: Executor, id: string) {
  const [row] = await db.select().from(customerProducts).where(eq(customerProducts.id, id)).limit(1).for('update');
  if (!row) throw CustomerError('product_not_found');
  return row;
}

export async function updateProduct(ctx: Ctx, id: string, patch: Partial<ProductInput>): Promise<ProductView> {
  return write(ctx, async (w) => {
    const row = await findProduct(w.tx, id);
    const set = defined({
      model: patch.model?.trim(),
      serialNumber: patch.serialNumber === undefined ? undefined : blankToNull(patch.serialNumber),
      purchasedOn: patch.purchasedOn,
      warrantyEndsOn: patch.warrantyEndsOn,
      orderId: patch.orderId,
    });
    await assertProduct(w.tx, row.customerId, {
      purchasedOn: set.purchasedOn !== undefined ? set.purchasedOn : row.purchasedOn,
      warrantyEndsOn: set.warrantyEndsOn !== undefined ? set.warrantyEndsOn : row.warrantyEndsOn,
      orderId: set.orderId !== undefined ? set.orderId : row.orderId,
    });
    const [updated] = await w.tx.update(customerProducts).set({ ...set, updatedAt: w.now }).where(eq(customerProducts.id, id)).returning();
    const today = orgToday(await currentPolicy(w.tx), w.now);
    const after = productView(updated!, today);
    await w.changed({ entityType: 'customer_product', entityId: id, schema: ProductView, before: productView(row, today), after, event: 'customer_product.updated', audience: CUSTOMER_AUDIENCE });
    return after;
  });
}

export async function deleteProduct(ctx: Ctx, id: string): Promise<void> {
  await write(ctx, async (w) => {
    const row = await findProduct(w.tx, id);
    await w.tx.delete(customerProducts).where(eq(customerProducts.id, id));
    const before = productView(row, orgToday(await currentPolicy(w.tx), w.now));
    await w.changed({ entityType: 'customer_product', entityId: id, schema: ProductView, before, after: null, event: 'customer_product.deleted', audience: CUSTOMER_AUDIENCE });
  });
}

// ---------- notes ----------

export async function listNotes(ctx: Ctx, customerId: string, args: { beforeId?: string; limit: number }) {
  await findCustomer(ctx.db, customerId);
  return ctx.db
    .select()
    .from(customerNotes)
    .where(and(eq(customerNotes.customerId, customerId), args.beforeId ? lt(customerNotes.id, args.beforeId) : undefined))
    .orderBy(desc(customerNotes.id))
    .limit(args.limit + 1);
}

export async function createNote(ctx: Ctx, customerId: string, body: string): Promise<NoteView> {
  return write(ctx, async (w) => {
    await findCustomer(w.tx, customerId);
    const [row] = await w.tx
      .insert(customerNotes)
      .values({ id: newId(), customerId, authorId: ctx.actor.id, body: body.trim(), createdAt: w.now })
      .returning();
    const after = noteView(row!);
    await w.changed({ entityType: 'customer_note', entityId: after.id, schema: NoteView, before: null, after, event: 'customer_note.created', audience: CUSTOMER_AUDIENCE });
    return after;
  });
}

// ---------- referrals (C3) ----------

export interface ReferralInput {
  referrerId: string;
  referredId: string;
  referredOn: string;
  relationship?: string | null;
  need?: string | null;
  note?: string | null;
}

const referrer = aliasedTable(customers, 'referrer');
const referred = aliasedTable(customers, 'referred');

function referralRows(db: Executor) {
  return db
    .select({ r: customerReferrals, referrerName: referrer.name, referredName: referred.name })
    .from(customerReferrals)
    .innerJoin(referrer, eq(referrer.id, customerReferrals.referrerId))
    .innerJoin(referred, eq(referred.id, customerReferrals.referredId));
}

function referralView(x: { r: typeof customerReferrals.$inferSelect; referrerName: string; referredName: string }): ReferralView {
  return { ...x.r, referrerName: x.referrerName, referredName: x.referredName, createdAt: x.r.createdAt.toISOString() };
}

export async function createReferral(ctx: Ctx, input: ReferralInput): Promise<ReferralView> {
  return write(ctx, async (w) => {
    if (input.referrerId === input.referredId) throw CustomerError('self_referral', { field: 'referredId' });
    const found = await w.tx.select({ id: customers.id }).from(customers).where(inArray(customers.id, [input.referrerId, input.referredId]));
    for (const field of ['referrerId', 'referredId'] as const) {
      if (!found.some((f) => f.id === input[field])) throw CustomerError('not_found', { field });
    }
    if (input.referredOn > orgToday(await currentPolicy(w.tx), w.now)) throw CustomerError('referral_in_future', { field: 'referredOn' });
    const inserted = await w.tx
      .insert(customerReferrals)
      .values({
        id: newId(),
        referrerId: input.referrerId,
        referredId: input.referredId,
        referredOn: input.referredOn,
        relationship: blankToNull(input.relationship),
        need: blankToNull(input.need),
        note: blankToNull(input.note),
        recordedBy: ctx.actor.id,
        createdAt: w.now,
      })
      .onConflictDoNothing({ target: [customerReferrals.referrerId, customerReferrals.referredId] })
      .returning({ id: customerReferrals.id });
    if (inserted.length === 0) throw CustomerError('referral_exists');
    const [row] = await referralRows(w.tx).where(eq(customerReferrals.id, inserted[0]!.id));
    const after = referralView(row!);
    await w.changed({ entityType: 'customer_referral', entityId: after.id, schema: ReferralView, before: null, after, event: 'customer_referral.created', audience: CUSTOMER_AUDIENCE });
    return after;
  });
}

/** Referrals the customer made and the one that brought them, newest first. */
export async function listReferrals(ctx: Ctx, customerId: string, args: { beforeId?: string; limit: number }) {
  await findCustomer(ctx.db, customerId);
  const rows = await referralRows(ctx.db)
    .where(
      and(
        or(eq(customerReferrals.referrerId, customerId), eq(customerReferrals.referredId, customerId)),
        args.beforeId ? lt(customerReferrals.id, args.beforeId) : undefined,
      ),
    )
    .orderBy(desc(customerReferrals.id))
    .limit(args.limit + 1);
  return rows.map(referralView);
}

