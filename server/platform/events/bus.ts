import { setTimeout as delay } from 'node:timers/promises';
import { eq, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { query, type Database, type Executor } from '../../db/client.ts';
import type { Clock } from '../clock.ts';
import { systemCtx } from '../context.ts';
import { Writer } from '../write.ts';
import { EVENTS_CHANNEL, type Audience, type DomainEvent } from './outbox.ts';
import { eventConsumers, events } from './schema.ts';

export type Subscriber = (e: DomainEvent) => void;
/**
 * A durable consumer runs in the transaction that advances its position: its writes happen once.
 * All events of one batch share one Writer, so a consumer may cache per-batch lookups on it.
 */
export type Consumer = (w: Writer, e: DomainEvent) => Promise<void>;

interface Position {
  txid: number;
  id: number;
}

/** `busy`: another node holds the consumer; `failed`: the batch rolled back. Both retry on a later wake. */
type ConsumerResult = 'more' | 'caught_up' | 'busy' | 'failed';

const BATCH = 200;
/** How long a wake waits for more commits to join its pass: a little latency for much less work under load. */
const COALESCE_MS = 5;
/** How long drain() waits for older transactions before giving up: a guard, not a timing. */
const SETTLE_TIMEOUT_MS = 30_000;
/** Longest wait between looks at events held back by an older transaction. */
const RETRY_MAX_MS = 1_000;

/** Only events of transactions older than every running one: none can appear before them later. */
const settled = sql`${events.txid} < pg_snapshot_xmin(pg_current_snapshot())::text::bigint`;
const after = (p: Position) => sql`(${events.txid}, ${events.id}) > (${p.txid}, ${p.id})`;

function toEvent(r: typeof events.$inferSelect): DomainEvent {
  return {
    id: r.id,
    type: r.type,
    entityType: r.entityType,
    entityId: r.entityId,
    actorId: r.actorId,
    data: r.data as Record<string, unknown>,
    audience: r.audience as Audience,
    occurredAt: r.occurredAt,
  };
}

async function head(db: Executor): Promise<Position> {
  const [row] = await db
    .select({ txid: events.txid, id: events.id })
    .from(events)
    .where(settled)
    .orderBy(sql`${events.txid} desc, ${events.id} desc`)
    .limit(1);
  return row ?? { txid: 0, id: 0 };
}

/**
 * Delivers outbox events. Subscribers (realtime pushes) get every event on every node;
 * consumers (webhooks, timers) get each event once across all nodes. Woken by NOTIFY,
 * with a poll as a safety net for missed notifications.
 */
export class EventBus {
  private readonly subscribers = new Set<Subscriber>();
  private readonly consumers = new Map<string, Consumer>();
  private position: Position | null = null;
  private timer: NodeJS.Timeout | undefined;
  /** The pass in progress; never rejects, so waiting on it is safe. */
  private running: Promise<void> | null = null;
  private rerun = false;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private retryMs = 0;
  private pending: NodeJS.Timeout | undefined;
  /** The bus position at which each consumer was last found caught up; unchanged means nothing to do. */
  private readonly caughtUp = new Map<string, Position>();

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly log: FastifyBaseLogger,
  ) {}

  subscribe(fn: Subscriber): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  consume(name: string, fn: Consumer): void {
    if (this.position) throw new Error('register consumers before start()');
    this.consumers.set(name, fn);
  }

  /** Begins at the current end of the outbox: a new node or consumer does not replay history. */
  async start(pollMs: number | null): Promise<void> {
    const db = this.database.db;
    this.position = await head(db);
    for (const name of this.consumers.keys()) {
      await db
        .insert(eventConsumers)
        .values({ name, lastTxid: this.position.txid, lastId: this.position.id, updatedAt: this.clock.now() })
        .onConflictDoNothing();
    }
    await this.database.listen(EVENTS_CHANNEL, () => this.wake());
    if (pollMs) this.timer = setInterval(() => this.wake(), pollMs).unref();
  }

  /**
   * Schedules a pass a few milliseconds out, so a burst of commits (one NOTIFY each) is
   * delivered by one pass instead of one pass per commit.
   */
  wake(): void {
    if (this.stopped || !this.position) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      if (this.running) this.rerun = true;
      else this.run().catch((err) => this.log.error({ err }, 'event delivery failed'));
    }, COALESCE_MS);
  }

  /**
   * Delivers every event committed before the call; tests await this instead of waiting on timers.
   * An event stays held back while an older transaction is still running, on PostgreSQL anywhere
   * on the server (transaction ids are server-wide), so drain first waits for those to end;
   * `settle: false` makes a single pass, to observe that an event is held back.
   */
  async drain({ settle = true }: { settle?: boolean } = {}): Promise<void> {
    if (settle) await this.settle();
    while (this.running) await this.running;
    await this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.pending);
    while (this.running) await this.running;
    clearTimeout(this.retry);
  }

  /** One pump at a time: two overlapping passes would read from the same position and deliver twice. */
  private run(): Promise<void> {
    const pass = this.pump().finally(() => {
      this.running = null;
      if (this.rerun) {
        this.rerun = false;
        this.wake();
      }
    });
    this.running = pass.catch(() => {});
    return pass;
  }

  private async settle(): Promise<void> {
    const [newest] = await query<{ txid: string | null }>(this.database.db, sql`select max(${events.txid})::text as txid from ${events}`);
    if (!newest?.txid) return;
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    for (;;) {
      const [s] = await query<{ settled: boolean }>(
        this.database.db,
        sql`select ${Number(newest.txid)} < pg_snapshot_xmin(pg_current_snapshot())::text::bigint as settled`,
      );
      if (s?.settled) return;
      if (Date.now() > deadline) throw new Error(`events are held back by a transaction open for over ${SETTLE_TIMEOUT_MS / 1000} s`);
      await delay(5);
    }
  }

  private async pump(): Promise<void> {
    const heldBack = await this.fanOut();
    for (const [name, fn] of this.consumers) {
      // Fan-out saw every settled event; if it saw none since this consumer caught up, skip its transaction.
      const seen = this.caughtUp.get(name);
      const at = this.position!;
      if (seen && seen.txid === at.txid && seen.id === at.id) continue;
      let result: ConsumerResult;
      while ((result = await this.runConsumer(name, fn)) === 'more');
      if (result === 'caught_up') this.caughtUp.set(name, at);
    }
    this.lookAgain(heldBack);
  }

  /**
   * A committed event waiting for an older transaction gets no NOTIFY of its own when that
   * transaction ends (it may be in another database on the server), so look again soon,
   * backing off, rather than leave it to the poll or to the next event.
   */
  private lookAgain(heldBack: boolean): void {
    clearTimeout(this.retry);
    if (!heldBack || this.stopped) {
      this.retryMs = 0;
      return;
    }
    this.retryMs = Math.min(this.retryMs * 2 || 10, RETRY_MAX_MS);
    this.retry = setTimeout(() => this.wake(), this.retryMs).unref();
  }

  /**
   * Delivers settled events in commit order; returns whether a later event is held back.
   * Settled events sort before held-back ones (smaller txid), so one query tells both.
   */
  private async fanOut(): Promise<boolean> {
    for (;;) {
      const rows = await this.database.db
        .select({ e: events, settled: sql<boolean>`${settled}` })
        .from(events)
        .where(after(this.position!))
        .orderBy(events.txid, events.id)
        .limit(BATCH);
      for (const { e: r, settled: ready } of rows) {
        if (!ready) return true;
        const e = toEvent(r);
        for (const fn of this.subscribers) {
          try {
            fn(e);
          } catch (err) {
            this.log.error({ err, event: e.id }, 'event subscriber failed');
          }
        }
        this.position = { txid: r.txid, id: r.id };
      }
      if (rows.length < BATCH) return false;
    }
  }

  /** Processes one batch of a consumer. */
  private async runConsumer(name: string, fn: Consumer): Promise<ConsumerResult> {
    const ctx = systemCtx(this.database.db, this.clock);
    try {
      return await this.database.db.transaction(async (tx) => {
        const [c] = await tx.select().from(eventConsumers).where(eq(eventConsumers.name, name)).for('update', { skipLocked: true });
        if (!c) return 'busy'; // another node holds it
        const rows = await tx
          .select()
          .from(events)
          .where(sql`${after({ txid: c.lastTxid, id: c.lastId })} and ${settled}`)
          .orderBy(events.txid, events.id)
          .limit(BATCH);
        const last = rows[rows.length - 1];
        if (!last) return 'caught_up';
        const w = new Writer(tx, ctx, this.clock.now());
        for (const r of rows) await fn(w, toEvent(r));
        await tx
          .update(eventConsumers)
          .set({ lastTxid: last.txid, lastId: last.id, updatedAt: w.now })
          .where(eq(eventConsumers.name, name));
        return rows.length === BATCH ? 'more' : 'caught_up';
      });
    } catch (err) {
      // The batch rolled back; the next wake retries it.
      this.log.error({ err, consumer: name }, 'event consumer failed');
      return 'failed';
    }
  }
}
