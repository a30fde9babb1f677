import { Type, type Static, type TSchema } from '@sinclair/typebox';

/**
 * The regulation as a typed document (PR1). Every number and list carries its source:
 * the seed file, the clause and a verbatim quote (checked against the seed text by
 * test/presets.test.ts), or `default` where the seed leaves a blank such as `[X]分钟`.
 */
const Strict = <T extends Parameters<typeof Type.Object>[0]>(props: T, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });

export const SEEDS = ['000', '001', '002', '003', '004'] as const;
export type Seed = (typeof SEEDS)[number];

export const SourceRef = Type.Union([
  Type.Literal('default', { description: '种子制度未规定（如 [X]分钟），采用默认值' }),
  Strict(
    {
      seed: Type.Union(SEEDS.map((s) => Type.Literal(s))),
      clause: Type.String({ minLength: 1, maxLength: 80, description: '条款，如 1.4.3 或 第十六条' }),
      quote: Type.String({ minLength: 2, maxLength: 200, description: '种子原文摘录（逐字）' }),
    },
    '出处',
  ),
]);
export type SourceRef = Static<typeof SourceRef>;

export function Sourced<T extends TSchema>(value: T, description?: string) {
  return Strict({ value, source: SourceRef }, description);
}

/** Every policy number is bounded: timers add these to dates, and 1e300 seconds is no date. */
const Int = (min = 0, max = 1_000_000_000) => Type.Integer({ minimum: min, maximum: max });
const Percent = Type.Number({ minimum: 0, maximum: 100 });
const Fraction = Type.Number({ minimum: 0, maximum: 1 });
const Code = Type.String({ pattern: '^[a-z][a-z0-9_]{1,47}$' });
const Label = Type.String({ minLength: 1, maxLength: 100 });
const ClockTime = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$|^24:00$', description: 'HH:MM，24:00 表示午夜' });
const Words = Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 2000 });

export const DEPARTMENT_KINDS = [
  'customer_service',
  'service_operations',
  'quality',
  'training',
  'technical_support',
  'sales',
  'production',
  'finance',
  'logistics',
  'other',
] as const;
/** Partner departments receive hand-offs (CH7); their staff only see what is handed to them. */
export const PARTNER_KINDS = ['sales', 'production', 'finance', 'logistics'] as const;

export const INTAKE_FIELDS = ['orderNumber', 'productModel', 'serialNumber', 'problemDescription', 'contact'] as const;
export const KPI_CODES = [
  'csat',
  'first_response_time',
  'answer_delay',
  'service_level',
  'fcr',
  'aht',
  'workload',
  'complaint_rate',
  'qa_score',
  'exam_score',
  'attendance',
  'callback_rate',
] as const;
export const GRADES = ['excellent', 'qualified', 'unqualified'] as const;
export const CHANNELS = ['chat', 'email', 'phone', 'form', 'api'] as const;
export const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

const BusinessHours = Strict({
  days: Type.Array(Type.Union(WEEKDAYS.map((d) => Type.Literal(d))), { minItems: 1, maxItems: 7, uniqueItems: true, description: '1=周一 … 7=周日' }),
  start: ClockTime,
  end: ClockTime,
});

