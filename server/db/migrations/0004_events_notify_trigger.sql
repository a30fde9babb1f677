-- One NOTIFY per statement that writes events, sent by the database itself: writers save a round
-- trip, and no code path can write an event and forget to wake the nodes. The channel name is
-- EVENTS_CHANNEL in server/platform/events/outbox.ts.
CREATE FUNCTION kefu_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('kefu_events', '');
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER events_notify AFTER INSERT ON events
  FOR EACH STATEMENT EXECUTE FUNCTION kefu_events_notify();
