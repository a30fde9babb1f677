import { eq, sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, query, type Database } from '../../db/client.ts';
import { onPostgres, openTestDatabase, type TestDatabase } from '../../../test/support/db.ts';
import { ManualClock } from '../clock.ts';
import { systemCtx } from '../context.ts';
import { write } from '../write.ts';
import { EventBus, type Consumer } from './bus.ts';
import { declareEventTypes, type DomainEvent } from './outbox.ts';
import { eventConsumers, events } from './schema.ts';

declareEventTypes({ 'test.happened': '测试事件（仅测试）' });

const log = pino({ level: 'silent' });
const clock = new ManualClock();
let tdb: TestDatabase;
/** Buses and extra connections opened by a test, closed after it. */
const opened: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  tdb = await openTestDatabase();
  await tdb.database.db.execute(sql`create table test_effects (id serial primary key, event_id bigint not null, node text not null)`);
});
afterAll(() => tdb.close());
beforeEach(() => tdb.reset());
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

/** A second "node": its own connection on PostgreSQL; PGlite is one process's database, so the same one. */
async function otherConnection(): Promise<Database> {
  if (!onPostgres) return tdb.database;
  const database = await openDatabase({ databaseUrl: tdb.url, poolSize: 4 });
  opened.push(database);
  return database;
}

async function startBus(database: Database, setup: (bus: EventBus) => void = () => {}): Promise<EventBus> {
  const bus = new EventBus(database, clock, log);
  setup(bus);
  await bus.start(null);
  opened.push({ close: () => bus.stop() });
  return bus;
}

/** Writes `ids.length` events in one transaction; entityId carries a label the test can follow. */
async function emit(database: Database, ...ids: string[]): Promise<void> {
  await write(systemCtx(database.db, clock), async (w) => {
    for (const id of ids) await w.emit({ type: 'test.happened', entityType: 'test', entityId: id, data: { id }, audience: {} });
  });
}

/** A durable consumer that records each event it sees in test_effects, inside its own transaction. */
const recordAs =
  (node: string): Consumer =>
  async (w, e) => {
    await w.tx.execute(sql`insert into test_effects (event_id, node) values (${e.id}, ${node})`);
  };

async function effects(): Promise<Array<{ event_id: number; node: string }>> {
  const rows = await query<{ event_id: string | number; node: string }>(tdb.database.db, sql`select event_id, node from test_effects order by id`);
  return rows.map((r) => ({ event_id: Number(r.event_id), node: r.node }));
}

function collector() {
  const seen: DomainEvent[] = [];
  return { seen, labels: () => seen.map((e) => e.entityId), fn: (e: DomainEvent) => void seen.push(e) };
}

/** Resolves on the first event the predicate accepts; the timeout only guards against a hang. */
function nextEvent(bus: EventBus, accept: (e: DomainEvent) => boolean): Promise<DomainEvent> {
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error('no event arrived within 15 s')), 15_000);
    const off = bus.subscribe((e) => {
      if (!accept(e)) return;
      clearTimeout(guard);
      off();
      resolve(e);
    });
  });
}

