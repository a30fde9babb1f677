CREATE TABLE "kb_article_versions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"article_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"status" text NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"note" text,
	"author_id" uuid,
	"submitted_at" timestamp with time zone,
	"reviewer_id" uuid,
	"reviewed_at" timestamp with time zone,
	"review_comment" text,
	"reviews" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"published_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "kb_article_views" (
	"id" uuid PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"article_id" uuid NOT NULL,
	"source" text NOT NULL,
	"visitor_id" text,
	"search_id" uuid,
	"resolved" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "kb_articles" (
	"id" uuid PRIMARY KEY NOT NULL,
	"number" integer GENERATED ALWAYS AS IDENTITY (sequence name "kb_articles_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1001 CACHE 1),
	"type" text NOT NULL,
	"visibility" text NOT NULL,
	"category_id" uuid,
	"problem_type" text,
	"status" text NOT NULL,
	"title" text NOT NULL,
	"published_version_id" uuid,
	"published_at" timestamp with time zone,
	"search" "tsvector",
	"title_search" "tsvector",
	"source_conversation_id" uuid,
	"created_by" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"archived_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "kb_attachments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"article_id" uuid NOT NULL,
	"file_name" text NOT NULL,
	"content_type" text NOT NULL,
	"size" integer NOT NULL,
	"sha256" text NOT NULL,
	"storage_key" text NOT NULL,
	"uploaded_by" uuid,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "kb_categories" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"parent_id" uuid,
	"position" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "kb_categories_name_key" UNIQUE NULLS NOT DISTINCT("parent_id","name")
);
--> statement-breakpoint
CREATE TABLE "kb_searches" (
	"id" uuid PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"query" text NOT NULL,
	"terms" text NOT NULL,
	"results" integer NOT NULL,
	"source" text NOT NULL,
	"staff_id" uuid,
	"visitor_id" text,
	"conversation_id" uuid
);
--> statement-breakpoint
CREATE UNIQUE INDEX "kb_article_versions_version_key" ON "kb_article_versions" USING btree ("article_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "kb_article_versions_open_key" ON "kb_article_versions" USING btree ("article_id") WHERE status in ('draft', 'in_review');--> statement-breakpoint
CREATE INDEX "kb_article_versions_status_idx" ON "kb_article_versions" USING btree ("status");--> statement-breakpoint
CREATE INDEX "kb_article_views_at_idx" ON "kb_article_views" USING btree ("at");--> statement-breakpoint
CREATE INDEX "kb_article_views_article_idx" ON "kb_article_views" USING btree ("article_id");--> statement-breakpoint
CREATE UNIQUE INDEX "kb_articles_number_key" ON "kb_articles" USING btree ("number");--> statement-breakpoint
CREATE INDEX "kb_articles_search_idx" ON "kb_articles" USING gin ("search");--> statement-breakpoint
CREATE INDEX "kb_articles_title_search_idx" ON "kb_articles" USING gin ("title_search");--> statement-breakpoint
CREATE INDEX "kb_articles_published_at_idx" ON "kb_articles" USING btree ("published_at") WHERE status = 'published';--> statement-breakpoint
CREATE INDEX "kb_articles_category_idx" ON "kb_articles" USING btree ("category_id");--> statement-breakpoint
CREATE INDEX "kb_articles_problem_type_idx" ON "kb_articles" USING btree ("problem_type") WHERE status = 'published';--> statement-breakpoint
CREATE INDEX "kb_attachments_article_idx" ON "kb_attachments" USING btree ("article_id");--> statement-breakpoint
CREATE INDEX "kb_searches_gaps_idx" ON "kb_searches" USING btree ("at") WHERE results = 0;