import { Type } from '@sinclair/typebox';
import type { App } from '../../platform/http/app-types.ts';
import { attachment } from '../../platform/http/download.ts';
import { DEFAULT_LIMIT, Page, PageQuery, toPage } from '../../platform/http/pagination.ts';
import { Body, Literals, Nullable, Query, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { ChannelSchema } from '../conversations/views.ts';
import { SLA_METRICS } from '../sla/views.ts';
import { REPORT_DIMENSIONS, exportKpiReport } from './export.ts';
import { DIMENSIONS, SOURCES, UNITS } from './registry.ts';
import { NO_GROUP, drillCursor, kpiConversations, kpiValues, listKpis } from './service.ts';
import { wallboard } from './wallboard.ts';

const tags = ['指标 KPIs'];

const UnitSchema = Literals(UNITS, 'seconds 秒 / percent 百分比 / score 分（1–5）/ count 个数');
const DimensionSchema = Literals(DIMENSIONS, 'agent 坐席 / team 班组 / channel 渠道 / problem_type 问题类型 / metric SLA 目标类型 / day 日 / week 周（周一起） / month 月（按组织时区）');
const KpiParams = Body({ code: Type.String({ minLength: 1, maxLength: 64, description: '指标代码，见 GET /api/kpis' }) });
const DateOnly = (description: string) => Type.String({ format: 'date', description });

const Period = {
  from: Type.Optional(DateOnly('开始日期（含，组织时区），默认本月 1 日')),
  to: Type.Optional(DateOnly('结束日期（含，组织时区），默认今天；期间最长 366 天')),
};
const Narrowing = {
  agentId: Type.Optional(Uuid),
  teamId: Type.Optional(Uuid),
  channel: Type.Optional(ChannelSchema),
  problemType: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{1,47}$', description: '问题类型编码（政策目录）' })),
};
const Filters = {
  ...Period,
  groupBy: Type.Optional(DimensionSchema),
  ...Narrowing,
  metric: Type.Optional(Literals(SLA_METRICS, '仅 sla_attainment：SLA 目标类型')),
};

const KpiView = Type.Object(
  {
    code: Type.String(),
    name: Type.String(),
    nameEn: Type.String(),
    formula: Type.String({ description: '计算口径（中文）' }),
    unit: UnitSchema,
    direction: Literals(['higher_better', 'lower_better'] as const, 'higher_better 越高越好 / lower_better 越低越好'),
    dimensions: Type.Array(DimensionSchema, { description: '可分组、可筛选的维度' }),
  },
  { title: 'Kpi' },
);

const Figures = {
  value: Nullable(Type.Number({ description: '指标值（单位见 unit）；分母为 0 时为 null' })),
  numerator: Type.Number(),
  denominator: Type.Number(),
};
const KpiValuesView = Type.Object(
  {
    code: Type.String(),
    unit: UnitSchema,
    from: Type.String({ format: 'date' }),
    to: Type.String({ format: 'date' }),
    timezone: Type.String(),
    groupBy: Nullable(DimensionSchema),
    target: Nullable(Type.Number({ description: '政策目标值（如有）' })),
    rows: Type.Array(
      Type.Object({
        group: Nullable(Type.String({ description: '分组值：员工或班组 id、渠道或问题类型编码、日期、周（2026-W10）、月（2026-03）；null 为未分配/未分类（下钻时用 group=none）' })),
        label: Nullable(Type.String()),
        ...Figures,
      }),
    ),
    total: Type.Object(Figures),
  },
  { title: 'KpiValues' },
);

const DrillRowView = Type.Object(
  {
    id: Uuid,
    source: Literals(SOURCES, '记录类型：conversation 会话 / call 通话 / sla_target SLA 目标 / survey 满意度邀请 / callback_task 回访任务 / complaint 投诉'),
    conversationId: Nullable(Uuid),
    number: Nullable(Type.Integer({ description: '会话编号' })),
    status: Nullable(Type.String({ description: '会话状态' })),
    agentId: Nullable(Uuid),
    teamId: Nullable(Uuid),
    channel: Nullable(Type.String()),
    problemType: Nullable(Type.String()),
    at: Timestamp,
    numerator: Type.Number({ description: '该记录计入分子的值' }),
    denominator: Type.Number({ description: '该记录计入分母的值' }),
  },
  { title: 'KpiRecord' },
);

const WallboardView = Type.Object(
  {
    at: Timestamp,
    timezone: Type.String(),
    waiting: Type.Integer({ description: '排队中：新建且未分配的会话数' }),
    oldestWaitingSince: Nullable(Type.String({ format: 'date-time', description: '排队最久的会话的创建时间（最长等待从此算起）' })),
    queues: Type.Array(
      Type.Object({
        queueId: Nullable(Type.String({ format: 'uuid', description: 'null 为尚未匹配到队列的会话' })),
        name: Nullable(Type.String()),
        waiting: Type.Integer(),
        oldestWaitingSince: Nullable(Timestamp),
      }),
    ),
    breachesToday: Type.Integer({ description: '今天（组织时区）已超时的 SLA 目标数' }),
  },
  { title: 'Wallboard' },
);

export function kpiRoutes(app: App): void {
  app.get(
    '/api/wallboard',
    {
      config: { access: 'agents.status.manage' },
      schema: { tags, summary: '实时看板（R1）：各队列排队数与最长等待、今日 SLA 超时数；坐席状态见 GET /api/agent-states', response: { 200: WallboardView } },
    },
    async (req) => wallboard(req.ctx),
  );
  app.get(
    '/api/kpis',
    { config: { access: 'kpi.read' }, schema: { tags, summary: '指标目录：名称、公式、单位、方向、维度（R3 唯一定义）', response: { 200: Type.Object({ data: Type.Array(KpiView) }) } } },
    async () => ({ data: listKpis() }),
  );
  app.get(
    '/api/kpis/exports',
    {
      config: { access: 'kpi.read' },
      schema: {
        tags,
        summary: '导出指标报表（CSV 或 Excel）：每组一行、每个指标一列，末行合计；数值与 values 相同，范围同样按角色限定',
        description:
          'Excel 另有「口径说明」工作表：各指标的代码、名称、公式、单位、方向和政策目标，以及统计期间和筛选条件。CSV 为带 BOM 的 UTF-8（CRLF 换行）。百分比保留 1 位小数，时长取整秒，评分保留 2 位小数，无数据为空。',
        querystring: Query({
          codes: Type.Optional(
            Type.String({ minLength: 1, maxLength: 1000, pattern: '^\\s*[^,\\s]+\\s*(,\\s*[^,\\s]+\\s*)*$', description: '逗号分隔的指标代码（见 GET /api/kpis），按此顺序成列；默认全部指标' }),
          ),
          groupBy: Literals(REPORT_DIMENSIONS, 'agent 坐席 / team 班组 / channel 渠道 / problem_type 问题类型 / day 日 / week 周（周一起） / month 月'),
          ...Period,
          ...Narrowing,
          format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('xlsx')], { default: 'csv' })),
        }),
      },
    },
    async (req, reply) => {
      const { codes, format = 'csv', ...q } = req.query;
      const file = await exportKpiReport(req.ctx, codes?.split(',').map((c) => c.trim()), q, format);
      return reply.header('content-disposition', attachment(file.fileName, file.asciiName)).type(file.contentType).send(file.body);
    },
  );
  app.get(
    '/api/kpis/:code/values',
    {
      config: { access: 'kpi.read' },
      schema: {
        tags,
        summary: '指标值：按坐席、班组、渠道、问题类型或日/周/月分组（坐席只看本人，主管只看本班组）',
        params: KpiParams,
        querystring: Query(Filters),
        response: { 200: KpiValuesView },
      },
    },
    async (req) => kpiValues(req.ctx, req.params.code, req.query),
  );
  app.get(
    '/api/kpis/:code/conversations',
    {
      config: { access: 'kpi.read' },
      schema: {
        tags,
        summary: '下钻：指标（或其中一组）背后的会话与记录',
        params: KpiParams,
        querystring: Query({
          ...PageQuery,
          ...Filters,
          group: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: `取值为 values 的分组值（须同时给 groupBy）；${NO_GROUP} 表示未分配/未分类` })),
          part: Type.Optional(Literals(['numerator', 'denominator'] as const, 'numerator 只列计入分子的记录 / denominator 只列计入分母的记录')),
        }),
        response: { 200: Page(DrillRowView) },
      },
    },
    async (req) => {
      const { cursor, limit = DEFAULT_LIMIT, ...q } = req.query;
      // The cursor is checked before the KPI code, so a forged one is always a 400.
      const after = drillCursor(cursor);
      const rows = await kpiConversations(req.ctx, req.params.code, { ...q, after, limit });
      return toPage(rows, limit, ({ cursor: _, ...row }) => row, (r) => r.cursor);
    },
  );
}
