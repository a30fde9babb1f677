CREATE INDEX "conversations_resolved_idx" ON "conversations" USING btree ("resolved_at");--> statement-breakpoint
CREATE INDEX "call_records_ringing_idx" ON "call_records" USING btree ("ringing_at");--> statement-breakpoint
CREATE INDEX "sla_targets_started_idx" ON "sla_targets" USING btree ("started_at");