import { Type, type Static } from '@sinclair/typebox';
import { Nullable, Timestamp, Uuid, iso, isoOrNull } from '../../platform/http/schemas.ts';
import { ChannelSchema, StatusSchema } from '../conversations/views.ts';
import type { surveys } from './schema.ts';

export type SurveyRow = typeof surveys.$inferSelect;

export const SURVEY_VIAS = ['chat', 'email', 'callback', 'agent'] as const;
export type SurveyVia = (typeof SURVEY_VIAS)[number];
export const SurveyViaSchema = Type.Union(
  SURVEY_VIAS.map((v) => Type.Literal(v)),
  { description: '邀请方式：chat 会话结束时在聊天窗口 / email 邮件链接 / callback 回访时由坐席记录 / agent 坐席代录' },
);

/** What the customer (or the agent on a callback) answers; every field is optional, but one of the first three is needed. */
export const SurveyAnswerFields = {
  solved: Type.Optional(Type.Boolean({ description: '问题是否已解决' })),
  satisfied: Type.Optional(Type.Boolean({ description: '是否满意；不填时按评分是否达到制度的满意分数线判断' })),
  csat: Type.Optional(Type.Integer({ minimum: 1, maximum: 5, description: '满意度评分 1–5 分（5 分最满意）' })),
  nps: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: '推荐意愿 0–10 分（制度启用 NPS 时）' })),
  comment: Type.Optional(Type.String({ maxLength: 1000, description: '意见或原因；不满意时作为重开原因' })),
};
export const SurveyAnswer = Type.Object(SurveyAnswerFields, { additionalProperties: false, description: '评价内容' });
export type SurveyAnswer = Static<typeof SurveyAnswer>;

export const SurveyView = Type.Object(
  {
    id: Uuid,
    conversationId: Uuid,
    conversationNumber: Type.Integer(),
    customerId: Uuid,
    agentId: Nullable(Uuid),
    teamId: Nullable(Uuid),
    channel: ChannelSchema,
    problemType: Nullable(Type.String()),
    cycle: Type.Integer({ description: '针对会话第几次解决（0 为首次；每次重开加 1）' }),
    via: SurveyViaSchema,
    invitedAt: Timestamp,
    expiresAt: Timestamp,
    respondedAt: Nullable(Timestamp),
    recordedBy: Nullable(Type.String({ format: 'uuid', description: '代客户记录的坐席；客户自己评价时为 null' })),
    solved: Nullable(Type.Boolean()),
    satisfied: Nullable(Type.Boolean()),
    csat: Nullable(Type.Integer()),
    nps: Nullable(Type.Integer()),
    comment: Nullable(Type.String()),
    counted: Type.Boolean({ description: '同一客户·坐席·自然日只计最后一次评价' }),
    ratingDay: Nullable(Type.String({ description: '评价日（机构时区），如 2026-03-02' })),
  },
  { title: 'Survey' },
);
export type SurveyView = Static<typeof SurveyView>;

export function surveyView(r: SurveyRow, conversationNumber: number): SurveyView {
  return {
    id: r.id,
    conversationId: r.conversationId,
    conversationNumber,
    customerId: r.customerId,
    agentId: r.agentId,
    teamId: r.teamId,
    channel: r.channel as SurveyView['channel'],
    problemType: r.problemType,
    cycle: r.cycle,
    via: r.via as SurveyVia,
    invitedAt: iso(r.invitedAt),
    expiresAt: iso(r.expiresAt),
    respondedAt: isoOrNull(r.respondedAt),
    recordedBy: r.recordedBy,
    solved: r.solved,
    satisfied: r.satisfied,
    csat: r.csat,
    nps: r.nps,
    comment: r.comment,
    counted: r.counted,
    ratingDay: r.ratingDay,
  };
}

export const EFFECTS = ['closed', 'reopened', 'none'] as const;
export type Effect = (typeof EFFECTS)[number];

