import { and, asc, count, desc, eq, gte, isNull, min } from 'drizzle-orm';
import { DateTime } from 'luxon';
import type { Ctx } from '../../platform/context.ts';
import { iso, isoOrNull } from '../../platform/http/schemas.ts';
import { conversations, queues } from '../conversations/schema.ts';
import { currentPolicy } from '../policy/service.ts';
import { slaTargets } from '../sla/schema.ts';

export interface WallboardQueue {
  /** null: waiting work no queue matched yet. */
  queueId: string | null;
  name: string | null;
  waiting: number;
  oldestWaitingSince: string | null;
}

export interface Wallboard {
  at: string;
  timezone: string;
  waiting: number;
  oldestWaitingSince: string | null;
  queues: WallboardQueue[];
  breachesToday: number;
}

/**
 * R1: the floor's state right now. Waiting = new and unassigned, the work routing still has to
 * place (as drainQueues picks it); breaches count the SLA clocks that breached since midnight in
 * the organisation's time zone. Counts only, so the whole floor is shown to every supervisor.
 */
export async function wallboard(ctx: Ctx): Promise<Wallboard> {
  const zone = (await currentPolicy(ctx.db)).organisation.timezone.value;
  const now = ctx.clock.now();
  const midnight = DateTime.fromJSDate(now, { zone }).startOf('day').toJSDate();
  const counts = await ctx.db
    .select({ queueId: conversations.queueId, waiting: count(), oldest: min(conversations.createdAt) })
    .from(conversations)
    .where(and(isNull(conversations.assigneeId), eq(conversations.status, 'new')))
    .groupBy(conversations.queueId);
  const byQueue = new Map(counts.map((c) => [c.queueId, c]));
  const all = await ctx.db.select({ id: queues.id, name: queues.name }).from(queues).orderBy(desc(queues.priority), asc(queues.code));
  // Every queue, empty ones too (a wall shows the whole floor); unrouted work last.
  const rows: WallboardQueue[] = [...all.map((q) => ({ queueId: q.id, name: q.name })), ...(byQueue.has(null) ? [{ queueId: null, name: null }] : [])].map((q) => {
    const c = byQueue.get(q.queueId);
    return { ...q, waiting: Number(c?.waiting ?? 0), oldestWaitingSince: isoOrNull(c?.oldest ? new Date(c.oldest) : null) };
  });
  const [breaches] = await ctx.db.select({ n: count() }).from(slaTargets).where(gte(slaTargets.breachedAt, midnight));
  const oldest = rows.map((r) => r.oldestWaitingSince).filter((v): v is string => v !== null).sort()[0] ?? null;
  return {
    at: iso(now),
    timezone: zone,
    waiting: rows.reduce((n, r) => n + r.waiting, 0),
    oldestWaitingSince: oldest,
    queues: rows,
    breachesToday: Number(breaches?.n ?? 0),
  };
}
