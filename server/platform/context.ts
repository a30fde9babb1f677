import type { Clock } from './clock.ts';
import type { Db } from '../db/client.ts';
import type { Locale } from './i18n.ts';
import type { Permission, Role } from './rbac/permissions.ts';

/** Who is acting. Services receive it and scope every read and write to it. */
export interface Actor {
  type: 'staff' | 'api_token' | 'system' | 'anonymous';
  id: string | null;
  name: string | null;
  role: Role | null;
  permissions: ReadonlySet<Permission>;
  teamId: string | null;
  departmentId: string | null;
  sessionId: string | null;
  sessionExpiresAt: Date | null;
  tokenId: string | null;
}

/** Everything a service call needs; built per request or per job. */
export interface Ctx {
  actor: Actor;
  db: Db;
  clock: Clock;
  locale: Locale;
  requestId: string | null;
  ip: string | null;
}

export const SYSTEM_ACTOR: Actor = {
  type: 'system',
  id: null,
  name: 'system',
  role: null,
  permissions: new Set(),
  teamId: null,
  departmentId: null,
  sessionId: null,
  sessionExpiresAt: null,
  tokenId: null,
};

export const ANONYMOUS_ACTOR: Actor = { ...SYSTEM_ACTOR, type: 'anonymous', name: null };

export function systemCtx(db: Db, clock: Clock): Ctx {
  return { actor: SYSTEM_ACTOR, db, clock, locale: 'zh-CN', requestId: null, ip: null };
}

export function can(actor: Actor, permission: Permission): boolean {
  return actor.permissions.has(permission);
}
