import { sql } from 'drizzle-orm';
import { boolean, doublePrecision, index, pgTable, primaryKey, smallint, text, uuid } from 'drizzle-orm/pg-core';
import { at } from '../../db/columns.ts';

/**
 * R3 at scale: one row per KPI and day (in the organisation's time zone) whose facts are summed in
 * kpi_daily. A day is used only while `ready` and computed from the same fact query (`fingerprint`:
 * the KPI's SQL, the policy values it reads, the time zone). Triggers on every table a fact is read
 * from delete the days a write touches (migration 0008), in the writer's transaction, so a rollup
 * never outlives the data it summed: until the refresher rebuilds it, the day is computed live.
 */
export const kpiRollupDays = pgTable(
  'kpi_rollup_days',
  {
    kpi: text().notNull(),
    dayStart: at().notNull(),
    dayEnd: at().notNull(),
    /**
     * A write dated before this invalidates the day too: FCR looks ahead at the customer's later
     * conversations within its window, so a day depends on records up to window days after it.
     */
    affectedUntil: at().notNull(),
    fingerprint: text().notNull(),
    ready: boolean().notNull(),
    computedAt: at().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.kpi, t.dayStart] }),
    index('kpi_rollup_days_affected_idx').using('gist', sql`tstzrange(${t.dayStart}, ${t.affectedUntil})`),
  ],
);

/**
 * The sums of a KPI's facts per day, team and one grouping set of up to two of agent, channel,
 * problem type and SLA metric (`grouping`: the bits of the dimensions summed away, as SQL's
 * grouping() numbers them — agent 8, channel 4, problem type 2, metric 1). A column summed away is
 * null; in a set that keeps it, null means "none" (unassigned, no problem type).
 */
export const kpiDaily = pgTable(
  'kpi_daily',
  {
    kpi: text().notNull(),
    dayStart: at().notNull(),
    grouping: smallint().notNull(),
    teamId: uuid(),
    agentId: uuid(),
    channel: text(),
    problemType: text(),
    metric: text(),
    num: doublePrecision().notNull(),
    den: doublePrecision().notNull(),
  },
  // Values queries read one grouping set of a range of days; refreshes replace all sets of a range.
  (t) => [index('kpi_daily_kpi_idx').on(t.kpi, t.dayStart, t.grouping)],
);
