-- O4: the audit log is append-only. The application never updates or deletes it, and the
-- database refuses if anything tries. (TRUNCATE is left to operators and test resets.)
CREATE FUNCTION kefu_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION kefu_audit_log_append_only();