export const PolicyDocument = Strict({
  meta: Strict({
    preset: Type.String({ pattern: '^[a-z][a-z0-9-]{1,47}$' }),
    title: Label,
    organisation: Label,
    seed: Type.Union(SEEDS.map((s) => Type.Literal(s))),
    summary: Type.String({ maxLength: 500 }),
  }),
  organisation: Strict({
    timezone: Sourced(Type.String({ minLength: 3 })),
    businessHours: Sourced(Type.Union([Type.Literal('24x7'), BusinessHours]), '服务时间'),
    /** Absent means `cn`: statutory holidays close, adjusted working days (调休) open, from the chinese-days package. */
    holidays: Type.Optional(Sourced(Type.Union([Type.Literal('cn'), Type.Literal('none')]), '法定节假日与调休')),
    departments: Type.Array(
      Strict({
        code: Code,
        name: Label,
        kind: Type.Union(DEPARTMENT_KINDS.map((k) => Type.Literal(k))),
        duties: Type.String({ maxLength: 500 }),
        teams: Type.Array(Strict({ code: Code, name: Label }), { maxItems: 50 }),
        source: SourceRef,
      }),
      { minItems: 1, maxItems: 50 },
    ),
  }),
  sla: Strict({
    chat: Strict({
      firstResponseSeconds: Sourced(Int(1), '在线客服首次响应'),
      nextResponseSeconds: Sourced(Int(1), '在线客服后续响应'),
    }),
    phone: Strict({
      answerWithinRings: Sourced(Int(1, 20), '电话在 N 声铃响内接听'),
      ringSeconds: Sourced(Int(1, 10), '一声铃响的时长（秒）'),
      greetingSeconds: Sourced(Int(1), '接听后问候客户'),
      problemUnderstoodSeconds: Sourced(Int(1), '了解问题核心'),
    }),
    email: Strict({ firstResponseMinutes: Sourced(Int(1), '邮件首次回复') }),
    resolutionHours: Sourced(Int(1), '问题解决时限'),
    warningFraction: Sourced(Fraction, '目标时长的该比例时预警'),
    /** S1: stricter or looser targets for some conversations; the first matching rule wins, field by field over the defaults. */
    overrides: Type.Optional(
      Type.Array(
        Strict({
          name: Label,
          when: Strict({
            channels: Type.Optional(Type.Array(Type.Union(CHANNELS.map((c) => Type.Literal(c))), { minItems: 1, uniqueItems: true })),
            problemTypes: Type.Optional(Type.Array(Code, { minItems: 1, uniqueItems: true })),
            tiers: Type.Optional(Type.Array(Code, { minItems: 1, uniqueItems: true })),
            priorities: Type.Optional(Type.Array(Type.Union(['low', 'normal', 'high', 'urgent'].map((p) => Type.Literal(p))), { minItems: 1, uniqueItems: true })),
          }),
          firstResponseSeconds: Type.Optional(Int(1)),
          nextResponseSeconds: Type.Optional(Int(1)),
          resolutionHours: Type.Optional(Int(1)),
          source: SourceRef,
        }),
        { maxItems: 50 },
      ),
    ),
    serviceLevel: Strict({
      percent: Sourced(Percent, '服务水平：X% 的来电'),
      withinSeconds: Sourced(Int(1), '在 Y 秒内接通'),
    }),
  }),
  targets: Strict({
    csatPercent: Sourced(Percent, '客户满意度目标'),
    fcrPercent: Sourced(Percent, '首问解决率目标'),
    trainingCoveragePercent: Sourced(Percent, '培训覆盖率'),
    systemUptimePercent: Sourced(Percent, '系统可用性'),
    faultFixMinutes: Sourced(Int(1), '平均故障解决时间'),
    productIntroMinutes: Sourced(Int(1), '产品介绍时长上限'),
  }),
  quality: Strict({
    samplingRate: Sourced(Fraction, '人工质检抽样率'),
    politePhrases: Sourced(Words, '应使用的礼貌用语'),
    forbiddenPhrases: Sourced(Words, '服务禁语'),
    uncivilWords: Sourced(Words, '不文明、侮辱性用语'),
    prematureCloseSeconds: Sourced(Int(1), '客户最后一条消息后过早结束会话的判定时长'),
    criteria: Type.Array(
      Strict({ code: Code, name: Label, weight: Sourced(Percent), autoFail: Type.Boolean(), source: SourceRef }),
      { minItems: 1, maxItems: 50 },
    ),
  }),
  shifts: Strict({
    definitions: Type.Array(Strict({ code: Code, name: Label, start: ClockTime, end: ClockTime, source: SourceRef }), { maxItems: 20 }),
    workDaysPerWeek: Sourced(Int(1, 7), '每周工作天数'),
    restDayAssignment: Sourced(Type.Union([Type.Literal('supervisor_rotation'), Type.Literal('fixed')]), '休息日安排'),
    autoExtendWhileServing: Sourced(Type.Boolean(), '仍有客户咨询时自动延长'),
    handoverRequired: Sourced(Type.Boolean(), '交接班'),
    lateGraceMinutes: Sourced(Int(0, 120), '迟到宽限'),
  }),
  kpi: Strict({
    cycle: Sourced(Type.Union([Type.Literal('monthly'), Type.Literal('quarterly')]), '考核周期'),
    weights: Type.Array(
      Strict({ kpi: Type.Union(KPI_CODES.map((k) => Type.Literal(k))), weight: Sourced(Percent) }),
      { minItems: 1, maxItems: KPI_CODES.length, description: '权重之和为 100' },
    ),
    grades: Type.Array(
      Strict({ grade: Type.Union(GRADES.map((g) => Type.Literal(g))), label: Label, minScore: Sourced(Percent) }),
      { minItems: 2, maxItems: 3 },
    ),
    applications: Sourced(Type.Array(Type.Union(['bonus', 'promotion', 'salary', 'training', 'warning', 'dismissal', 'honour'].map((a) => Type.Literal(a)))), '考核结果应用'),
  }),
  fines: Strict({
    rules: Type.Array(
      Strict({
        code: Code,
        name: Label,
        amountYuan: Sourced(Int(0)),
        escalation: Type.Union([Type.Literal('none'), Type.Literal('double_each_repeat')]),
        period: Type.Union([Type.Literal('per_incident'), Type.Literal('calendar_month')]),
        dismissalReviewAt: Type.Union([Sourced(Int(1)), Type.Null()], { description: '同一周期内第 N 次触发离职审查' }),
      }),
      { maxItems: 50 },
    ),
    fund: Sourced(Type.Union([Type.Literal('department_fund'), Type.Literal('none')]), '罚款去向'),
  }),
  rewards: Strict({
    honours: Sourced(Type.Array(Label), '荣誉称号'),
    bonusLinkedToScore: Sourced(Type.Boolean(), '绩效奖金与考核得分挂钩'),
  }),
  survey: Strict({
    onChatEnd: Sourced(Type.Boolean()),
    emailLink: Sourced(Type.Boolean()),
    onCallback: Sourced(Type.Boolean()),
    npsEnabled: Sourced(Type.Boolean()),
    validityDays: Sourced(Int(1, 90), '评价有效期（天）'),
    satisfiedMinScore: Sourced(Int(1, 5), '1–5 分中视为满意的最低分'),
  }),
  callbacks: Strict({
    autoOnClosure: Sourced(Type.Boolean(), '结案后自动生成回访'),
    withinHours: Sourced(Int(1), '回访时限'),
  }),
  closedLoop: Strict({
    confirmOnResolve: Sourced(Type.Boolean(), '解决后向客户确认结果'),
    reopenWindowDays: Sourced(Int(1, 90), '重开统计窗口'),
    fcrWindowDays: Sourced(Int(1, 90), '首问解决判定窗口'),
    /** A resolved conversation nobody objects to closes after this long (absent: 72 h). */
    autoCloseHours: Type.Optional(Sourced(Int(1, 24 * 90), '解决后无异议自动结案')),
  }),
  complaints: Strict({
    apologyMessage: Sourced(Type.String({ minLength: 1, maxLength: 500 }), '受理时发送的致歉与承诺'),
    responseHours: Sourced(Int(1), '投诉响应时限'),
    approvalChain: Sourced(Type.Array(Code, { maxItems: 10 }), '解决方案审核部门（按顺序，部门编码）'),
    revisitRequired: Sourced(Type.Boolean(), '结案前回访确认满意'),
  }),
  problemTypes: Type.Array(
    Strict({
      code: Code,
      name: Label,
      domain: Code,
      requiredFields: Type.Array(Type.Union(INTAKE_FIELDS.map((f) => Type.Literal(f))), { uniqueItems: true }),
      source: SourceRef,
    }),
    { minItems: 1, maxItems: 100 },
  ),
  businessDomains: Type.Array(Strict({ code: Code, name: Label, source: SourceRef }), { minItems: 1, maxItems: 30 }),
  customerTiers: Strict({
    windowDays: Sourced(Int(1, 3650), '统计消费的时间窗口'),
    tiers: Type.Array(
      Strict({
        code: Code,
        name: Label,
        minSpendYuan: Sourced(Int(0)),
        maxRecencyDays: Sourced(Type.Union([Int(1), Type.Null()]), '最近一次购买距今不超过（天）'),
        priority: Type.Integer({ minimum: 0, maximum: 10, description: '排队优先级，越大越先' }),
      }),
      { minItems: 1, maxItems: 10, description: '从高到低排列，取第一个满足的' },
    ),
  }),
  emergencyPlans: Type.Array(
    Strict({
      code: Code,
      name: Label,
      trigger: Type.String({ maxLength: 300 }),
      steps: Type.Array(Type.String({ maxLength: 300 }), { minItems: 1, maxItems: 30 }),
      overflowToQueue: Type.Union([Code, Type.Null()]),
      drillIntervalMonths: Sourced(Int(1, 24)),
      source: SourceRef,
    }),
    { maxItems: 30 },
  ),
  training: Strict({
    onboardingExamRequired: Sourced(Type.Boolean(), '培训合格后方可上岗'),
    minSessionsPerYear: Sourced(Int(0, 365), '每人每年至少培训次数'),
    topics: Sourced(Type.Array(Label, { maxItems: 30 }), '培训内容'),
  }),
  governance: Strict({
    reviewIntervalMonths: Sourced(Int(1, 60), '制度定期审查'),
    weeklyMeeting: Sourced(Type.Boolean(), '每周例会'),
    weeklyFeedbackReport: Sourced(Type.Boolean(), '每周汇总客户反馈'),
  }),
});
export type PolicyDocument = Static<typeof PolicyDocument>;
