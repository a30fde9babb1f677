import { createHash } from 'node:crypto';
import { and, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { DateTime } from 'luxon';
import type { Db, Executor } from '../../db/client.ts';
import { query } from '../../db/client.ts';
import type { Clock } from '../../platform/clock.ts';
import { scheduleJob, type JobRunner } from '../../platform/jobs/runner.ts';
import type { Writer } from '../../platform/write.ts';
import { complaints } from '../complaints/schema.ts';
import { conversations } from '../conversations/schema.ts';
import type { PolicyDocument } from '../policy/document.ts';
import { currentPolicy } from '../policy/service.ts';
import { KPIS, type Dimension, type KpiDefinition } from './registry.ts';
import { kpiDaily, kpiRollupDays } from './schema.ts';

/**
 * Daily rollups of the registry's facts (R3 at scale: a year of 1M conversations in well under a
 * second). They hold exactly what the fact queries would return for whole days, per team and per
 * grouping set of up to two other dimensions; values queries read them for the days they cover and
 * run the fact queries for the rest. Drill-downs always read the facts.
 */

export const ROLLUP_JOB = 'kpi.rollup';
/** Bumped when the rollup's own layout or meaning changes, so every rolled-up day is rebuilt. */
const FORMAT = 1;
/** The dimensions kept in grouping sets besides the team, with their bit in SQL's grouping(). */
const ROLLED = [
  ['agent', 'agent_id', 8],
  ['channel', 'channel', 4],
  ['problem_type', 'problem_type', 2],
  ['metric', 'metric', 1],
] as const;
type Rolled = (typeof ROLLED)[number][0];
const ALL_SUMMED = ROLLED.reduce((bits, [, , bit]) => bits | bit, 0);
/** Consecutive days computed in one transaction: short enough to finish between writes to old data. */
const CHUNK_DAYS = 31;

const rolledOf = (def: KpiDefinition) => ROLLED.filter(([dim]) => def.dimensions.includes(dim));

/** Every set of at most two of the KPI's rolled dimensions, as the bits summed away. */
function groupingsOf(def: KpiDefinition): { kept: Rolled[]; bits: number }[] {
  const dims = rolledOf(def);
  const sets: Rolled[][] = [[]];
  dims.forEach(([a], i) => {
    sets.push([a]);
    for (const [b] of dims.slice(i + 1)) sets.push([a, b]);
  });
  return sets.map((kept) => ({ kept, bits: ROLLED.reduce((bits, [dim, , bit]) => (kept.includes(dim) ? bits : bits | bit), 0) }));
}

/** The grouping set that answers a query filtering and grouping by these dimensions, or null when none does. */
export function groupingFor(def: KpiDefinition, used: readonly Dimension[]): number | null {
  const needed = ROLLED.filter(([dim]) => used.includes(dim)).map(([dim]) => dim);
  const set = groupingsOf(def).find((g) => g.kept.length === needed.length && needed.every((d) => g.kept.includes(d)));
  return set ? set.bits : null;
}

const dialect = new PgDialect();
const fingerprints = new WeakMap<PolicyDocument, Map<string, string>>();

/** What a rolled-up day was computed from: the fact query's text and parameters (the policy values it reads), the zone and the windows. */
export function fingerprintOf(def: KpiDefinition, policy: PolicyDocument): string {
  let byCode = fingerprints.get(policy);
  if (!byCode) fingerprints.set(policy, (byCode = new Map()));
  const known = byCode.get(def.code);
  if (known) return known;
  const epoch = new Date(0);
  const rendered = dialect.sqlToQuery(def.facts({ now: epoch, policy, start: epoch, end: epoch }));
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([FORMAT, rendered.sql, rendered.params, policy.organisation.timezone.value, def.settleDays?.(policy) ?? 0, def.lookaheadDays?.(policy) ?? 0]))
    .digest('hex')
    .slice(0, 32);
  byCode.set(def.code, fingerprint);
  return fingerprint;
}

export interface Span {
  start: Date;
  end: Date;
}

/** The rolled-up days of [start, end) that are current, merged into spans, in order. */
export async function rolledSpans(db: Executor, def: KpiDefinition, policy: PolicyDocument, start: Date, end: Date): Promise<Span[]> {
  const days = await db
    .select({ start: kpiRollupDays.dayStart, end: kpiRollupDays.dayEnd })
    .from(kpiRollupDays)
    .where(
      and(
        eq(kpiRollupDays.kpi, def.code),
        eq(kpiRollupDays.ready, true),
        eq(kpiRollupDays.fingerprint, fingerprintOf(def, policy)),
        gte(kpiRollupDays.dayStart, start),
        sql`${kpiRollupDays.dayEnd} <= ${end.toISOString()}::timestamptz`,
      ),
    )
    .orderBy(kpiRollupDays.dayStart);
  const spans: Span[] = [];
  for (const d of days) {
    const last = spans.at(-1);
    if (last && last.end.getTime() === d.start.getTime()) last.end = d.end;
    else spans.push({ start: d.start, end: d.end });
  }
  return spans;
}

