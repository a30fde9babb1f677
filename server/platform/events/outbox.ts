import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import type { Ctx } from '../context.ts';
import type { Permission } from '../rbac/permissions.ts';
import { events } from './schema.ts';

/**
 * Who may see an event pushed over /api/realtime: holders of any listed permission,
 * listed staff, or members of listed teams. An empty audience is internal only.
 */
export interface Audience {
  permissions?: Permission[];
  staffIds?: string[];
  teamIds?: string[];
}

export interface DomainEvent {
  id: number;
  type: string;
  entityType: string;
  entityId: string | null;
  actorId: string | null;
  data: Record<string, unknown>;
  audience: Audience;
  occurredAt: Date;
}

export interface NewEvent {
  type: string;
  entityType: string;
  entityId: string | null;
  data: Record<string, unknown>;
  audience: Audience;
}

export const EVENTS_CHANNEL = 'kefu_events';

const eventTypes = new Map<string, string>();

/** Each module declares its event types with a description; webhooks subscribe to these names. */
export function declareEventTypes(types: Record<string, string>): void {
  for (const [type, description] of Object.entries(types)) eventTypes.set(type, description);
}

export function eventTypeCatalogue(): ReadonlyMap<string, string> {
  return eventTypes;
}

/**
 * Writes the event in the caller's transaction. A statement trigger on `events` (migration
 * 0004) sends NOTIFY, which PostgreSQL delivers only if the transaction commits.
 */
export async function emitEvent(tx: Tx, ctx: Ctx, e: NewEvent, at: Date): Promise<void> {
  if (!eventTypes.has(e.type)) throw new Error(`event type ${e.type} is not declared`);
  await tx.insert(events).values({
    txid: sql`pg_current_xact_id()::text::bigint`,
    type: e.type,
    entityType: e.entityType,
    entityId: e.entityId,
    actorId: ctx.actor.id,
    data: e.data,
    audience: e.audience,
    occurredAt: at,
  });
}
