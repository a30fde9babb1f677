import { bigint, date, index, integer, jsonb, pgTable, text, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { at, id } from '../../db/columns.ts';

export interface Address {
  label: string | null;
  province: string | null;
  city: string | null;
  district: string | null;
  street: string;
  postcode: string | null;
}

/**
 * C1: a person or an organisation. A person may belong to an organisation (B2B contacts, 004);
 * phones and emails are arrays so a contact from any channel finds the same archive
 * (stored normalised: digits with a leading + kept, emails lower-cased).
 */
export const customers = pgTable(
  'customers',
  {
    id: id(),
    kind: text().notNull(),
    name: text().notNull(),
    organisationId: uuid().references((): AnyPgColumn => customers.id),
    title: text(),
    phones: text().array().notNull(),
    emails: text().array().notNull(),
    addresses: jsonb().$type<Address[]>().notNull(),
    tags: text().array().notNull(),
    /** Computed from orders by the policy's customerTiers (C2); null until computed. */
    tier: text(),
    tierComputedAt: at(),
    externalId: text(),
    source: text(),
    createdAt: at().notNull(),
    updatedAt: at().notNull(),
  },
  (t) => [
    index('customers_phones_idx').using('gin', t.phones),
    index('customers_emails_idx').using('gin', t.emails),
    index('customers_tags_idx').using('gin', t.tags),
    index('customers_organisation_idx').on(t.organisationId),
    uniqueIndex('customers_external_id_key').on(t.externalId),
  ],
);

export interface OrderItem {
  sku: string | null;
  name: string;
  quantity: number;
  unitPriceFen: number;
}

/** Amounts are integer fen (分): no rounding drift in tier sums. */
export const customerOrders = pgTable(
  'customer_orders',
  {
    id: id(),
    customerId: uuid()
      .notNull()
      .references(() => customers.id),
    number: text().notNull(),
    items: jsonb().$type<OrderItem[]>().notNull(),
    amountFen: bigint({ mode: 'number' }).notNull(),
    status: text().notNull(),
    orderedAt: at().notNull(),
    createdAt: at().notNull(),
    updatedAt: at().notNull(),
  },
  (t) => [uniqueIndex('customer_orders_number_key').on(t.number), index('customer_orders_customer_idx').on(t.customerId, t.orderedAt)],
);

export const customerProducts = pgTable(
  'customer_products',
  {
    id: id(),
    customerId: uuid()
      .notNull()
      .references(() => customers.id),
    model: text().notNull(),
    serialNumber: text(),
    orderId: uuid().references(() => customerOrders.id),
    purchasedOn: date({ mode: 'string' }),
    warrantyEndsOn: date({ mode: 'string' }),
    createdAt: at().notNull(),
    updatedAt: at().notNull(),
  },
  (t) => [index('customer_products_customer_idx').on(t.customerId), index('customer_products_serial_idx').on(t.serialNumber)],
);

export const customerNotes = pgTable(
  'customer_notes',
  {
    id: id(),
    customerId: uuid()
      .notNull()
      .references(() => customers.id),
    authorId: uuid(),
    body: text().notNull(),
    createdAt: at().notNull(),
  },
  (t) => [index('customer_notes_customer_idx').on(t.customerId, t.createdAt)],
);

/** C3: the referral form (客户转介表, 003 §8). */
export const customerReferrals = pgTable(
  'customer_referrals',
  {
    id: id(),
    referrerId: uuid()
      .notNull()
      .references(() => customers.id),
    referredId: uuid()
      .notNull()
      .references(() => customers.id),
    referredOn: date({ mode: 'string' }).notNull(),
    relationship: text(),
    need: text(),
    note: text(),
    recordedBy: uuid(),
    createdAt: at().notNull(),
  },
  (t) => [
    uniqueIndex('customer_referrals_pair_key').on(t.referrerId, t.referredId),
    index('customer_referrals_referred_idx').on(t.referredId),
  ],
);

/** C5: one import run; its rows' report is kept for the person who ran it. */
export const customerImports = pgTable('customer_imports', {
  id: id(),
  fileName: text().notNull(),
  format: text().notNull(),
  mode: text().notNull(),
  status: text().notNull(),
  totalRows: integer().notNull(),
  processedRows: integer().notNull(),
  importedRows: integer().notNull(),
  report: jsonb().$type<Array<{ row: number; field: string | null; reason: string }>>().notNull(),
  createdBy: uuid(),
  createdAt: at().notNull(),
  finishedAt: at(),
});
