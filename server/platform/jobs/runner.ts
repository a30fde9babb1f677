import { and, eq, inArray, lt, lte, or, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Database, Tx } from '../../db/client.ts';
import type { Clock } from '../clock.ts';
import { systemCtx, type Ctx } from '../context.ts';
import { write, type Writer } from '../write.ts';
import { jobs } from './schema.ts';

export const JOBS_CHANNEL = 'kefu_jobs';

export type JobRow = typeof jobs.$inferSelect;

export interface JobSpec {
  kind: string;
  payload: Record<string, unknown>;
  /** Defaults to now. */
  runAt?: Date;
  /** At most one pending or running job per key, e.g. `sla:<conversation>:first_response`. */
  dedupeKey?: string;
  maxAttempts?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 8;

/**
 * Schedules a job in the caller's transaction, so it exists exactly when the change that
 * caused it does. With a dedupe key, `replace` moves a pending job; `ignore` keeps it.
 */
export async function scheduleJob(w: Pick<Writer, 'tx' | 'now'>, spec: JobSpec, onConflict: 'ignore' | 'replace' = 'ignore'): Promise<void> {
  const runAt = spec.runAt ?? w.now;
  const values = {
    kind: spec.kind,
    payload: spec.payload,
    runAt,
    status: 'pending',
    maxAttempts: spec.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    dedupeKey: spec.dedupeKey ?? null,
    createdAt: w.now,
  };
  // The predicate of the partial unique index jobs_dedupe_key, so PostgreSQL infers that index.
  const targetWhere = sql`status in ('pending', 'running')`;
  const insert = w.tx.insert(jobs).values(values);
  if (!spec.dedupeKey) await insert;
  else if (onConflict === 'ignore') await insert.onConflictDoNothing({ target: jobs.dedupeKey, where: targetWhere });
  else {
    // A replaced job is a new schedule: it gets its full number of attempts again.
    await insert.onConflictDoUpdate({
      target: jobs.dedupeKey,
      targetWhere,
      set: { runAt, payload: spec.payload, maxAttempts: values.maxAttempts, attempts: 0, lastError: null },
      setWhere: sql`${jobs.status} = 'pending'`,
    });
  }
  if (runAt <= w.now) await w.tx.execute(sql`select pg_notify(${JOBS_CHANNEL}, '')`);
}

/** Cancels pending jobs with this key; a running one finishes. */
export async function cancelJobs(tx: Tx, dedupeKey: string, at: Date): Promise<number> {
  const rows = await tx
    .update(jobs)
    .set({ status: 'cancelled', finishedAt: at })
    .where(and(eq(jobs.dedupeKey, dedupeKey), eq(jobs.status, 'pending')))
    .returning({ id: jobs.id });
  return rows.length;
}

export interface JobContext {
  job: JobRow;
  ctx: Ctx;
  /**
   * Runs `fn` in the transaction that marks the job done: database effects of a job
   * happen exactly once, even if two nodes raced for it or the process died midway.
   */
  complete<T>(fn: (w: Writer) => Promise<T>): Promise<T>;
}

export type JobHandler = (payload: Record<string, unknown>, jc: JobContext) => Promise<void>;

export interface JobKindOptions {
  /** Delay before retry n is backoffMs · 2^(n-1), at most maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/** Thrown when another node took the job over after our lease ran out. */
class LeaseLost extends Error {}

export interface RunnerOptions {
  nodeId: string;
  leaseMs?: number;
  batch?: number;
  /** Finished jobs are kept this long for inspection, then deleted. */
  retentionMs?: number;
}

export class JobRunner {
  private readonly handlers = new Map<string, { fn: JobHandler; opts: Required<JobKindOptions> }>();
  private readonly nodeId: string;
  private readonly leaseMs: number;
  private readonly batch: number;
  private readonly retentionMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | null = null;
  private rerun = false;
  private stopped = false;
  private lastCleanup = 0;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly log: FastifyBaseLogger,
    opts: RunnerOptions,
  ) {
    this.nodeId = opts.nodeId;
    this.leaseMs = opts.leaseMs ?? 5 * 60_000;
    this.batch = opts.batch ?? 10;
    this.retentionMs = opts.retentionMs ?? 7 * 24 * 3_600_000;
  }

  register(kind: string, fn: JobHandler, opts: JobKindOptions = {}): void {
    if (this.handlers.has(kind)) throw new Error(`job kind ${kind} registered twice`);
    this.handlers.set(kind, { fn, opts: { backoffMs: opts.backoffMs ?? 10_000, maxBackoffMs: opts.maxBackoffMs ?? 3_600_000 } });
  }

