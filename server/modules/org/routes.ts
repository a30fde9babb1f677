import { Type } from '@sinclair/typebox';
import type { App } from '../../platform/http/app-types.ts';
import { PageQuery, Page, afterIdOf, idPage, DEFAULT_LIMIT } from '../../platform/http/pagination.ts';
import { Body, IdParams, Nullable, Query, Uuid } from '../../platform/http/schemas.ts';
import { PHONE_PATTERN } from '../../platform/pii/validate.ts';
import { PERMISSIONS, ROLES, ROLE_LABELS, permissionsOf } from '../../platform/rbac/permissions.ts';
import { MIN_PASSWORD_LENGTH } from '../../platform/auth/passwords.ts';
import * as org from './service.ts';
import {
  DepartmentKindSchema,
  DepartmentView,
  LevelChangeView,
  LevelSchema,
  RoleSchema,
  StaffStatusSchema,
  StaffView,
  TeamView,
  departmentView,
  levelChangeView,
  teamView,
} from './views.ts';

const tags = ['组织架构 Organisation'];
const Code = Type.String({ pattern: '^[a-z][a-z0-9_]{1,47}$', description: '英文小写编码，如 service_operations' });
const Name = Type.String({ minLength: 1, maxLength: 100 });
const Timezone = Type.String({ minLength: 3, maxLength: 64, description: 'IANA 时区，如 Asia/Shanghai' });

const DepartmentFields = {
  code: Code,
  name: Name,
  kind: DepartmentKindSchema,
  managerId: Type.Optional(Nullable(Uuid)),
  description: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
};
const CreateDepartment = Body(DepartmentFields);
const UpdateDepartment = Body(Type.Partial(Type.Object(DepartmentFields)).properties, { minProperties: 1 });

const TeamFields = {
  code: Code,
  name: Name,
  departmentId: Uuid,
  leadId: Type.Optional(Nullable(Uuid)),
  timezone: Type.Optional(Timezone),
};
const CreateTeam = Body(TeamFields);
const UpdateTeam = Body(Type.Partial(Type.Object(TeamFields)).properties, { minProperties: 1 });

const Password = Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 200 });
const StaffFields = {
  displayName: Name,
  role: RoleSchema,
  departmentId: Type.Optional(Nullable(Uuid)),
  teamId: Type.Optional(Nullable(Uuid)),
  employeeNo: Type.Optional(Nullable(Type.String({ maxLength: 32 }))),
  phone: Type.Optional(Nullable(Type.String({ pattern: PHONE_PATTERN, maxLength: 32 }))),
  email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 200 }))),
  idNumber: Type.Optional(Nullable(Type.String({ pattern: '^[0-9]{15}([0-9]{2}[0-9Xx])?$', description: '居民身份证号码（18 位，含校验位）' }))),
  hiredOn: Type.Optional(Nullable(Type.String({ format: 'date' }))),
  locale: Type.Optional(Type.Union([Type.Literal('zh-CN'), Type.Literal('zh-TW'), Type.Literal('en')])),
  status: Type.Optional(StaffStatusSchema),
};
const CreateStaff = Body({
  username: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{1,31}$', description: '登录名，2–32 位字母、数字、点、下划线或连字符' }),
  password: Password,
  level: Type.Optional(Nullable(LevelSchema)),
  ...StaffFields,
});
const UpdateStaff = Body(Type.Partial(Type.Object(StaffFields)).properties, { minProperties: 1 });

const RoleGrants = Type.Object(
  {
    role: RoleSchema,
    label: Type.String({ description: '角色中文名' }),
    permissions: Type.Array(Type.String(), { description: '该角色持有的权限（服务端权限表）' }),
  },
  { title: 'RoleGrants' },
);

