import { and, asc, eq, gt, ilike, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/columns.ts';
import type { Ctx } from '../../platform/context.ts';
import { defineErrors } from '../../platform/errors.ts';
import { declareEventTypes, type Audience } from '../../platform/events/outbox.ts';
import { loginStates, preparePassword, revokeSessions, storePassword, unlock } from '../../platform/auth/service.ts';
import { isValidIdNumber } from '../../platform/pii/validate.ts';
import { registerRevealable } from '../../platform/pii/reveal.ts';
import { newSigningKey } from '../../platform/signing.ts';
import { write, type Writer } from '../../platform/write.ts';
import type { Role } from '../../platform/rbac/permissions.ts';
import type { StaffLevel } from '../../presets/types.ts';
import { normaliseUsername } from './identity.ts';
import { departments, organisation, staff, staffLevelChanges, teams } from './schema.ts';
import {
  DepartmentView,
  LevelChangeView,
  StaffView,
  TeamView,
  departmentView,
  levelChangeView,
  staffView,
  teamView,
} from './views.ts';

export const OrgError = defineErrors('org', {
  department_not_found: [404, { 'zh-CN': '部门不存在', 'zh-TW': '部門不存在', en: 'Department not found' }],
  team_not_found: [404, { 'zh-CN': '班组不存在', 'zh-TW': '班組不存在', en: 'Team not found' }],
  staff_not_found: [404, { 'zh-CN': '员工不存在', 'zh-TW': '員工不存在', en: 'Staff member not found' }],
  code_taken: [409, { 'zh-CN': '编码 {code} 已被使用', 'zh-TW': '編碼 {code} 已被使用', en: 'Code {code} is already used' }],
  username_taken: [409, { 'zh-CN': '用户名 {username} 已被使用', 'zh-TW': '使用者名稱 {username} 已被使用', en: 'Username {username} is already taken' }],
  department_not_empty: [409, { 'zh-CN': '部门下仍有班组或员工，不能删除', 'zh-TW': '部門下仍有班組或員工，不能刪除', en: 'The department still has teams or staff' }],
  team_not_empty: [409, { 'zh-CN': '班组下仍有员工，不能删除', 'zh-TW': '班組下仍有員工，不能刪除', en: 'The team still has staff' }],
  team_outside_department: [400, { 'zh-CN': '班组不属于所选部门', 'zh-TW': '班組不屬於所選部門', en: 'The team does not belong to the department' }],
  invalid_id_number: [400, { 'zh-CN': '身份证号码格式或校验位不正确', 'zh-TW': '身分證號碼格式或校驗碼不正確', en: 'The ID number is malformed or its check digit is wrong' }],
  last_admin: [409, { 'zh-CN': '不能停用或降级最后一位系统管理员', 'zh-TW': '不能停用或降級最後一位系統管理員', en: 'The last active administrator cannot be disabled or demoted' }],
  cannot_disable_self: [409, { 'zh-CN': '不能停用自己的账号', 'zh-TW': '不能停用自己的帳號', en: 'You cannot disable your own account' }],
  same_level: [409, { 'zh-CN': '员工已是该等级', 'zh-TW': '員工已是該等級', en: 'The staff member already has this level' }],
  invalid_timezone: [400, { 'zh-CN': '未知时区 {timezone}', 'zh-TW': '未知時區 {timezone}', en: 'Unknown time zone {timezone}' }],
  outside_scope: [403, { 'zh-CN': '只能管理本部门的员工', 'zh-TW': '只能管理本部門的員工', en: 'You can only manage staff of your own department' }],
});

declareEventTypes({
  'department.created': '部门已创建',
  'department.updated': '部门已更新',
  'department.deleted': '部门已删除',
  'team.created': '班组已创建',
  'team.updated': '班组已更新',
  'team.deleted': '班组已删除',
  'staff.created': '员工已创建',
  'staff.updated': '员工资料、角色或状态已更新',
  'staff.level_changed': '员工等级已调整（晋升或降级）',
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ORG_AUDIENCE: Audience = { permissions: ['org.read'] };

registerRevealable('staff', {
  schema: StaffView,
  async load(ctx, id) {
    if (!UUID.test(id)) return null;
    const [row] = await ctx.db.select().from(staff).where(eq(staff.id, id)).limit(1);
    return row && revealScope(ctx, row) ? row : null;
  },
});

/** Whose personal data a caller may reveal: a lead their team, a manager their department. */
function revealScope(ctx: Ctx, target: { teamId: string | null; departmentId: string | null; id: string }): boolean {
  const { actor } = ctx;
  if (target.id === actor.id) return true;
  if (actor.role === 'team_lead') return target.teamId !== null && target.teamId === actor.teamId;
  if (actor.role === 'manager') return target.departmentId !== null && target.departmentId === actor.departmentId;
  return true;
}


export interface ListArgs {
  afterId?: string;
  limit: number;
}

/** Only the keys the caller sent; `undefined` means "leave unchanged". */
function defined<T extends Record<string, unknown>>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Ids are time-ordered, so "after this id" is the next page in creation order. */
function page(cond: SQL[], idCol: PgColumn, args: ListArgs) {
  if (args.afterId) cond.push(gt(idCol, args.afterId));
  return and(...cond);
}

async function mustExist<T>(rows: Promise<T[]>, notFound: () => Error): Promise<T> {
  const [row] = await rows;
  if (!row) throw notFound();
  return row;
}

// ---------- departments ----------

export async function listDepartments(ctx: Ctx, f: ListArgs & { kind?: string }) {
  const cond: SQL[] = [];
  if (f.kind) cond.push(eq(departments.kind, f.kind));
  return ctx.db
    .select()
    .from(departments)
    .where(page(cond, departments.id, f))
    .orderBy(asc(departments.id))
    .limit(f.limit + 1);
}

function findDepartment(db: Executor, id: string, field?: string) {
  return mustExist(db.select().from(departments).where(eq(departments.id, id)).limit(1), () =>
    OrgError('department_not_found', field ? { field } : {}),
  );
}

export async function getDepartment(ctx: Ctx, id: string): Promise<DepartmentView> {
  return departmentView(await findDepartment(ctx.db, id));
}

async function assertStaffExists(db: Executor, id: string | null | undefined, field: string): Promise<void> {
  if (!id) return;
  const [row] = await db.select({ id: staff.id }).from(staff).where(eq(staff.id, id)).limit(1);
  if (!row) throw OrgError('staff_not_found', { field });
}

export interface DepartmentInput {
  code: string;
  name: string;
  kind: string;
  managerId?: string | null;
  description?: string | null;
}

export async function insertDepartment(w: Writer, input: DepartmentInput): Promise<DepartmentView> {
  const [taken] = await w.tx.select({ id: departments.id }).from(departments).where(eq(departments.code, input.code)).limit(1);
  if (taken) throw OrgError('code_taken', { field: 'code', params: { code: input.code } });
  await assertStaffExists(w.tx, input.managerId, 'managerId');
  const [row] = await w.tx
    .insert(departments)
    .values({ id: newId(), ...input, managerId: input.managerId ?? null, description: input.description ?? null, createdAt: w.now, updatedAt: w.now })
    .returning();
  const after = departmentView(row!);
  await w.changed({ entityType: 'department', entityId: after.id, schema: DepartmentView, before: null, after, event: 'department.created', audience: ORG_AUDIENCE });
  return after;
}

export function createDepartment(ctx: Ctx, input: DepartmentInput): Promise<DepartmentView> {
  return write(ctx, (w) => insertDepartment(w, input));
}

export async function updateDepartment(ctx: Ctx, id: string, patch: Partial<DepartmentInput>): Promise<DepartmentView> {
  return write(ctx, async (w) => {
    const before = departmentView(await findDepartment(w.tx, id));
    if (patch.code && patch.code !== before.code) {
      const [taken] = await w.tx.select({ id: departments.id }).from(departments).where(eq(departments.code, patch.code)).limit(1);
      if (taken) throw OrgError('code_taken', { field: 'code', params: { code: patch.code } });
    }
    await assertStaffExists(w.tx, patch.managerId, 'managerId');
    const [row] = await w.tx
      .update(departments)
      .set({ ...defined(patch), updatedAt: w.now })
      .where(eq(departments.id, id))
      .returning();
    const after = departmentView(row!);
    await w.changed({ entityType: 'department', entityId: id, schema: DepartmentView, before, after, event: 'department.updated', audience: ORG_AUDIENCE });
    return after;
  });
}

export async function deleteDepartment(ctx: Ctx, id: string): Promise<void> {
  await write(ctx, async (w) => {
    const before = departmentView(await findDepartment(w.tx, id));
    const [used] = await w.tx
      .select({ n: sql<number>`1` })
      .from(teams)
      .where(eq(teams.departmentId, id))
      .union(w.tx.select({ n: sql<number>`1` }).from(staff).where(eq(staff.departmentId, id)))
      .limit(1);
    if (used) throw OrgError('department_not_empty');
    await w.tx.delete(departments).where(eq(departments.id, id));
    await w.changed({ entityType: 'department', entityId: id, schema: DepartmentView, before, after: null, event: 'department.deleted', audience: ORG_AUDIENCE });
  });
}

// ---------- teams ----------

export async function listTeams(ctx: Ctx, f: ListArgs & { departmentId?: string }) {
  const cond: SQL[] = [];
  if (f.departmentId) cond.push(eq(teams.departmentId, f.departmentId));
  return ctx.db
    .select()
    .from(teams)
    .where(page(cond, teams.id, f))
    .orderBy(asc(teams.id))
    .limit(f.limit + 1);
}

function findTeam(db: Executor, id: string, field?: string) {
  return mustExist(db.select().from(teams).where(eq(teams.id, id)).limit(1), () => OrgError('team_not_found', field ? { field } : {}));
}

export async function getTeam(ctx: Ctx, id: string): Promise<TeamView> {
  return teamView(await findTeam(ctx.db, id));
}

export interface TeamInput {
  code: string;
  name: string;
  departmentId: string;
  leadId?: string | null;
  timezone?: string;
}

function assertTimezone(timezone: string | undefined): void {
  if (timezone === undefined) return;
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    throw OrgError('invalid_timezone', { field: 'timezone', params: { timezone } });
  }
}

export async function insertTeam(w: Writer, input: TeamInput & { timezone: string }): Promise<TeamView> {
  assertTimezone(input.timezone);
  const [taken] = await w.tx.select({ id: teams.id }).from(teams).where(eq(teams.code, input.code)).limit(1);
  if (taken) throw OrgError('code_taken', { field: 'code', params: { code: input.code } });
  await findDepartment(w.tx, input.departmentId, 'departmentId');
  await assertStaffExists(w.tx, input.leadId, 'leadId');
  const [row] = await w.tx
    .insert(teams)
    .values({ id: newId(), ...input, leadId: input.leadId ?? null, createdAt: w.now, updatedAt: w.now })
    .returning();
  const after = teamView(row!);
  await w.changed({ entityType: 'team', entityId: after.id, schema: TeamView, before: null, after, event: 'team.created', audience: ORG_AUDIENCE });
  return after;
}

/** Teams work in the organisation's time zone unless told otherwise. */
export const DEFAULT_TIMEZONE = 'Asia/Shanghai';

export function createTeam(ctx: Ctx, input: TeamInput): Promise<TeamView> {
  return write(ctx, async (w) => {
    const [org] = await w.tx.select({ timezone: organisation.timezone }).from(organisation).limit(1);
    return insertTeam(w, { ...input, timezone: input.timezone ?? org?.timezone ?? DEFAULT_TIMEZONE });
  });
}

/**
 * The key that signs links needing no sign-in (survey invitations), made on first use. The
 * conditional update keeps whichever key was stored first, so concurrent nodes agree on one.
 */
export async function organisationSigningKey(db: Executor): Promise<string> {
  const read = async () => (await db.select({ key: organisation.signingKey }).from(organisation).limit(1))[0]?.key ?? null;
  const existing = await read();
  if (existing) return existing;
  await db.update(organisation).set({ signingKey: newSigningKey() }).where(isNull(organisation.signingKey));
  const key = await read();
  if (!key) throw new Error('the organisation is not initialised');
  return key;
}

export async function updateTeam(ctx: Ctx, id: string, patch: Partial<TeamInput>): Promise<TeamView> {
  return write(ctx, async (w) => {
    const before = teamView(await findTeam(w.tx, id));
    assertTimezone(patch.timezone);
    if (patch.code && patch.code !== before.code) {
      const [taken] = await w.tx.select({ id: teams.id }).from(teams).where(eq(teams.code, patch.code)).limit(1);
      if (taken) throw OrgError('code_taken', { field: 'code', params: { code: patch.code } });
    }
    if (patch.departmentId) await findDepartment(w.tx, patch.departmentId, 'departmentId');
    await assertStaffExists(w.tx, patch.leadId, 'leadId');
    const [row] = await w.tx.update(teams).set({ ...defined(patch), updatedAt: w.now }).where(eq(teams.id, id)).returning();
    const after = teamView(row!);
    // Members follow their team into its new department.
    if (patch.departmentId && patch.departmentId !== before.departmentId) {
      await w.tx.update(staff).set({ departmentId: patch.departmentId, updatedAt: w.now }).where(eq(staff.teamId, id));
    }
    await w.changed({ entityType: 'team', entityId: id, schema: TeamView, before, after, event: 'team.updated', audience: ORG_AUDIENCE });
    return after;
  });
}

export async function deleteTeam(ctx: Ctx, id: string): Promise<void> {
  await write(ctx, async (w) => {
    const before = teamView(await findTeam(w.tx, id));
    const [member] = await w.tx.select({ id: staff.id }).from(staff).where(eq(staff.teamId, id)).limit(1);
    if (member) throw OrgError('team_not_empty');
    await w.tx.delete(teams).where(eq(teams.id, id));
    await w.changed({ entityType: 'team', entityId: id, schema: TeamView, before, after: null, event: 'team.deleted', audience: ORG_AUDIENCE });
  });
}

// ---------- staff ----------

export interface StaffFilter extends ListArgs {
  departmentId?: string;
  teamId?: string;
  role?: string;
  status?: string;
  q?: string;
}

/** Escapes LIKE wildcards so a search for "50%" finds "50%", not everything. */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export async function listStaff(ctx: Ctx, f: StaffFilter): Promise<StaffView[]> {
  const cond: SQL[] = [];
  if (f.departmentId) cond.push(eq(staff.departmentId, f.departmentId));
  if (f.teamId) cond.push(eq(staff.teamId, f.teamId));
  if (f.role) cond.push(eq(staff.role, f.role));
  if (f.status) cond.push(eq(staff.status, f.status));
  if (f.q) {
    const p = likePattern(f.q);
    cond.push(or(ilike(staff.username, p), ilike(staff.displayName, p), ilike(staff.employeeNo, p))!);
  }
  const rows = await ctx.db
    .select()
    .from(staff)
    .where(page(cond, staff.id, f))
    .orderBy(asc(staff.id))
    .limit(f.limit + 1);
  const logins = await loginStates(ctx.db, rows.map((r) => r.id), ctx.clock.now());
  return rows.map((r) => staffView(r, logins.get(r.id)));
}

function findStaff(db: Executor, id: string) {
  return mustExist(db.select().from(staff).where(eq(staff.id, id)).limit(1), () => OrgError('staff_not_found'));
}

async function viewOf(db: Executor, row: typeof staff.$inferSelect, now: Date): Promise<StaffView> {
  const logins = await loginStates(db, [row.id], now);
  return staffView(row, logins.get(row.id));
}

export async function getStaff(ctx: Ctx, id: string): Promise<StaffView> {
  return viewOf(ctx.db, await findStaff(ctx.db, id), ctx.clock.now());
}

export interface StaffInput {
  username: string;
  displayName: string;
  role: Role;
  departmentId?: string | null;
  teamId?: string | null;
  level?: StaffLevel | null;
  employeeNo?: string | null;
  phone?: string | null;
  email?: string | null;
  idNumber?: string | null;
  hiredOn?: string | null;
  locale?: string;
  status?: 'active' | 'disabled';
}

/** Resolves department from team when only the team is given, and checks they agree. */
async function placement(db: Executor, departmentId: string | null | undefined, teamId: string | null | undefined) {
  let dept = departmentId ?? null;
  if (teamId) {
    const team = await findTeam(db, teamId, 'teamId');
    if (dept && dept !== team.departmentId) throw OrgError('team_outside_department', { field: 'teamId' });
    dept = team.departmentId;
  }
  if (dept) await findDepartment(db, dept, 'departmentId');
  return { departmentId: dept, teamId: teamId ?? null };
}

function checkIdNumber(idNumber: string | null | undefined): void {
  if (idNumber && !isValidIdNumber(idNumber)) throw OrgError('invalid_id_number', { field: 'idNumber' });
}

/** Inserts a staff member with a prepared password hash; used by the API and by preset loading. */
export async function insertStaff(w: Writer, input: StaffInput & { passwordHash: string; isDemo?: boolean }): Promise<StaffView> {
  const username = normaliseUsername(input.username);
  const [taken] = await w.tx.select({ id: staff.id }).from(staff).where(eq(staff.username, username)).limit(1);
  if (taken) throw OrgError('username_taken', { field: 'username', params: { username } });
  checkIdNumber(input.idNumber);
  const place = await placement(w.tx, input.departmentId, input.teamId);
  const id = newId();
  const [row] = await w.tx
    .insert(staff)
    .values({
      id,
      username,
      displayName: input.displayName,
      role: input.role,
      ...place,
      level: input.level ?? null,
      employeeNo: input.employeeNo ?? null,
      phone: input.phone ?? null,
      email: input.email?.toLowerCase() ?? null,
      idNumber: input.idNumber?.toUpperCase() ?? null,
      hiredOn: input.hiredOn ?? null,
      status: input.status ?? 'active',
      locale: input.locale ?? 'zh-CN',
      isDemo: input.isDemo ?? false,
      createdAt: w.now,
      updatedAt: w.now,
    })
    .returning();
  await storePassword(w.tx, id, input.passwordHash, w.now);
  if (input.level) {
    await w.tx.insert(staffLevelChanges).values({ id: newId(), staffId: id, fromLevel: null, toLevel: input.level, reason: '入职定级', changedBy: w.ctx.actor.id, changedAt: w.now });
  }
  const after = staffView(row!);
  await w.changed({ entityType: 'staff', entityId: id, schema: StaffView, before: null, after, event: 'staff.created', audience: ORG_AUDIENCE });
  return after;
}

export async function createStaff(ctx: Ctx, { password, ...input }: StaffInput & { password: string }): Promise<StaffView> {
  const passwordHash = await preparePassword(password);
  return write(ctx, (w) => insertStaff(w, { ...input, passwordHash }));
}

async function assertNotLastAdmin(db: Executor, id: string): Promise<void> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(staff)
    .where(and(eq(staff.role, 'admin'), eq(staff.status, 'active'), ne(staff.id, id)));
  if ((row?.n ?? 0) === 0) throw OrgError('last_admin');
}

export type StaffPatch = Partial<Omit<StaffInput, 'username' | 'level'>>;

export async function updateStaff(ctx: Ctx, id: string, patch: StaffPatch): Promise<StaffView> {
  return write(ctx, async (w) => {
    const row = await findStaff(w.tx, id);
    const before = staffView(row);
    checkIdNumber(patch.idNumber);
    const disabling = patch.status === 'disabled' && row.status !== 'disabled';
    if (disabling && id === ctx.actor.id) throw OrgError('cannot_disable_self');
    if (row.role === 'admin' && row.status === 'active' && (disabling || (patch.role && patch.role !== 'admin'))) await assertNotLastAdmin(w.tx, id);
    const changes: Record<string, unknown> = defined({ ...patch, departmentId: undefined, teamId: undefined });
    if (patch.email) changes.email = patch.email.toLowerCase();
    if (patch.idNumber) changes.idNumber = patch.idNumber.toUpperCase();
    if (patch.departmentId !== undefined || patch.teamId !== undefined) {
      const teamId = patch.teamId !== undefined ? patch.teamId : patch.departmentId !== undefined && patch.departmentId !== row.departmentId ? null : row.teamId;
      Object.assign(changes, await placement(w.tx, patch.departmentId !== undefined ? patch.departmentId : row.departmentId, teamId));
    }
    const [updated] = await w.tx.update(staff).set({ ...changes, updatedAt: w.now }).where(eq(staff.id, id)).returning();
    if (disabling) await revokeSessions(w, { staffId: id }, 'account_disabled');
    const after = await viewOf(w.tx, updated!, w.now);
    await w.changed({ entityType: 'staff', entityId: id, schema: StaffView, before: { ...before, lockedUntil: after.lockedUntil, lastLoginAt: after.lastLoginAt }, after, event: 'staff.updated', audience: ORG_AUDIENCE });
    return after;
  });
}

/** Managers act within their own department; general managers and admins everywhere. */
function assertInScope(ctx: Ctx, target: { departmentId: string | null }): void {
  if (ctx.actor.role === 'manager' && target.departmentId !== ctx.actor.departmentId) throw OrgError('outside_scope');
}

export async function changeLevel(ctx: Ctx, id: string, input: { level: StaffLevel; reason: string }): Promise<LevelChangeView> {
  return write(ctx, async (w) => {
    const row = await findStaff(w.tx, id);
    assertInScope(ctx, row);
    if (row.level === input.level) throw OrgError('same_level', { field: 'level' });
    const [change] = await w.tx
      .insert(staffLevelChanges)
      .values({ id: newId(), staffId: id, fromLevel: row.level, toLevel: input.level, reason: input.reason, changedBy: ctx.actor.id, changedAt: w.now })
      .returning();
    await w.tx.update(staff).set({ level: input.level, updatedAt: w.now }).where(eq(staff.id, id));
    await w.audit({ action: 'update', entityType: 'staff', entityId: id, before: { level: row.level }, after: { level: input.level }, reason: input.reason });
    const view = levelChangeView(change!);
    await w.emit({ type: 'staff.level_changed', entityType: 'staff', entityId: id, data: view, audience: ORG_AUDIENCE });
    return view;
  });
}

export async function listLevelChanges(ctx: Ctx, staffId: string, args: ListArgs) {
  await findStaff(ctx.db, staffId);
  return ctx.db
    .select()
    .from(staffLevelChanges)
    .where(and(eq(staffLevelChanges.staffId, staffId), args.afterId ? gt(staffLevelChanges.id, args.afterId) : undefined))
    .orderBy(asc(staffLevelChanges.id))
    .limit(args.limit + 1);
}

export async function resetPassword(ctx: Ctx, id: string, password: string): Promise<void> {
  const passwordHash = await preparePassword(password, 'newPassword');
  await write(ctx, async (w) => {
    await findStaff(w.tx, id);
    await storePassword(w.tx, id, passwordHash, w.now);
    await w.audit({ action: 'update', entityType: 'credentials', entityId: id, after: { passwordChangedAt: w.now.toISOString() }, reason: 'admin_reset' });
    await revokeSessions(w, { staffId: id }, 'password_reset');
  });
}

export async function unlockStaff(ctx: Ctx, id: string): Promise<StaffView> {
  return write(ctx, async (w) => {
    const row = await findStaff(w.tx, id);
    await unlock(w, id);
    return viewOf(w.tx, row, w.now);
  });
}

