import { and, asc, eq, gt, gte, inArray, max, sql, sum } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Executor } from '../../db/client.ts';
import { declareEventTypes } from '../../platform/events/outbox.ts';
import { scheduleJob, type JobRunner } from '../../platform/jobs/runner.ts';
import { write, type Writer } from '../../platform/write.ts';
import type { PolicyDocument } from '../policy/document.ts';
import { currentPolicyRow } from '../policy/service.ts';
import { CUSTOMER_AUDIENCE } from './audience.ts';
import { customerOrders, customers } from './schema.ts';
import { CustomerView, customerView } from './views.ts';

declareEventTypes({ 'customer.tier_changed': '客户等级已变化（按消费金额与最近购买时间重新计算）' });

/** Orders that count as spend: money has been received. */
export const COUNTED_ORDER_STATUSES = ['paid', 'shipped', 'completed'] as const;
export const TIER_JOB = 'customers.refresh_tiers';
const BATCH = 500;

export const orgZone = (policy: PolicyDocument): string => policy.organisation.timezone.value;

/** Whole calendar days from `from` to `to` in the organisation's time zone. */
function daysBetween(from: Date, to: Date, zone: string): number {
  const a = DateTime.fromJSDate(from, { zone }).startOf('day');
  const b = DateTime.fromJSDate(to, { zone }).startOf('day');
  return Math.round(b.diff(a, 'days').days);
}

/** The first tier of the published list whose spend and recency conditions hold (C2). */
export function tierFor(policy: PolicyDocument, spendFen: number, lastOrderAt: Date | null, now: Date): string | null {
  const recency = lastOrderAt ? daysBetween(lastOrderAt, now, orgZone(policy)) : null;
  for (const t of policy.customerTiers.tiers) {
    if (spendFen < t.minSpendYuan.value * 100) continue;
    const maxDays = t.maxRecencyDays.value;
    if (maxDays !== null && (recency === null || recency > maxDays)) continue;
    return t.code;
  }
  return null;
}

/** Start of the spend window: an order counts while it is at most `windowDays` calendar days old. */
function windowStart(policy: PolicyDocument, now: Date): Date {
  return DateTime.fromJSDate(now, { zone: orgZone(policy) }).startOf('day').minus({ days: policy.customerTiers.windowDays.value }).toJSDate();
}

export async function spendOf(db: Executor, customerId: string, policy: PolicyDocument, now: Date): Promise<{ spendFen: number; lastOrderAt: Date | null }> {
  const [row] = await db
    .select({
      spend: sql<string | null>`${sum(customerOrders.amountFen)} filter (where ${customerOrders.orderedAt} >= ${windowStart(policy, now)})`,
      last: max(customerOrders.orderedAt),
    })
    .from(customerOrders)
    .where(and(eq(customerOrders.customerId, customerId), inArray(customerOrders.status, [...COUNTED_ORDER_STATUSES])));
  return { spendFen: Number(row?.spend ?? 0), lastOrderAt: row?.last ? new Date(row.last) : null };
}

/**
 * Recomputes one customer's tier in the caller's transaction; a change is audited and
 * announced as customer.tier_changed.
 */
export async function refreshTier(w: Writer, customerId: string, policy: PolicyDocument): Promise<void> {
  const [row] = await w.tx.select().from(customers).where(eq(customers.id, customerId)).for('update').limit(1);
  if (!row) return;
  const { spendFen, lastOrderAt } = await spendOf(w.tx, customerId, policy, w.now);
  const tier = tierFor(policy, spendFen, lastOrderAt, w.now);
  const [updated] = await w.tx.update(customers).set({ tier, tierComputedAt: w.now }).where(eq(customers.id, customerId)).returning();
  if (tier === row.tier) return;
  await w.changed({
    entityType: 'customer',
    entityId: customerId,
    schema: CustomerView,
    before: customerView(row),
    after: customerView(updated!),
    event: 'customer.tier_changed',
    audience: CUSTOMER_AUDIENCE,
  });
  // Tiers now depend on time passing: make sure the daily recomputation exists.
  await scheduleTierRefresh(w, policy, { since: null, policyVersion: null });
}

/** Just after midnight in the organisation's time zone, when recency counts one day more. */
function nextRun(now: Date, zone: string): Date {
  return DateTime.fromJSDate(now, { zone }).startOf('day').plus({ days: 1, minutes: 5 }).toJSDate();
}

interface TierJobPayload {
  /** When the previous run started; null runs over every customer with counted orders. */
  since: string | null;
  /** The policy version the previous run used; another version recomputes everyone. */
  policyVersion: number | null;
}

async function scheduleTierRefresh(w: Pick<Writer, 'tx' | 'now'>, policy: PolicyDocument, payload: TierJobPayload): Promise<void> {
  await scheduleJob(w, { kind: TIER_JOB, dedupeKey: TIER_JOB, runAt: nextRun(w.now, orgZone(policy)), payload: { ...payload } }, 'ignore');
}

/** Ids of customers whose tier may have changed since the last run, one page at a time. */
async function candidates(db: Executor, from: Date | null, afterId: string | null): Promise<string[]> {
  if (!from) {
    const rows = await db
      .select({ id: customers.id })
      .from(customers)
      .where(afterId ? gt(customers.id, afterId) : undefined)
      .orderBy(asc(customers.id))
      .limit(BATCH);
    return rows.map((r) => r.id);
  }
  const rows = await db
    .selectDistinct({ id: customerOrders.customerId })
    .from(customerOrders)
    .where(
      and(
        inArray(customerOrders.status, [...COUNTED_ORDER_STATUSES]),
        gte(customerOrders.orderedAt, from),
        afterId ? gt(customerOrders.customerId, afterId) : undefined,
      ),
    )
    .orderBy(asc(customerOrders.customerId))
    .limit(BATCH);
  return rows.map((r) => r.id);
}

/**
 * C2: a daily job recomputes the tiers that time alone can change — orders leaving the spend
 * window, recency growing past a tier's limit — and everyone's after a new policy version.
 */
export function installTierRefresh(jobs: JobRunner): void {
  jobs.register(TIER_JOB, async (payload, jc) => {
    const { ctx } = jc;
    const policyRow = await currentPolicyRow(ctx.db);
    if (!policyRow) return;
    const policy = policyRow.document as PolicyDocument;
    const p = payload as unknown as TierJobPayload;
    const started = ctx.clock.now();
    let from: Date | null = null;
    if (p.since && p.policyVersion === policyRow.version) {
      // An order affects tiers until it is older than the longest window or recency limit; a margin covers missed runs.
      const horizon = Math.max(policy.customerTiers.windowDays.value, ...policy.customerTiers.tiers.map((t) => t.maxRecencyDays.value ?? 0)) + 2;
      from = DateTime.fromJSDate(new Date(p.since)).minus({ days: horizon }).toJSDate();
    }
    for (let afterId: string | null = null; ; ) {
      const ids = await candidates(ctx.db, from, afterId);
      if (ids.length === 0) break;
      await write(ctx, async (w) => {
        for (const id of ids) await refreshTier(w, id, policy);
      });
      afterId = ids[ids.length - 1]!;
    }
    await jc.complete((w) => scheduleTierRefresh({ tx: w.tx, now: started }, policy, { since: started.toISOString(), policyVersion: policyRow.version }));
  });
}