/** What the customer sees of their survey: no staff ids, no counting. */
export const FeedbackView = Type.Object(
  {
    surveyId: Uuid,
    conversationNumber: Type.Integer(),
    npsEnabled: Type.Boolean(),
    expiresAt: Timestamp,
    respondedAt: Nullable(Timestamp),
    solved: Nullable(Type.Boolean()),
    satisfied: Nullable(Type.Boolean()),
    csat: Nullable(Type.Integer()),
    nps: Nullable(Type.Integer()),
    comment: Nullable(Type.String()),
    effect: Type.Union(
      EFFECTS.map((e) => Type.Literal(e)),
      { description: '这次评价的结果：closed 已结案 / reopened 已重新处理 / none 会话状态未变' },
    ),
    conversationStatus: StatusSchema,
  },
  { title: 'Feedback' },
);
export type FeedbackView = Static<typeof FeedbackView>;

/**
 * Operational counts for the survey list — counts only. Every share built on them (参评率, CSAT mean
 * and top-2-box, satisfied share, solved rate, NPS) is a KPI defined once in the registry (R3):
 * GET /api/kpis/:code/values.
 */
export const SurveyStatistics = Type.Object(
  {
    invited: Type.Integer({ description: '邀请数' }),
    responded: Type.Integer({ description: '已评价数' }),
    expired: Type.Integer({ description: '过期未评价数' }),
    counted: Type.Integer({ description: '计入统计的评价数（同一客户·坐席·自然日只计最后一次）' }),
    csatRatings: Type.Integer({ description: '计入统计且有 1–5 分评分的评价数' }),
    satisfaction: Type.Object(
      {
        rated: Type.Integer({ description: '表明了满意与否（回答了是否满意，或给了评分）的评价数' }),
        satisfied: Type.Integer({ description: '满意：答“满意”，未答时评分达到制度满意分数线' }),
        notSatisfied: Type.Integer({ description: '不满意：答“不满意”，未答时评分低于满意分数线' }),
      },
      { description: '计入统计的评价中的满意情况；满意占比见 GET /api/kpis/satisfied_rate/values' },
    ),
    solution: Type.Object(
      {
        answered: Type.Integer({ description: '回答了问题是否解决的评价数' }),
        solved: Type.Integer({ description: '答“已解决”' }),
        notSolved: Type.Integer({ description: '答“未解决”' }),
      },
      { description: '计入统计的评价中客户对问题是否解决的回答；解决率见 GET /api/kpis/solved_rate/values' },
    ),
    nps: Type.Object(
      {
        ratings: Type.Integer({ description: '给了推荐意愿评分的评价数' }),
        promoters: Type.Integer({ description: '推荐者：9–10 分' }),
        passives: Type.Integer({ description: '被动者：7–8 分' }),
        detractors: Type.Integer({ description: '贬损者：0–6 分' }),
      },
      { description: '计入统计的推荐意愿评分；净推荐值见 GET /api/kpis/nps/values' },
    ),
  },
  { title: 'SurveyStatistics' },
);
export type SurveyStatistics = Static<typeof SurveyStatistics>;

export const CallbackStatistics = Type.Object(
  {
    created: Type.Integer({ description: '回拨任务数（按创建时间筛选）' }),
    open: Type.Integer({ description: '未完成' }),
    cancelled: Type.Integer({ description: '已取消（如会话重开）' }),
    due: Type.Integer({ description: '已到期（不含取消）' }),
    missed: Type.Integer({ description: '漏回访：到期前未联系上客户' }),
    overdueOpen: Type.Integer({ description: '已过期仍未完成' }),
    outcomes: Type.Object(
      { reached: Type.Integer(), unreached: Type.Integer(), satisfied: Type.Integer(), notSatisfied: Type.Integer() },
      { description: '已完成任务的回访结果' },
    ),
  },
  { title: 'CallbackStatistics' },
);
export type CallbackStatistics = Static<typeof CallbackStatistics>;