/** [start, end) minus the spans (which lie inside it, in order). */
export function gapsBetween(start: Date, end: Date, spans: Span[]): Span[] {
  const gaps: Span[] = [];
  let from = start;
  for (const s of spans) {
    if (s.start > from) gaps.push({ start: from, end: s.start });
    from = s.end;
  }
  if (end > from) gaps.push({ start: from, end });
  return gaps;
}

/** The rolled-up rows of one grouping set for the current days of [start, end), shaped like facts. */
export function rolledFacts(def: KpiDefinition, policy: PolicyDocument, grouping: number, start: Date, end: Date, columns: SQL): SQL {
  return sql`select ${columns} from (
      select d.agent_id, d.team_id, d.channel, d.problem_type, d.metric, d.day_start as at, d.num, d.den
      from ${kpiDaily} d join ${kpiRollupDays} r on r.kpi = d.kpi and r.day_start = d.day_start
      where d.kpi = ${def.code} and d.grouping = ${grouping} and d.day_start >= ${start.toISOString()}::timestamptz and d.day_start < ${end.toISOString()}::timestamptz
        and r.ready and r.fingerprint = ${fingerprintOf(def, policy)}
    ) f`;
}

/**
 * Rolls up the settled days of the last year that are missing or out of date, oldest first. A day
 * is settled once time alone no longer changes its facts (the KPI's settleDays after it ends). Each
 * chunk claims its days in one transaction and sums them in the next, which keeps them only if no
 * write deleted a claim in between (the invalidation triggers of migration 0008): a write that
 * raced the sums is never hidden by them.
 */
export async function refreshRollups(db: Db, clock: Clock, opts: { days?: number } = {}): Promise<{ days: number }> {
  const policy = await currentPolicy(db);
  const zone = policy.organisation.timezone.value;
  const now = DateTime.fromJSDate(clock.now(), { zone });
  const keepFrom = now.startOf('day').minus({ days: opts.days ?? 367 });
  await db.delete(kpiRollupDays).where(lt(kpiRollupDays.dayStart, keepFrom.toJSDate()));
  // Per KPI, so the deletion of days out of reach walks the index (its first column is the KPI).
  for (const def of KPIS) await db.delete(kpiDaily).where(and(eq(kpiDaily.kpi, def.code), lt(kpiDaily.dayStart, keepFrom.toJSDate())));
  const first = await firstRecordAt(db);
  if (!first) return { days: 0 };
  const from = DateTime.max(keepFrom, DateTime.fromJSDate(first, { zone }).startOf('day'));
  let rolled = 0;
  for (const def of KPIS) {
    const settledUntil = now.minus({ days: def.settleDays?.(policy) ?? 0 }).startOf('day');
    if (settledUntil <= from) continue;
    const fingerprint = fingerprintOf(def, policy);
    const current = new Set(
      (
        await db
          .select({ day: kpiRollupDays.dayStart })
          .from(kpiRollupDays)
          .where(and(eq(kpiRollupDays.kpi, def.code), eq(kpiRollupDays.ready, true), eq(kpiRollupDays.fingerprint, fingerprint)))
      ).map((r) => r.day.getTime()),
    );
    let chunk: DateTime[] = [];
    for (let day = from; day < settledUntil; day = day.plus({ days: 1 })) {
      const contiguous = chunk.length === 0 || +chunk.at(-1)!.plus({ days: 1 }) === +day;
      if (current.has(day.toMillis()) || !contiguous || chunk.length === CHUNK_DAYS) {
        rolled += await rollChunk(db, clock, def, policy, chunk);
        chunk = [];
      }
      if (!current.has(day.toMillis())) chunk.push(day);
    }
    rolled += await rollChunk(db, clock, def, policy, chunk);
  }
  return { days: rolled };
}

async function firstRecordAt(db: Executor): Promise<Date | null> {
  const [row] = await query<{ first: Date | string | null }>(
    db,
    sql`select least((select min(${conversations.createdAt}) from ${conversations}), (select min(${complaints.receivedAt}) from ${complaints})) as first`,
  );
  return row?.first ? new Date(row.first) : null;
}

