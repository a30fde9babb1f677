CREATE TABLE "kpi_daily" (
	"kpi" text NOT NULL,
	"day_start" timestamp with time zone NOT NULL,
	"grouping" smallint NOT NULL,
	"team_id" uuid,
	"agent_id" uuid,
	"channel" text,
	"problem_type" text,
	"metric" text,
	"num" double precision NOT NULL,
	"den" double precision NOT NULL
);
--> statement-breakpoint
CREATE TABLE "kpi_rollup_days" (
	"kpi" text NOT NULL,
	"day_start" timestamp with time zone NOT NULL,
	"day_end" timestamp with time zone NOT NULL,
	"affected_until" timestamp with time zone NOT NULL,
	"fingerprint" text NOT NULL,
	"ready" boolean NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "kpi_rollup_days_kpi_day_start_pk" PRIMARY KEY("kpi","day_start")
);
--> statement-breakpoint
ALTER TABLE "complaint_actions" ADD COLUMN "cancelled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "complaint_actions" ADD COLUMN "cancelled_by" uuid;--> statement-breakpoint
ALTER TABLE "complaint_actions" ADD COLUMN "cancel_reason" text;--> statement-breakpoint
ALTER TABLE "complaints" ADD COLUMN "respond_by" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "kpi_daily_kpi_idx" ON "kpi_daily" USING btree ("kpi","day_start","grouping");--> statement-breakpoint
CREATE INDEX "kpi_rollup_days_affected_idx" ON "kpi_rollup_days" USING gist (tstzrange("day_start", "affected_until"));--> statement-breakpoint
-- Rollups never outlive the data they summed: every write to a table a KPI fact is read from
-- deletes, in the writer's transaction, the rolled-up days the record is dated in (and, for
-- conversations, the days whose FCR looks ahead at it). server/modules/kpi/rollup.ts rebuilds them.
-- One statement per row, on the GiST index: writes to recent records, whose days are not rolled
-- up yet, find nothing. (OLD is null on INSERT and NEW on DELETE, and so are their fields.)
CREATE FUNCTION kefu_kpi_conversations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM kpi_rollup_days d WHERE tstzrange(d.day_start, d.affected_until) @> OLD.created_at OR tstzrange(d.day_start, d.affected_until) @> OLD.resolved_at
    OR tstzrange(d.day_start, d.affected_until) @> NEW.created_at OR tstzrange(d.day_start, d.affected_until) @> NEW.resolved_at;
  -- Facts of calls, SLA targets, callbacks and complaints take team, channel and problem type from
  -- their conversation: when those change, the related records' days change too.
  IF TG_OP = 'UPDATE' AND (OLD.team_id, OLD.channel, OLD.problem_type) IS DISTINCT FROM (NEW.team_id, NEW.channel, NEW.problem_type) THEN
    DELETE FROM kpi_rollup_days d WHERE
      EXISTS (SELECT 1 FROM call_records k WHERE k.conversation_id = NEW.id AND tstzrange(d.day_start, d.affected_until) @> k.ringing_at)
      OR EXISTS (SELECT 1 FROM sla_targets s WHERE s.conversation_id = NEW.id AND tstzrange(d.day_start, d.affected_until) @> s.started_at)
      OR EXISTS (SELECT 1 FROM conversation_tasks k WHERE k.conversation_id = NEW.id AND tstzrange(d.day_start, d.affected_until) @> k.due_at)
      OR EXISTS (SELECT 1 FROM complaints p WHERE p.conversation_id = NEW.id AND tstzrange(d.day_start, d.affected_until) @> p.received_at);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER kpi_rollups AFTER INSERT OR UPDATE OR DELETE ON conversations FOR EACH ROW EXECUTE FUNCTION kefu_kpi_conversations();
--> statement-breakpoint
-- The tables whose facts are dated by one column of their own: one function and trigger each.
DO $$
DECLARE
  dated text[][] := ARRAY[['call_records', 'ringing_at'], ['sla_targets', 'started_at'], ['surveys', 'invited_at'], ['conversation_tasks', 'due_at'], ['complaints', 'received_at']];
  i int;
BEGIN
  FOR i IN 1 .. array_length(dated, 1) LOOP
    EXECUTE format($f$
      CREATE FUNCTION %1$I() RETURNS trigger LANGUAGE plpgsql AS $b$
      BEGIN
        DELETE FROM kpi_rollup_days d WHERE tstzrange(d.day_start, d.affected_until) @> OLD.%2$I OR tstzrange(d.day_start, d.affected_until) @> NEW.%2$I;
        RETURN NULL;
      END;
      $b$;
      CREATE TRIGGER kpi_rollups AFTER INSERT OR UPDATE OR DELETE ON %3$I FOR EACH ROW EXECUTE FUNCTION %1$I();
    $f$, 'kefu_kpi_' || dated[i][1], dated[i][2], dated[i][1]);
  END LOOP;
END;
$$;
--> statement-breakpoint
-- A reopen changes its conversation's reopen rate and FCR, dated by the conversation's creation.
CREATE FUNCTION kefu_kpi_reopens() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM kpi_rollup_days d USING conversations c WHERE c.id = NEW.conversation_id AND tstzrange(d.day_start, d.affected_until) @> c.created_at;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER kpi_rollups AFTER INSERT ON conversation_reopens FOR EACH ROW EXECUTE FUNCTION kefu_kpi_reopens();
--> statement-breakpoint
-- A complaint without a conversation counts for its attributed staff member's team.
CREATE FUNCTION kefu_kpi_staff() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM kpi_rollup_days d USING complaints p WHERE p.attributed_staff_id = NEW.id AND tstzrange(d.day_start, d.affected_until) @> p.received_at;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER kpi_rollups AFTER UPDATE OF team_id ON staff FOR EACH ROW WHEN (OLD.team_id IS DISTINCT FROM NEW.team_id) EXECUTE FUNCTION kefu_kpi_staff();
