ALTER TABLE "credentials" DROP COLUMN "failed_count";--> statement-breakpoint
ALTER TABLE "credentials" DROP COLUMN "failed_window_start";