import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openDatabase, query, type Database } from '../../db/client.ts';
import { onPostgres, openTestDatabase, type TestDatabase } from '../../../test/support/db.ts';
import { ManualClock } from '../clock.ts';
import { systemCtx } from '../context.ts';
import { write, type Writer } from '../write.ts';
import { DEFAULT_MAX_ATTEMPTS, JobRunner, cancelJobs, scheduleJob, type JobHandler, type JobKindOptions, type JobSpec } from './runner.ts';
import { jobs } from './schema.ts';

const log = pino({ level: 'silent' });
const clock = new ManualClock();
const START = '2026-03-02T09:00:00+08:00';
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
let tdb: TestDatabase;
const opened: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  tdb = await openTestDatabase();
  await tdb.database.db.execute(sql`create table test_effects (id serial primary key, job_id bigint not null, node text not null)`);
});
afterAll(() => tdb.close());
beforeEach(async () => {
  await tdb.reset();
  clock.set(START);
});
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

function runner(database: Database, nodeId: string, kinds: Record<string, JobHandler | [JobHandler, JobKindOptions]>, opts: { leaseMs?: number; batch?: number } = {}): JobRunner {
  const r = new JobRunner(database, clock, log, { nodeId, ...opts });
  for (const [kind, h] of Object.entries(kinds)) {
    if (Array.isArray(h)) r.register(kind, h[0], h[1]);
    else r.register(kind, h);
  }
  return r;
}

/** Another node's connection on PostgreSQL; PGlite is one process's database, so the same one. */
async function otherConnection(): Promise<Database> {
  if (!onPostgres) return tdb.database;
  const database = await openDatabase({ databaseUrl: tdb.url, poolSize: 8 });
  opened.push(database);
  return database;
}

function schedule(spec: JobSpec, onConflict?: 'ignore' | 'replace', database = tdb.database): Promise<void> {
  return write(systemCtx(database.db, clock), (w) => scheduleJob(w, spec, onConflict));
}

/** The job's effect, written inside complete(): it exists exactly when the job is done. */
const recordAs =
  (node: string) =>
  (w: Writer, jobId: number): Promise<unknown> =>
    w.tx.execute(sql`insert into test_effects (job_id, node) values (${jobId}, ${node})`);

const completing =
  (node: string): JobHandler =>
  async (_payload, jc) => {
    await jc.complete((w) => recordAs(node)(w, jc.job.id));
  };

async function effects(database = tdb.database): Promise<Array<{ job_id: number; node: string }>> {
  const rows = await query<{ job_id: string | number; node: string }>(database.db, sql`select job_id, node from test_effects order by id`);
  return rows.map((r) => ({ job_id: Number(r.job_id), node: r.node }));
}

