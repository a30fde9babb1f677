/** Every table, for drizzle-kit and the typed client. A module owns its tables; others call its service. */
export * from '../modules/org/schema.ts';
export * from '../modules/policy/schema.ts';
export * from '../platform/auth/schema.ts';
export * from '../platform/audit/schema.ts';
export * from '../platform/events/schema.ts';
export * from '../platform/jobs/schema.ts';
export * from '../platform/webhooks/schema.ts';
export * from '../modules/customers/schema.ts';
export * from '../modules/conversations/schema.ts';
export * from '../modules/channels/schema.ts';
export * from '../modules/sla/schema.ts';
export * from '../modules/notifications/schema.ts';
export * from '../modules/surveys/schema.ts';
export * from '../modules/complaints/schema.ts';
export * from '../modules/kpi/schema.ts';
export * from '../modules/knowledge/schema.ts';
