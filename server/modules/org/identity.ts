import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { isRole, PERMISSIONS, type Permission, type Role } from '../../platform/rbac/permissions.ts';
import { staff } from './schema.ts';

/** What authentication needs to know about a staff member; the org module answers it. */
export interface StaffIdentity {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  active: boolean;
  teamId: string | null;
  departmentId: string | null;
  locale: string;
}

/**
 * The identity projection of a staff record. Exported so authentication can fetch it in the
 * same query as the session (the hot path of every request) instead of a second round trip.
 */
export const identityColumns = {
  id: staff.id,
  username: staff.username,
  displayName: staff.displayName,
  role: staff.role,
  status: staff.status,
  teamId: staff.teamId,
  departmentId: staff.departmentId,
  locale: staff.locale,
};

export function toIdentity(row: { role: string; status: string } & Omit<StaffIdentity, 'role' | 'active'>): StaffIdentity {
  if (!isRole(row.role)) throw new Error(`staff ${row.id} has unknown role ${row.role}`);
  const { status, ...rest } = row;
  return { ...rest, role: row.role, active: status === 'active' };
}

export function normaliseUsername(username: string): string {
  return username.trim().toLowerCase();
}

export async function findIdentityByUsername(db: Executor, username: string): Promise<StaffIdentity | null> {
  const [row] = await db
    .select(identityColumns)
    .from(staff)
    .where(eq(staff.username, normaliseUsername(username)))
    .limit(1);
  return row ? toIdentity(row) : null;
}

export async function getIdentity(db: Executor, id: string): Promise<StaffIdentity | null> {
  const [row] = await db.select(identityColumns).from(staff).where(eq(staff.id, id)).limit(1);
  return row ? toIdentity(row) : null;
}

export async function countStaff(db: Executor): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(staff);
  return row?.n ?? 0;
}

/** Active staff whose role holds `permission` (the one permission table), optionally of one department. */
export async function activeStaffWith(db: Executor, permission: Permission, departmentId?: string | null): Promise<string[]> {
  const rows = await db
    .select({ id: staff.id })
    .from(staff)
    .where(and(inArray(staff.role, [...PERMISSIONS[permission]]), eq(staff.status, 'active'), departmentId ? eq(staff.departmentId, departmentId) : undefined))
    .orderBy(asc(staff.id));
  return rows.map((r) => r.id);
}
