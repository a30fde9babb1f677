import { desc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/columns.ts';
import { declareEventTypes } from '../../platform/events/outbox.ts';
import type { Writer } from '../../platform/write.ts';
import type { KnownPersonalData } from '../../platform/pii/scrub.ts';
import type { PolicyDocument } from '../policy/document.ts';
import { currentPolicy } from '../policy/service.ts';
import { CUSTOMER_AUDIENCE } from './audience.ts';
import { customerOrders, customers } from './schema.ts';
import { tierFor } from './tiers.ts';
import { CustomerView, customerView } from './views.ts';

export interface ContactKey {
  phone?: string | null;
  email?: string | null;
  name?: string | null;
}

declareEventTypes({
  'customer.created': '客户档案已创建',
  'customer.updated': '客户档案已更新',
});

/**
 * Digits with a leading + kept: "+86 138-1234-3836" → "+8613812343836". A Chinese mobile number
 * drops its country code (+86 / 0086), so a caller ID with it finds the archive typed without it.
 */
export function normalisePhone(raw: string): string {
  const t = raw.trim();
  let n = (t.startsWith('+') ? '+' : '') + t.replace(/\D/g, '');
  if (n.startsWith('00')) n = `+${n.slice(2)}`;
  const mobile = /^\+86(1\d{10})$/.exec(n);
  return mobile ? mobile[1]! : n;
}

export function normaliseEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

/** Advisory-lock namespace of contact values; values hash into buckets so one import never holds more than BUCKETS locks. */
const LOCK_NAMESPACE = 0x6b656675;
const BUCKETS = 1024;

function bucketOf(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 0x01000193) >>> 0;
  return h % BUCKETS;
}

/**
 * Serialises the writers of these phones and emails, so two first contacts (chat, import,
 * console) cannot give one number two archives. Buckets are taken in order: no deadlock.
 */
export async function lockContacts(w: Writer, values: Iterable<string>): Promise<void> {
  const buckets = [...new Set([...values].map(bucketOf))].sort((a, b) => a - b);
  if (buckets.length === 0) return;
  await w.tx.execute(
    sql`select pg_advisory_xact_lock(${LOCK_NAMESPACE}, b) from (select unnest(${`{${buckets.join(',')}}`}::int[]) as b order by b) as ordered`,
  );
}

/** The tier of a customer without purchases; new archives start there. */
export function startingTier(policy: PolicyDocument, now: Date): string | null {
  return tierFor(policy, 0, null, now);
}

/** Finds the customer with this phone or email (normalised), or creates a person archive. Runs in the caller's transaction. */
export async function findOrCreateCustomer(
  w: Writer,
  key: ContactKey,
  source: 'chat' | 'email' | 'phone' | 'form' | 'api',
): Promise<{ id: string; name: string; tier: string | null; created: boolean }> {
  const phone = key.phone ? normalisePhone(key.phone) : '';
  const email = key.email ? normaliseEmail(key.email) : '';
  if (phone || email) {
    await lockContacts(w, [phone, email].filter(Boolean));
    const found = await findByContact(w, phone, email);
    if (found) return { ...found, created: false };
  }
  const [row] = await w.tx
    .insert(customers)
    .values({
      id: newId(),
      kind: 'person',
      name: key.name?.trim().slice(0, 100) || '访客',
      phones: phone ? [phone] : [],
      emails: email ? [email] : [],
      addresses: [],
      tags: [],
      tier: startingTier(await currentPolicy(w.tx), w.now),
      tierComputedAt: w.now,
      source,
      createdAt: w.now,
      updatedAt: w.now,
    })
    .returning();
  const after = customerView(row!);
  await w.changed({ entityType: 'customer', entityId: after.id, schema: CustomerView, before: null, after, event: 'customer.created', audience: CUSTOMER_AUDIENCE });
  return { id: after.id, name: after.name, tier: after.tier, created: true };
}

/** A phone match wins over an email match: the phone is the stronger identity in our channels. */
async function findByContact(w: Writer, phone: string, email: string) {
  for (const [col, value] of [
    [customers.phones, phone],
    [customers.emails, email],
  ] as const) {
    if (!value) continue;
    const [row] = await w.tx
      .select({ id: customers.id, name: customers.name, tier: customers.tier })
      .from(customers)
      .where(sql`${col} @> array[${value}]::text[]`)
      .orderBy(customers.id)
      .limit(1);
    if (row) return row;
  }
  return null;
}

export interface CustomerBrief {
  id: string;
  name: string;
  tier: string | null;
}

/** What other modules need of an archive (routing by tier, reply variables); they never read the tables. */
export async function customerBrief(db: Executor, id: string): Promise<CustomerBrief | null> {
  const [row] = await db.select({ id: customers.id, name: customers.name, tier: customers.tier }).from(customers).where(eq(customers.id, id)).limit(1);
  return row ?? null;
}

/** Whether the archive holds a phone number and an email address: whether a callback or an emailed survey can reach the customer. */
export async function customerReach(db: Executor, id: string): Promise<{ phone: boolean; email: boolean }> {
  const [row] = await db.select({ phones: customers.phones, emails: customers.emails }).from(customers).where(eq(customers.id, id)).limit(1);
  return { phone: (row?.phones.length ?? 0) > 0, email: (row?.emails.length ?? 0) > 0 };
}

/** The customer's most recent order number, for `{order.number}` when the conversation names none. */
export async function latestOrderNumber(db: Executor, customerId: string): Promise<string | null> {
  const [row] = await db.select({ number: customerOrders.number }).from(customerOrders).where(eq(customerOrders.customerId, customerId)).orderBy(desc(customerOrders.orderedAt)).limit(1);
  return row?.number ?? null;
}

export interface OrderBrief {
  id: string;
  customerId: string;
  number: string;
  amountFen: number;
  status: string;
  orderedAt: Date;
  items: Array<{ sku: string | null; name: string; quantity: number; unitPriceFen: number }>;
}

/** One order as other modules quote it (complaint evidence keeps a copy of what it showed). */
export async function orderBrief(db: Executor, id: string): Promise<OrderBrief | null> {
  const [row] = await db
    .select({
      id: customerOrders.id,
      customerId: customerOrders.customerId,
      number: customerOrders.number,
      amountFen: customerOrders.amountFen,
      status: customerOrders.status,
      orderedAt: customerOrders.orderedAt,
      items: customerOrders.items,
    })
    .from(customerOrders)
    .where(eq(customerOrders.id, id))
    .limit(1);
  return row ?? null;
}

/** The archive's personal data in clear, for scrubbing it out of shared text (K3); never returned to a caller. */
export async function personalDataOf(db: Executor, id: string): Promise<KnownPersonalData> {
  const [row] = await db.select({ name: customers.name, phones: customers.phones, emails: customers.emails, addresses: customers.addresses }).from(customers).where(eq(customers.id, id)).limit(1);
  if (!row) return { names: [], phones: [], emails: [], streets: [] };
  return { names: [row.name], phones: row.phones, emails: row.emails, streets: row.addresses.map((a) => a.street) };
}