describe('X2/X3 outbox: events commit with the change', () => {
  it('X2: an event written in a transaction that rolls back is never delivered; a committed one exactly once', async () => {
    const sub = collector();
    const bus = await startBus(tdb.database, (b) => {
      b.subscribe(sub.fn);
      b.consume('test.recorder', recordAs('a'));
    });
    await expect(
      write(systemCtx(tdb.database.db, clock), async (w) => {
        await w.emit({ type: 'test.happened', entityType: 'test', entityId: 'rolled-back', data: {}, audience: {} });
        throw new Error('the change fails after its event was written');
      }),
    ).rejects.toThrow('the change fails');
    await emit(tdb.database, 'committed');

    // Drains overlapping each other and a NOTIFY wake-up must not deliver twice.
    await Promise.all([bus.drain(), bus.drain()]);
    bus.wake();
    await bus.drain();

    expect(sub.labels()).toEqual(['committed']);
    expect(sub.seen[0]).toMatchObject({ type: 'test.happened', entityType: 'test', data: { id: 'committed' }, actorId: null });
    expect((await effects()).map((e) => e.event_id)).toEqual([sub.seen[0]!.id]);
  });

  it('X2: a subscriber that throws does not stop delivery to the others or of later events', async () => {
    const sub = collector();
    const bus = await startBus(tdb.database, (b) => {
      b.subscribe(() => {
        throw new Error('a broken subscriber');
      });
      b.subscribe(sub.fn);
    });
    await emit(tdb.database, 'e1');
    await emit(tdb.database, 'e2', 'e3');
    await bus.drain();
    expect(sub.labels()).toEqual(['e1', 'e2', 'e3']);
  });

  it('S2: a new node and a new consumer start at the end of the outbox; a known consumer resumes from its cursor', async () => {
    const first = await startBus(tdb.database, (b) => b.consume('test.resume', recordAs('resume')));
    await emit(tdb.database, 'e1');
    await first.drain();
    await first.stop();
    await emit(tdb.database, 'e2'); // written while no node runs

    const sub = collector();
    const restarted = await startBus(tdb.database, (b) => {
      b.subscribe(sub.fn);
      b.consume('test.resume', recordAs('resume'));
      b.consume('test.fresh', recordAs('fresh'));
    });
    await restarted.drain();
    expect(sub.seen).toEqual([]);
    const labelOf = async () => {
      const rows = await query<{ node: string; entity_id: string }>(
        tdb.database.db,
        sql`select t.node, e.entity_id from test_effects t join events e on e.id = t.event_id order by t.id`,
      );
      return rows.map((r) => `${r.node}:${r.entity_id}`);
    };
    expect(await labelOf()).toEqual(['resume:e1', 'resume:e2']);

    await emit(tdb.database, 'e3');
    await restarted.drain();
    expect(sub.labels()).toEqual(['e3']);
    expect((await labelOf()).sort()).toEqual(['fresh:e3', 'resume:e1', 'resume:e2', 'resume:e3']);
  });

  it('X2: a consumer registered after start is refused', async () => {
    const bus = await startBus(tdb.database);
    expect(() => bus.consume('test.late', recordAs('late'))).toThrow('before start');
  });
});