  async start(pollMs: number | null): Promise<void> {
    await this.database.listen(JOBS_CHANNEL, () => this.wake());
    if (pollMs) this.timer = setInterval(() => this.wake(), pollMs).unref();
    this.wake();
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = this.runDue()
      .catch((err) => {
        this.log.error({ err }, 'job runner failed');
        return 0;
      })
      .finally(() => {
        this.running = null;
        if (this.rerun) {
          this.rerun = false;
          this.wake();
        }
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    while (this.running) await this.running;
  }

  /**
   * Claims and runs every job due by the clock's now; returns how many ran. Tests call this directly.
   * Up to `batch` jobs run at once, and a finished one frees its slot for the next claim at once,
   * so one slow job does not hold back the nine beside it.
   */
  async runDue(): Promise<number> {
    let total = 0;
    const inFlight = new Set<Promise<void>>();
    for (;;) {
      const free = this.batch - inFlight.size;
      const claimed = free > 0 ? await this.claim(free) : [];
      for (const job of claimed) {
        const run: Promise<void> = this.execute(job).finally(() => inFlight.delete(run));
        inFlight.add(run);
      }
      total += claimed.length;
      if (inFlight.size === 0) break;
      // Wait for a slot when all are busy or nothing more is due yet; otherwise claim again at once.
      if (claimed.length === 0 || inFlight.size >= this.batch) await Promise.race(inFlight);
    }
    await this.cleanup();
    return total;
  }

  private async claim(limit: number): Promise<JobRow[]> {
    const kinds = [...this.handlers.keys()];
    if (kinds.length === 0) return [];
    const now = this.clock.now();
    const db = this.database.db;
    const due = db
      .select({ id: jobs.id })
      .from(jobs)
      .where(
        and(
          inArray(jobs.kind, kinds),
          or(and(eq(jobs.status, 'pending'), lte(jobs.runAt, now)), and(eq(jobs.status, 'running'), lt(jobs.lockedUntil, now))),
        ),
      )
      .orderBy(jobs.runAt, jobs.id)
      .limit(limit)
      .for('update', { skipLocked: true });
    return db
      .update(jobs)
      .set({
        status: 'running',
        attempts: sql`${jobs.attempts} + 1`,
        lockedBy: this.nodeId,
        lockedUntil: new Date(now.getTime() + this.leaseMs),
      })
      .where(inArray(jobs.id, due))
      .returning();
  }

  private mine(job: JobRow) {
    return and(eq(jobs.id, job.id), eq(jobs.lockedBy, this.nodeId), eq(jobs.attempts, job.attempts), eq(jobs.status, 'running'));
  }

  private async markDone(tx: Tx, job: JobRow, at: Date): Promise<void> {
    const rows = await tx
      .update(jobs)
      .set({ status: 'done', finishedAt: at, lockedBy: null, lockedUntil: null, lastError: null })
      .where(this.mine(job))
      .returning({ id: jobs.id });
    if (rows.length === 0) throw new LeaseLost(`job ${job.id} was taken over`);
  }

  private async execute(job: JobRow): Promise<void> {
    const handler = this.handlers.get(job.kind)!;
    const ctx = systemCtx(this.database.db, this.clock);
    let completed = false;
    const jc: JobContext = {
      job,
      ctx,
      complete: (fn) =>
        write(ctx, async (w) => {
          if (completed) throw new Error('complete() called twice');
          await this.markDone(w.tx, job, w.now);
          const result = await fn(w);
          completed = true;
          return result;
        }),
    };
    try {
      if (job.attempts > job.maxAttempts) throw new Error('lease expired on every attempt');
      await handler.fn(job.payload as Record<string, unknown>, jc);
      if (!completed) await this.database.db.transaction((tx) => this.markDone(tx, job, this.clock.now()));
    } catch (err) {
      if (err instanceof LeaseLost) {
        this.log.warn({ job: job.id, kind: job.kind }, err.message);
        return;
      }
      await this.fail(job, err, handler.opts);
    }
  }

  private async fail(job: JobRow, err: unknown, opts: Required<JobKindOptions>): Promise<void> {
    const now = this.clock.now();
    const last = job.attempts >= job.maxAttempts;
    const delay = Math.min(opts.backoffMs * 2 ** (job.attempts - 1), opts.maxBackoffMs);
    const message = err instanceof Error ? err.message : String(err);
    this.log[last ? 'error' : 'warn']({ job: job.id, kind: job.kind, attempt: job.attempts, err }, last ? 'job failed for good' : 'job failed; will retry');
    await this.database.db
      .update(jobs)
      .set({
        status: last ? 'failed' : 'pending',
        runAt: last ? job.runAt : new Date(now.getTime() + delay),
        lastError: message.slice(0, 2000),
        lockedBy: null,
        lockedUntil: null,
        finishedAt: last ? now : null,
      })
      .where(this.mine(job));
  }

  private async cleanup(): Promise<void> {
    const now = this.clock.now().getTime();
    if (now - this.lastCleanup < 3_600_000) return;
    this.lastCleanup = now;
    await this.database.db
      .delete(jobs)
      .where(and(inArray(jobs.status, ['done', 'failed', 'cancelled']), lt(jobs.finishedAt, new Date(now - this.retentionMs))));
  }
}