const allJobs = (database = tdb.database) => database.db.select().from(jobs).orderBy(asc(jobs.id));

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe('S2 durable timers', () => {
  it('S2: a job due later does not run before its time and runs once when the clock passes it', async () => {
    let ran = 0;
    const r = runner(tdb.database, 'node-a', {
      'test.effect': async (payload, jc) => {
        ran++;
        expect(payload).toEqual({ remind: 'callback' });
        await completing('a')(payload, jc);
      },
    });
    await schedule({ kind: 'test.effect', payload: { remind: 'callback' }, runAt: new Date(clock.now().getTime() + 24 * 60 * MINUTE) });

    expect(await r.runDue()).toBe(0);
    clock.advance(24 * 60 * MINUTE - 1);
    expect(await r.runDue()).toBe(0);
    expect(ran).toBe(0);
    clock.advance(1);
    const ranAt = clock.now();
    expect(await r.runDue()).toBe(1);
    expect(await r.runDue()).toBe(0);
    clock.advance(60 * MINUTE);
    expect(await r.runDue()).toBe(0);
    expect(ran).toBe(1);
    const [job] = await allJobs();
    expect(job).toMatchObject({ status: 'done', attempts: 1, lockedBy: null, lockedUntil: null, lastError: null, maxAttempts: DEFAULT_MAX_ATTEMPTS });
    expect(job!.finishedAt).toEqual(ranAt);
    expect(await effects()).toEqual([{ job_id: job!.id, node: 'a' }]);
  });

  it('S2: a failing job is retried after 10 s, 20 s, 40 s … and marked failed after maxAttempts with its last error', async () => {
    let calls = 0;
    const r = runner(tdb.database, 'node-a', {
      'test.flaky': async () => {
        calls++;
        throw new Error(`receiver down (${calls})`);
      },
    });
    await schedule({ kind: 'test.flaky', payload: {}, maxAttempts: 4 });
    const t0 = clock.now().getTime();

    expect(await r.runDue()).toBe(1);
    let [job] = await allJobs();
    expect(job).toMatchObject({ status: 'pending', attempts: 1, lastError: 'receiver down (1)', lockedBy: null, finishedAt: null });
    expect(job!.runAt.getTime()).toBe(t0 + 10 * SECOND);

    // Not before the backoff has passed.
    clock.advance(10 * SECOND - 1);
    expect(await r.runDue()).toBe(0);
    clock.advance(1);
    expect(await r.runDue()).toBe(1);
    [job] = await allJobs();
    expect(job).toMatchObject({ status: 'pending', attempts: 2, lastError: 'receiver down (2)' });
    expect(job!.runAt.getTime()).toBe(clock.now().getTime() + 20 * SECOND);

    clock.advance(20 * SECOND);
    expect(await r.runDue()).toBe(1);
    [job] = await allJobs();
    expect(job).toMatchObject({ status: 'pending', attempts: 3 });
    expect(job!.runAt.getTime()).toBe(clock.now().getTime() + 40 * SECOND);

    clock.advance(40 * SECOND);
    expect(await r.runDue()).toBe(1);
    [job] = await allJobs();
    expect(job).toMatchObject({ status: 'failed', attempts: 4, lastError: 'receiver down (4)', lockedBy: null, lockedUntil: null });
    expect(job!.finishedAt).toEqual(clock.now());

    clock.advance(24 * 60 * MINUTE);
    expect(await r.runDue()).toBe(0);
    expect(calls).toBe(4);
  });

  it('S2: the backoff doubles up to the kind’s ceiling', async () => {
    const r = runner(tdb.database, 'node-a', {
      'test.flaky': [
        async () => {
          throw new Error('down');
        },
        { backoffMs: 10 * SECOND, maxBackoffMs: 25 * SECOND },
      ],
    });
    await schedule({ kind: 'test.flaky', payload: {} });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      expect(await r.runDue()).toBe(1);
      const [job] = await allJobs();
      delays.push(job!.runAt.getTime() - clock.now().getTime());
      clock.set(job!.runAt);
    }
    expect(delays).toEqual([10, 20, 25, 25].map((s) => s * SECOND));
  });

  it('S2: complete() commits its writes with the job marked done; a failure inside rolls both back and the job is retried', async () => {
    let fail = true;
    const r = runner(tdb.database, 'node-a', {
      'test.effect': async (_payload, jc) => {
        await jc.complete(async (w) => {
          await recordAs('a')(w, jc.job.id);
          if (fail) throw new Error('effect failed halfway');
        });
      },
    });
    await schedule({ kind: 'test.effect', payload: {} });
    expect(await r.runDue()).toBe(1);
    expect(await effects()).toEqual([]);
    let [job] = await allJobs();
    expect(job).toMatchObject({ status: 'pending', attempts: 1, lastError: 'effect failed halfway' });

    fail = false;
    clock.set(job!.runAt);
    expect(await r.runDue()).toBe(1);
    [job] = await allJobs();
    expect(job).toMatchObject({ status: 'done', attempts: 2, lastError: null });
    expect(await effects()).toEqual([{ job_id: job!.id, node: 'a' }]);
  });

  it('S2: a handler that returns without complete() marks its job done; kinds a runner does not know are left alone', async () => {
    let ran = 0;
    const r = runner(tdb.database, 'node-a', {
      'test.quiet': async () => {
        ran++;
      },
    });
    await schedule({ kind: 'test.quiet', payload: {} });
    await schedule({ kind: 'test.elsewhere', payload: {} });
    expect(await r.runDue()).toBe(1);
    expect(ran).toBe(1);
    expect((await allJobs()).map((j) => [j.kind, j.status])).toEqual([
      ['test.quiet', 'done'],
      ['test.elsewhere', 'pending'],
    ]);
  });

  it("S2: when a lease runs out another node takes the job over, and the first node's complete() rolls back", async () => {
    const started = gate();
    const release = gate();
    const slow = runner(
      tdb.database,
      'node-a',
      {
        'test.effect': async (payload, jc) => {
          started.open();
          await release.opened;
          await completing('a')(payload, jc);
        },
      },
      { leaseMs: MINUTE },
    );
    const other = runner(await otherConnection(), 'node-b', { 'test.effect': completing('b') }, { leaseMs: MINUTE });
    await schedule({ kind: 'test.effect', payload: {} });

    const slowRun = slow.runDue();
    await started.opened;
    let [job] = await allJobs();
    expect(job).toMatchObject({ status: 'running', attempts: 1, lockedBy: 'node-a' });
    expect(job!.lockedUntil!.getTime()).toBe(clock.now().getTime() + MINUTE);
    expect(await other.runDue()).toBe(0); // the lease still holds

    clock.advance(MINUTE + 1);
    expect(await other.runDue()).toBe(1);
    release.open();
    expect(await slowRun).toBe(1);

    [job] = await allJobs();
    expect(job).toMatchObject({ status: 'done', attempts: 2, lockedBy: null });
    expect(await effects()).toEqual([{ job_id: job!.id, node: 'b' }]);
  });

  it('S2: a node whose lease was taken over cannot fail the job either', async () => {
    const started = gate();
    const release = gate();
    const slow = runner(
      tdb.database,
      'node-a',
      {
        'test.effect': async () => {
          started.open();
          await release.opened;
          throw new Error('too late anyway');
        },
      },
      { leaseMs: MINUTE },
    );
    const other = runner(await otherConnection(), 'node-b', { 'test.effect': completing('b') }, { leaseMs: MINUTE });
    await schedule({ kind: 'test.effect', payload: {} });
    const slowRun = slow.runDue();
    await started.opened;
    clock.advance(MINUTE + 1);
    expect(await other.runDue()).toBe(1);
    release.open();
    await slowRun;
    const [job] = await allJobs();
    expect(job).toMatchObject({ status: 'done', attempts: 2, lastError: null });
  });

  it('S2: a job claimed by a node that died is run by another once its lease has expired', async () => {
    await schedule({ kind: 'test.effect', payload: {} });
    // The dead node claimed it and never finished.
    await tdb.database.db
      .update(jobs)
      .set({ status: 'running', attempts: 1, lockedBy: 'dead-node', lockedUntil: new Date(clock.now().getTime() + 5 * MINUTE) });
    const r = runner(tdb.database, 'node-b', { 'test.effect': completing('b') });
    expect(await r.runDue()).toBe(0);
    clock.advance(5 * MINUTE + 1);
    expect(await r.runDue()).toBe(1);
    const [job] = await allJobs();
    expect(job).toMatchObject({ status: 'done', attempts: 2 });
    expect(await effects()).toEqual([{ job_id: job!.id, node: 'b' }]);
  });

  it('S2: jobs survive a restart: scheduled before the database closes, run after it reopens', async () => {
    const dir = onPostgres ? null : mkdtempSync(join(tmpdir(), 'kefu-jobs-'));
    const open = async () => {
      const database = await openDatabase(dir ? { dataDir: dir } : { databaseUrl: tdb.url });
      await migrate(database);
      await database.db.execute(sql`create table if not exists test_effects (id serial primary key, job_id bigint not null, node text not null)`);
      return database;
    };
    try {
      let database = await open();
      await schedule({ kind: 'test.effect', payload: { n: 1 }, runAt: new Date(clock.now().getTime() + 30 * MINUTE) }, undefined, database);
      await database.close();

      database = await open();
      try {
        const r = runner(database, 'node-after-restart', { 'test.effect': completing('restarted') });
        expect(await r.runDue()).toBe(0);
        clock.advance(30 * MINUTE);
        expect(await r.runDue()).toBe(1);
        const [job] = await allJobs(database);
        expect(job).toMatchObject({ status: 'done', attempts: 1, payload: { n: 1 } });
        expect(await effects(database)).toEqual([{ job_id: job!.id, node: 'restarted' }]);
      } finally {
        await database.close();
      }
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('S2: two nodes claiming 50 due jobs at once run each exactly once', async () => {
    const a = runner(tdb.database, 'node-a', { 'test.effect': completing('a') }, { batch: 4 });
    const b = runner(await otherConnection(), 'node-b', { 'test.effect': completing('b') }, { batch: 4 });
    await write(systemCtx(tdb.database.db, clock), async (w) => {
      for (let n = 0; n < 50; n++) await scheduleJob(w, { kind: 'test.effect', payload: { n } });
    });

    const counts = await Promise.all([a.runDue(), b.runDue(), a.runDue(), b.runDue()]);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(50);

    const done = await allJobs();
    expect(done.every((j) => j.status === 'done' && j.attempts === 1)).toBe(true);
    const seen = await effects();
    expect(seen).toHaveLength(50);
    expect(new Set(seen.map((e) => e.job_id))).toEqual(new Set(done.map((j) => j.id)));
    expect(await a.runDue()).toBe(0);
  });

  it('S2: a dedupe key keeps one pending job; replace moves it, cancelJobs cancels it', async () => {
    const r = runner(tdb.database, 'node-a', { 'test.effect': completing('a') });
    const at = (minutes: number) => new Date(new Date(START).getTime() + minutes * MINUTE);
    const key = 'sla:conversation-1:first_response';

    await schedule({ kind: 'test.effect', payload: { v: 1 }, runAt: at(10), dedupeKey: key });
    await schedule({ kind: 'test.effect', payload: { v: 2 }, runAt: at(5), dedupeKey: key });
    let rows = await allJobs();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'pending', payload: { v: 1 }, runAt: at(10) });

    await schedule({ kind: 'test.effect', payload: { v: 3 }, runAt: at(20), dedupeKey: key }, 'replace');
    rows = await allJobs();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'pending', payload: { v: 3 }, runAt: at(20) });

    clock.set(at(15));
    expect(await r.runDue()).toBe(0);

    const cancelled = await write(systemCtx(tdb.database.db, clock), (w) => cancelJobs(w.tx, key, w.now));
    expect(cancelled).toBe(1);
    rows = await allJobs();
    expect(rows[0]).toMatchObject({ status: 'cancelled', finishedAt: at(15) });
    clock.set(at(60));
    expect(await r.runDue()).toBe(0);
    expect(await effects()).toEqual([]);

    // The key is free again once its job is no longer pending.
    await schedule({ kind: 'test.effect', payload: { v: 4 }, runAt: at(61), dedupeKey: key });
    clock.set(at(61));
    expect(await r.runDue()).toBe(1);
    await schedule({ kind: 'test.effect', payload: { v: 5 }, runAt: at(70), dedupeKey: key });
    rows = await allJobs();
    expect(rows.map((j) => [j.status, (j.payload as { v: number }).v])).toEqual([
      ['cancelled', 3],
      ['done', 4],
      ['pending', 5],
    ]);
    expect(await write(systemCtx(tdb.database.db, clock), (w) => cancelJobs(w.tx, 'no-such-key', w.now))).toBe(0);
  });

  it('S2: replacing a job that was being retried gives it its attempts back', async () => {
    const r = runner(tdb.database, 'node-a', {
      'test.flaky': async () => {
        throw new Error('down');
      },
    });
    await schedule({ kind: 'test.flaky', payload: {}, dedupeKey: 'k', maxAttempts: 2 });
    expect(await r.runDue()).toBe(1);
    expect((await allJobs())[0]).toMatchObject({ status: 'pending', attempts: 1, lastError: 'down' });
    await schedule({ kind: 'test.flaky', payload: { again: true }, dedupeKey: 'k', maxAttempts: 2, runAt: new Date(clock.now().getTime() + MINUTE) }, 'replace');
    expect((await allJobs())[0]).toMatchObject({ status: 'pending', attempts: 0, lastError: null, payload: { again: true } });
    clock.advance(MINUTE);
    expect(await r.runDue()).toBe(1);
    expect((await allJobs())[0]).toMatchObject({ status: 'pending', attempts: 1 });
  });

  it('S2: a job scheduled in a transaction that rolls back does not exist', async () => {
    const r = runner(tdb.database, 'node-a', { 'test.effect': completing('a') });
    await expect(
      write(systemCtx(tdb.database.db, clock), async (w) => {
        await scheduleJob(w, { kind: 'test.effect', payload: {} });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await r.runDue()).toBe(0);
    expect(await allJobs()).toEqual([]);
  });
});

describe('S2 job runner wake-up', () => {
  it('S2: a started runner runs a job scheduled for now without being polled (NOTIFY)', async () => {
    const done = gate();
    const r = runner(tdb.database, 'node-a', {
      'test.effect': async (payload, jc) => {
        await completing('a')(payload, jc);
        done.open();
      },
    });
    await r.start(null);
    opened.push({ close: () => r.stop() });
    await schedule({ kind: 'test.effect', payload: {} });
    await Promise.race([
      done.opened,
      new Promise((_, reject) => setTimeout(() => reject(new Error('the job did not run within 15 s')), 15_000).unref()),
    ]);
    await r.stop();
    expect(await effects()).toHaveLength(1);
    expect((await allJobs())[0]).toMatchObject({ status: 'done' });
  });
});