describe('X2/S2 durable consumers across nodes', () => {
  it('S2: a consumer sees each event once while two nodes pump concurrently; every node fans out every event', async () => {
    const second = await otherConnection();
    const subA = collector();
    const subB = collector();
    const busA = await startBus(tdb.database, (b) => {
      b.subscribe(subA.fn);
      b.consume('test.recorder', recordAs('a'));
    });
    const busB = await startBus(second, (b) => {
      b.subscribe(subB.fn);
      b.consume('test.recorder', recordAs('b'));
    });

    // 30 transactions of 15 events: more than one consumer batch (200), written while both nodes pump.
    const labels: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let t = 0; t < 30; t++) {
        const ids = Array.from({ length: 15 }, (_, i) => `t${t}-${i}`);
        labels.push(...ids);
        await emit(t % 2 ? tdb.database : second, ...ids);
      }
      writing = false;
    })();
    const pump = async (bus: EventBus) => {
      while (writing) await bus.drain();
    };
    await Promise.all([writer, pump(busA), pump(busB), pump(busA), pump(busB)]);
    await Promise.all([busA.drain(), busB.drain()]);
    await busA.drain();
    await busB.drain();

    const all = await tdb.database.db.select({ id: events.id }).from(events);
    expect(all).toHaveLength(450);
    const seen = await effects();
    expect(seen).toHaveLength(450);
    expect(new Set(seen.map((e) => e.event_id))).toEqual(new Set(all.map((e) => e.id)));
    // Each node's subscribers got every event once, in the same (commit) order.
    expect(subA.labels().sort()).toEqual([...labels].sort());
    expect(subB.labels()).toEqual(subA.labels());
  });

  it("X2: a consumer's writes commit with its cursor: a failure keeps nothing of the batch and the batch is retried", async () => {
    let failOn: string | null = 'f2';
    const sub = collector();
    const bus = await startBus(tdb.database, (b) => {
      b.subscribe(sub.fn);
      b.consume('test.flaky', async (w, e) => {
        await recordAs('a')(w, e);
        if (e.entityId === failOn) throw new Error('consumer failed');
      });
    });
    await emit(tdb.database, 'f1', 'f2', 'f3');
    const cursor = async () => (await tdb.database.db.select().from(eventConsumers).where(eq(eventConsumers.name, 'test.flaky')))[0]!;
    const before = await cursor();

    await bus.drain();
    expect(await effects()).toEqual([]);
    expect(await cursor()).toMatchObject({ lastTxid: before.lastTxid, lastId: before.lastId });
    // In-process subscribers are independent of consumers.
    expect(sub.labels()).toEqual(['f1', 'f2', 'f3']);

    await bus.drain();
    expect(await effects()).toEqual([]);

    failOn = null;
    await bus.drain();
    const ids = sub.seen.map((e) => e.id);
    expect((await effects()).map((e) => e.event_id)).toEqual(ids);
    const [last] = await tdb.database.db.select().from(events).where(eq(events.id, ids[2]!));
    expect(await cursor()).toMatchObject({ lastTxid: last!.txid, lastId: last!.id });

    await emit(tdb.database, 'f4');
    await bus.drain();
    expect(await effects()).toHaveLength(4);
  });

  it.skipIf(!onPostgres)('X2: an event is held back while an older transaction is open, then both are delivered once in txid order', async () => {
    const sub = collector();
    const bus = await startBus(tdb.database, (b) => {
      b.subscribe(sub.fn);
      b.consume('test.recorder', recordAs('a'));
    });
    const gate = () => {
      let open!: () => void;
      const opened = new Promise<void>((r) => (open = r));
      return { open, opened };
    };
    const aHasTxid = gate();
    const bCommitted = gate();
    const aInserted = gate();
    const commitA = gate();

    // A takes its transaction id first, writes its event only after B committed, then stays open.
    const a = write(systemCtx(tdb.database.db, clock), async (w) => {
      await w.tx.execute(sql`select pg_current_xact_id()`);
      aHasTxid.open();
      await bCommitted.opened;
      await w.emit({ type: 'test.happened', entityType: 'test', entityId: 'A', data: {}, audience: {} });
      aInserted.open();
      await commitA.opened;
    });
    await aHasTxid.opened;
    await emit(tdb.database, 'B');
    bCommitted.open();
    await aInserted.opened;

    // B is committed and visible, but A (older) is still running: nothing may be delivered yet.
    expect(await tdb.database.db.select({ entityId: events.entityId }).from(events)).toEqual([{ entityId: 'B' }]);
    await bus.drain({ settle: false });
    expect(sub.seen).toEqual([]);
    expect(await effects()).toEqual([]);

    // A settling drain waits for A; nothing was delivered until A committed.
    const draining = bus.drain();
    expect(sub.seen).toEqual([]);
    commitA.open();
    await a;
    await draining;
    await bus.drain();

    expect(sub.labels()).toEqual(['A', 'B']);
    const [eA, eB] = sub.seen;
    expect(eA!.id).toBeGreaterThan(eB!.id); // txid order, not id order
    expect((await effects()).map((e) => e.event_id)).toEqual([eA!.id, eB!.id]);
  });

  it.skipIf(!onPostgres)('X2: an event held back by an older transaction that writes no event is delivered when it ends, without drain', async () => {
    const bus = await startBus(tdb.database);
    const arrived = nextEvent(bus, (e) => e.entityId === 'held');
    let commit!: () => void;
    const committing = new Promise<void>((r) => (commit = r));
    let hasTxid!: () => void;
    const txidTaken = new Promise<void>((r) => (hasTxid = r));
    // An older transaction with no event of its own: its commit sends no NOTIFY.
    const older = write(systemCtx(tdb.database.db, clock), async (w) => {
      await w.tx.execute(sql`select pg_current_xact_id()`);
      hasTxid();
      await committing;
    });
    await txidTaken;
    await emit(tdb.database, 'held');
    await bus.drain({ settle: false }); // a pass that finds it held back
    commit();
    await older;
    expect(await arrived).toMatchObject({ entityId: 'held' });
  });

  it('X2: an event committed through one connection wakes a bus on another without drain (LISTEN/NOTIFY)', async () => {
    const second = await otherConnection();
    const busB = await startBus(second);
    const arrived = nextEvent(busB, (e) => e.entityId === 'cross-node');
    await emit(tdb.database, 'cross-node');
    const e = await arrived;
    expect(e).toMatchObject({ type: 'test.happened', entityId: 'cross-node' });
  });
});