export function orgRoutes(app: App): void {
  // ----- roles (O2) -----
  app.get(
    '/api/roles',
    {
      config: { access: 'org.read' },
      schema: {
        tags,
        summary: '角色及其权限（服务端权限表，只读）',
        response: { 200: Type.Object({ permissions: Type.Array(Type.String(), { description: '全部权限，按权限表顺序' }), roles: Type.Array(RoleGrants) }) },
      },
    },
    async () => ({
      permissions: Object.keys(PERMISSIONS),
      roles: ROLES.map((role) => ({ role, label: ROLE_LABELS[role], permissions: [...permissionsOf(role)] })),
    }),
  );

  // ----- departments -----
  app.get(
    '/api/departments',
    {
      config: { access: 'org.read' },
      schema: { tags, summary: '部门列表', querystring: Query({ ...PageQuery, kind: Type.Optional(DepartmentKindSchema) }), response: { 200: Page(DepartmentView) } },
    },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      const rows = await org.listDepartments(req.ctx, { kind: req.query.kind, afterId: afterIdOf(req.query.cursor), limit });
      return idPage(rows, limit, departmentView);
    },
  );
  app.post(
    '/api/departments',
    { config: { access: 'org.manage' }, schema: { tags, summary: '新建部门', body: CreateDepartment, response: { 201: DepartmentView } } },
    async (req, reply) => reply.status(201).send(await org.createDepartment(req.ctx, req.body)),
  );
  app.get(
    '/api/departments/:id',
    { config: { access: 'org.read' }, schema: { tags, summary: '部门详情', params: IdParams, response: { 200: DepartmentView } } },
    async (req) => org.getDepartment(req.ctx, req.params.id),
  );
  app.patch(
    '/api/departments/:id',
    { config: { access: 'org.manage' }, schema: { tags, summary: '修改部门', params: IdParams, body: UpdateDepartment, response: { 200: DepartmentView } } },
    async (req) => org.updateDepartment(req.ctx, req.params.id, req.body),
  );
  app.delete(
    '/api/departments/:id',
    { config: { access: 'org.manage' }, schema: { tags, summary: '删除部门（须无班组和员工）', params: IdParams, response: { 204: Type.Null() } } },
    async (req, reply) => {
      await org.deleteDepartment(req.ctx, req.params.id);
      return reply.status(204).send(null);
    },
  );

  // ----- teams -----
  app.get(
    '/api/teams',
    {
      config: { access: 'org.read' },
      schema: { tags, summary: '班组列表', querystring: Query({ ...PageQuery, departmentId: Type.Optional(Uuid) }), response: { 200: Page(TeamView) } },
    },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      const rows = await org.listTeams(req.ctx, { departmentId: req.query.departmentId, afterId: afterIdOf(req.query.cursor), limit });
      return idPage(rows, limit, teamView);
    },
  );
  app.post(
    '/api/teams',
    { config: { access: 'org.manage' }, schema: { tags, summary: '新建班组', body: CreateTeam, response: { 201: TeamView } } },
    async (req, reply) => reply.status(201).send(await org.createTeam(req.ctx, req.body)),
  );
  app.get(
    '/api/teams/:id',
    { config: { access: 'org.read' }, schema: { tags, summary: '班组详情', params: IdParams, response: { 200: TeamView } } },
    async (req) => org.getTeam(req.ctx, req.params.id),
  );
  app.patch(
    '/api/teams/:id',
    { config: { access: 'org.manage' }, schema: { tags, summary: '修改班组', params: IdParams, body: UpdateTeam, response: { 200: TeamView } } },
    async (req) => org.updateTeam(req.ctx, req.params.id, req.body),
  );
  app.delete(
    '/api/teams/:id',
    { config: { access: 'org.manage' }, schema: { tags, summary: '删除班组（须无员工）', params: IdParams, response: { 204: Type.Null() } } },
    async (req, reply) => {
      await org.deleteTeam(req.ctx, req.params.id);
      return reply.status(204).send(null);
    },
  );

  // ----- staff -----
  app.get(
    '/api/staff',
    {
      config: { access: 'org.read' },
      schema: {
        tags,
        summary: '员工列表',
        description: '手机号、邮箱、身份证号等个人信息始终脱敏返回；需要原文请调用 POST /api/reveals（需 pii.reveal 权限，记录审计）。',
        querystring: Query({
          ...PageQuery,
          departmentId: Type.Optional(Uuid),
          teamId: Type.Optional(Uuid),
          role: Type.Optional(RoleSchema),
          status: Type.Optional(StaffStatusSchema),
          q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: '按用户名、姓名或工号搜索' })),
        }),
        response: { 200: Page(StaffView) },
      },
    },
    async (req) => {
      const { cursor, limit = DEFAULT_LIMIT, ...filter } = req.query;
      const rows = await org.listStaff(req.ctx, { ...filter, afterId: afterIdOf(cursor), limit });
      return idPage(rows, limit, (v) => v);
    },
  );
  app.post(
    '/api/staff',
    { config: { access: 'org.manage' }, schema: { tags, summary: '新建员工账号', body: CreateStaff, response: { 201: StaffView } } },
    async (req, reply) => reply.status(201).send(await org.createStaff(req.ctx, req.body)),
  );
  app.get(
    '/api/staff/:id',
    { config: { access: 'org.read' }, schema: { tags, summary: '员工详情', params: IdParams, response: { 200: StaffView } } },
    async (req) => org.getStaff(req.ctx, req.params.id),
  );
  app.patch(
    '/api/staff/:id',
    {
      config: { access: 'org.manage' },
      schema: { tags, summary: '修改员工资料、角色或状态（停用会注销其全部会话）', params: IdParams, body: UpdateStaff, response: { 200: StaffView } },
    },
    async (req) => org.updateStaff(req.ctx, req.params.id, req.body),
  );
  app.get(
    '/api/staff/:id/level-changes',
    { config: { access: 'org.read' }, schema: { tags, summary: '员工等级变动历史', params: IdParams, querystring: Query(PageQuery), response: { 200: Page(LevelChangeView) } } },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      const rows = await org.listLevelChanges(req.ctx, req.params.id, { afterId: afterIdOf(req.query.cursor), limit });
      return idPage(rows, limit, levelChangeView);
    },
  );
  app.post(
    '/api/staff/:id/level-changes',
    {
      config: { access: 'staff.level.manage' },
      schema: {
        tags,
        summary: '调整员工等级（初级/中级/高级）',
        params: IdParams,
        body: Body({ level: LevelSchema, reason: Type.String({ minLength: 2, maxLength: 500 }) }),
        response: { 201: LevelChangeView },
      },
    },
    async (req, reply) => reply.status(201).send(await org.changeLevel(req.ctx, req.params.id, req.body)),
  );
  app.post(
    '/api/staff/:id/password-resets',
    {
      config: { access: 'staff.password.reset' },
      schema: { tags, summary: '管理员重置密码（注销其全部会话）', params: IdParams, body: Body({ newPassword: Password }), response: { 204: Type.Null() } },
    },
    async (req, reply) => {
      await org.resetPassword(req.ctx, req.params.id, req.body.newPassword);
      return reply.status(204).send(null);
    },
  );
  app.post(
    '/api/staff/:id/unlocks',
    { config: { access: 'org.manage' }, schema: { tags, summary: '解除登录锁定', params: IdParams, response: { 200: StaffView } } },
    async (req) => org.unlockStaff(req.ctx, req.params.id),
  );
}
