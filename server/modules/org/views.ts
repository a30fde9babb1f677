import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp, Uuid, iso, isoOrNull } from '../../platform/http/schemas.ts';
import { Pii } from '../../platform/pii/schema-mask.ts';
import { ROLES } from '../../platform/rbac/permissions.ts';
import { DEPARTMENT_KINDS, PARTNER_KINDS } from '../policy/document.ts';
import { STAFF_LEVELS } from '../../presets/types.ts';
import type { departments, staff, staffLevelChanges, teams } from './schema.ts';

export const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));
export const LevelSchema = Type.Union(STAFF_LEVELS.map((l) => Type.Literal(l)), { description: 'junior 初级 / intermediate 中级 / senior 高级' });
export const DepartmentKindSchema = Type.Union(DEPARTMENT_KINDS.map((k) => Type.Literal(k)));
export const StaffStatusSchema = Type.Union([Type.Literal('active'), Type.Literal('disabled')]);

export const DepartmentView = Type.Object(
  {
    id: Uuid,
    code: Type.String(),
    name: Type.String(),
    kind: DepartmentKindSchema,
    isPartner: Type.Boolean({ description: '协同部门（销售、生产、财务、物流）' }),
    managerId: Nullable(Uuid),
    description: Nullable(Type.String()),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'Department' },
);
export type DepartmentView = Static<typeof DepartmentView>;

export const TeamView = Type.Object(
  {
    id: Uuid,
    code: Type.String(),
    departmentId: Uuid,
    name: Type.String(),
    leadId: Nullable(Uuid),
    timezone: Type.String(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'Team' },
);
export type TeamView = Static<typeof TeamView>;

export const StaffView = Type.Object(
  {
    id: Uuid,
    username: Type.String(),
    displayName: Type.String(),
    role: RoleSchema,
    departmentId: Nullable(Uuid),
    teamId: Nullable(Uuid),
    level: Nullable(LevelSchema),
    employeeNo: Nullable(Type.String()),
    phone: Nullable(Pii('phone')),
    email: Nullable(Pii('email')),
    idNumber: Nullable(Pii('id_card')),
    hiredOn: Nullable(Type.String({ format: 'date' })),
    status: StaffStatusSchema,
    locale: Type.String(),
    isDemo: Type.Boolean(),
    lockedUntil: Nullable(Timestamp),
    lastLoginAt: Nullable(Timestamp),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'Staff' },
);
export type StaffView = Static<typeof StaffView>;

export const LevelChangeView = Type.Object(
  {
    id: Uuid,
    staffId: Uuid,
    fromLevel: Nullable(LevelSchema),
    toLevel: LevelSchema,
    reason: Type.String(),
    changedBy: Nullable(Uuid),
    changedAt: Timestamp,
  },
  { title: 'LevelChange' },
);
export type LevelChangeView = Static<typeof LevelChangeView>;

const partnerKinds: readonly string[] = PARTNER_KINDS;

export function departmentView(r: typeof departments.$inferSelect): DepartmentView {
  return {
    id: r.id,
    code: r.code,
    name: r.name,
    kind: r.kind as DepartmentView['kind'],
    isPartner: partnerKinds.includes(r.kind),
    managerId: r.managerId,
    description: r.description,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

export function teamView(r: typeof teams.$inferSelect): TeamView {
  return { ...r, createdAt: iso(r.createdAt), updatedAt: iso(r.updatedAt) };
}

export function staffView(
  r: typeof staff.$inferSelect,
  login: { lockedUntil: Date | null; lastLoginAt: Date | null } = { lockedUntil: null, lastLoginAt: null },
): StaffView {
  return {
    id: r.id,
    username: r.username,
    displayName: r.displayName,
    role: r.role as StaffView['role'],
    departmentId: r.departmentId,
    teamId: r.teamId,
    level: r.level as StaffView['level'],
    employeeNo: r.employeeNo,
    phone: r.phone,
    email: r.email,
    idNumber: r.idNumber,
    hiredOn: r.hiredOn,
    status: r.status as StaffView['status'],
    locale: r.locale,
    isDemo: r.isDemo,
    lockedUntil: isoOrNull(login.lockedUntil),
    lastLoginAt: isoOrNull(login.lastLoginAt),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

export function levelChangeView(r: typeof staffLevelChanges.$inferSelect): LevelChangeView {
  return { ...r, fromLevel: r.fromLevel as LevelChangeView['fromLevel'], toLevel: r.toLevel as LevelChangeView['toLevel'], changedAt: iso(r.changedAt) };
}