async function rollChunk(db: Db, clock: Clock, def: KpiDefinition, policy: PolicyDocument, days: DateTime[]): Promise<number> {
  if (days.length === 0) return 0;
  const start = days[0]!;
  const end = days.at(-1)!.plus({ days: 1 });
  const fingerprint = fingerprintOf(def, policy);
  const lookahead = def.lookaheadDays?.(policy) ?? 0;
  const range = and(eq(kpiRollupDays.kpi, def.code), gte(kpiRollupDays.dayStart, start.toJSDate()), lt(kpiRollupDays.dayStart, end.toJSDate()));
  await db.transaction(async (tx) => {
    await tx.delete(kpiRollupDays).where(range);
    await tx.insert(kpiRollupDays).values(
      days.map((d) => ({
        kpi: def.code,
        dayStart: d.toJSDate(),
        dayEnd: d.plus({ days: 1 }).toJSDate(),
        affectedUntil: d.plus({ days: 1 + lookahead }).toJSDate(),
        fingerprint,
        ready: false,
        computedAt: clock.now(),
      })),
    );
  });
  const zone = policy.organisation.timezone.value;
  const rolled = await db.transaction(async (tx) => {
    await tx.delete(kpiDaily).where(and(eq(kpiDaily.kpi, def.code), gte(kpiDaily.dayStart, start.toJSDate()), lt(kpiDaily.dayStart, end.toJSDate())));
    const dims = rolledOf(def);
    // grouping() takes only columns some set groups by; the dimensions a KPI lacks are always summed away.
    const bits = dims.length === 0 ? sql`${ALL_SUMMED}` : groupingBits(dims);
    const sets = groupingsOf(def).map((g) => sql.raw(`(f.day, f.team_id${g.kept.map((d) => `, f.${ROLLED.find(([dim]) => dim === d)![1]}`).join('')})`));
    const facts = def.facts({ now: clock.now(), policy, start: start.toJSDate(), end: end.toJSDate() });
    await tx.execute(sql`
      insert into ${kpiDaily} (kpi, day_start, grouping, team_id, agent_id, channel, problem_type, metric, num, den)
      select ${def.code}, f.day, ${bits}, f.team_id, ${columnOrNull(dims, 'agent')}, ${columnOrNull(dims, 'channel')}, ${columnOrNull(dims, 'problem_type')}, ${columnOrNull(dims, 'metric')}, sum(f.num), sum(f.den)
      from (
        select (date_trunc('day', f.at at time zone ${zone}) at time zone ${zone}) as day, f.*
        from (${facts}) f
        where f.at >= ${start.toUTC().toISO()}::timestamptz and f.at < ${end.toUTC().toISO()}::timestamptz
      ) f
      group by grouping sets (${sql.join(sets, sql`, `)})`);
    const ready = await tx
      .update(kpiRollupDays)
      .set({ ready: true, computedAt: clock.now() })
      .where(and(range, eq(kpiRollupDays.ready, false), eq(kpiRollupDays.fingerprint, fingerprint)))
      .returning({ day: kpiRollupDays.dayStart });
    // A write since the claims deleted one of them: these sums may predate it; try again next run.
    if (ready.length !== days.length) throw new StaleChunk();
    return ready.length;
  }).catch((err: unknown) => {
    if (err instanceof StaleChunk) return 0;
    throw err;
  });
  return rolled;
}

class StaleChunk extends Error {}

/** The KPI's own bits of grouping(), mapped onto the shared numbering (agent 8, channel 4, problem type 2, metric 1). */
function groupingBits(dims: readonly (typeof ROLLED)[number][]): SQL {
  const own = dims.map(([, col], i) => sql`(case when grouping(${sql.raw(`f.${col}`)}) = 1 then ${dims[i]![2]} else 0 end)`);
  const absent = ROLLED.filter((r) => !dims.includes(r)).reduce((bits, [, , bit]) => bits | bit, 0);
  return sql`${sql.join(own, sql` + `)} + ${absent}`;
}

function columnOrNull(dims: readonly (typeof ROLLED)[number][], dim: Rolled): SQL {
  const found = dims.find(([d]) => d === dim);
  return found ? sql.raw(`f.${found[1]}`) : sql`null`;
}

/** Hourly: a day settles, a write invalidated a day, or the policy changed; a run with nothing to do reads one row per KPI. */
export function installRollups(jobs: JobRunner): void {
  jobs.register(ROLLUP_JOB, async (_payload, jc) => {
    const { ctx } = jc;
    await refreshRollups(ctx.db, ctx.clock);
    await jc.complete((w) => scheduleRollups(w, DateTime.fromJSDate(w.now).startOf('hour').plus({ hours: 1, minutes: 7 }).toJSDate()));
  });
}

export async function scheduleRollups(w: Pick<Writer, 'tx' | 'now'>, runAt: Date = w.now): Promise<void> {
  await scheduleJob(w, { kind: ROLLUP_JOB, dedupeKey: ROLLUP_JOB, runAt, payload: {} }, 'ignore');
}
