import type { Preset } from './types.ts';
import { clause, COMMON_DEFAULTS, DEFAULT, v } from './sources.ts';

/**
 * Seed 001 is Traditional with inline pronunciation artifacts such as "專(zhuān)業(yè)";
 * quotes avoid them where a clean span says the same thing.
 */
const c = (ref: string, quote: string) => clause('001', ref, quote);

const PARTNERS = c('第二十六条', '與短劇制作方、播出平臺、廣告商等合作伙伴');
const EMERGENCY = c('第二十二条', '如客服人員請假、設備故障等');
const REVISIT = c('第十条', '定期回訪客戶,了解客戶需求和滿意度');

/** 001 短剧客服管理制度: archives, revisits, grades, emergency plans, partner collaboration, yearly review. */
export const shortDrama: Preset = {
  name: 'short-drama',
  seed: '001',
  seedFile: '001_a6c08e13a370854f.txt',
  title: '短剧客服管理制度',
  description:
    '短剧平台客服：招聘与培训（至少每年一次）、考核结果优秀/合格/不合格并用于奖励/晋升/培训/辞退、客户档案与定期回访、隐私禁忌、请假与设备故障应急预案及演练、与制作方/播出平台/广告商协同、每年审查制度。',
  policy: {
    meta: {
      preset: 'short-drama',
      title: '短剧客服管理制度',
      organisation: '示例短剧公司',
      seed: '001',
      summary:
        '适用于旗下所有短剧项目的客服管理：招聘流程（发布招聘信息、收取简历、面试、笔试、录用通知）、培训与初级/中级/高级客服职业通道、考核与结果应用、接待与投诉处理、客户档案与定期回访、服务礼仪与禁忌、应急预案与演练、外部合作伙伴协同、每年审查与修订制度。',
    },
    organisation: {
      timezone: v('Asia/Shanghai', DEFAULT),
      businessHours: v({ days: [1, 2, 3, 4, 5, 6, 7], start: '09:00', end: '23:00' }, DEFAULT),
      holidays: v('none', DEFAULT),
      departments: [
        {
          code: 'cs_center',
          name: '客服中心',
          kind: 'customer_service',
          duties: '负责旗下所有短剧项目的客服工作：接待客户、处理投诉、客户档案与定期回访、开展客户活动；负责客服人员招聘（发布招聘信息、收取简历、面试、笔试、录用通知）。',
          teams: [
            { code: 'service_team_1', name: '客服一组' },
            { code: 'service_team_2', name: '客服二组' },
            { code: 'member_care', name: '客户关系组' },
          ],
          source: c('第二条', '所有短劇項目的客服管理工作'),
        },
        {
          code: 'supervision',
          name: '客服监督部',
          kind: 'quality',
          duties: '对客服工作的执行情况进行监督和检查：定期考核、不定期抽查、收集客户反馈，评估服务态度、业务能力与客户满意度。',
          teams: [{ code: 'qa_team', name: '质检组' }],
          source: c('第七条', '定期考核、不定期抽查、客戶反饋等'),
        },
        {
          code: 'training',
          name: '培训部',
          kind: 'training',
          duties: '组织线上培训、线下培训、实操演练与经验分享，至少每年一次；维护初级、中级、高级客服的职业发展通道。',
          teams: [{ code: 'training_team', name: '培训组' }],
          source: c('第六条', '線上培訓、線下培訓、實操演練'),
        },
        {
          code: 'tech_support',
          name: '技术支持部',
          kind: 'technical_support',
          duties: '保障电话、电脑、网络等硬件设施与客户关系管理系统、呼叫管理系统，定期检查、维护和升级，减少因设备问题导致的客服中断。',
          teams: [{ code: 'it_ops', name: '运维组' }],
          source: c('第十六条', '定期檢查和維護設備,確保設備正常運行'),
        },
        {
          code: 'content_partner',
          name: '制作方协同部',
          kind: 'production',
          duties: '对接短剧制作方，处理剧集内容、更新与质量问题的协同。',
          teams: [],
          source: PARTNERS,
        },
        {
          code: 'platform_partner',
          name: '播出平台合作部',
          kind: 'sales',
          duties: '对接播出平台，处理上架、播放与会员权益相关的协同。',
          teams: [],
          source: PARTNERS,
        },
        {
          code: 'ad_partner',
          name: '广告商务部',
          kind: 'sales',
          duties: '对接广告商，处理广告投放与广告内容相关的客户反馈。',
          teams: [],
          source: PARTNERS,
        },
        { code: 'finance', name: '财务部', kind: 'finance', duties: '协同处理充值、会员续费与退款。', teams: [], source: DEFAULT },
      ],
    },
    sla: {
      chat: {
        firstResponseSeconds: v(60, DEFAULT),
        nextResponseSeconds: v(120, DEFAULT),
      },
      phone: {
        answerWithinRings: v(3, DEFAULT),
        ringSeconds: v(5, DEFAULT),
        greetingSeconds: v(30, DEFAULT),
        problemUnderstoodSeconds: v(60, DEFAULT),
      },
      email: { firstResponseMinutes: v(240, DEFAULT) },
      resolutionHours: v(48, DEFAULT),
      warningFraction: v(0.8, DEFAULT),
      overrides: [
        { name: '紧急问题', when: { priorities: ['urgent'] }, resolutionHours: 4, source: DEFAULT },
        { name: '紧急在线咨询', when: { priorities: ['urgent'], channels: ['chat'] }, firstResponseSeconds: 15, nextResponseSeconds: 30, source: DEFAULT },
        { name: '高等级客户优先', when: { tiers: ['svip'] }, resolutionHours: 12, source: DEFAULT },
      ],
      serviceLevel: { percent: v(80, DEFAULT), withinSeconds: v(20, DEFAULT) },
    },
    targets: {
      csatPercent: v(90, DEFAULT),
      fcrPercent: v(80, DEFAULT),
      trainingCoveragePercent: v(100, DEFAULT),
      systemUptimePercent: v(99.9, DEFAULT),
      faultFixMinutes: v(30, DEFAULT),
      productIntroMinutes: v(3, DEFAULT),
    },
    quality: {
      samplingRate: v(0.1, DEFAULT),
      politePhrases: v([...COMMON_DEFAULTS.politePhrases], DEFAULT),
      forbiddenPhrases: v([...COMMON_DEFAULTS.forbiddenPhrases], DEFAULT),
      uncivilWords: v([...COMMON_DEFAULTS.uncivilWords], DEFAULT),
      prematureCloseSeconds: v(60, DEFAULT),
      criteria: [
        { code: 'warm_reception', name: '热情接待，了解客户需求', weight: v(20, DEFAULT), autoFail: false, source: c('第八条', '熱情接待客戶,了解客戶需求,提供相關服務') },
        { code: 'patient_answer', name: '耐心解答客户问题', weight: v(20, DEFAULT), autoFail: false, source: c('第八条', '耐心解答客戶問題') },
        { code: 'civil_manner', name: '言谈举止文明礼貌', weight: v(20, DEFAULT), autoFail: false, source: c('第十一条', '言談舉止文明禮貌,尊重客戶') },
        { code: 'usage_advice', name: '引导使用并提供使用建议', weight: v(10, DEFAULT), autoFail: false, source: c('第八条', '提供使用建議') },
        { code: 'service_level', name: '服务水平（不得态度恶劣）', weight: v(15, DEFAULT), autoFail: false, source: c('第十二条', '服務水平低下') },
        { code: 'no_buck_passing', name: '不推诿责任、不逃避问题', weight: v(15, DEFAULT), autoFail: false, source: c('第十二条', '推諉責任,逃避問題') },
        { code: 'privacy', name: '不得泄露客户隐私', weight: v(0, DEFAULT), autoFail: true, source: c('第十二条', '泄露客戶隱私') },
      ],
    },
    shifts: {
      definitions: [
        { code: 'day', name: '早班', start: '09:00', end: '17:00', source: DEFAULT },
        { code: 'evening', name: '晚班', start: '15:00', end: '23:00', source: DEFAULT },
      ],
      workDaysPerWeek: v(5, DEFAULT),
      restDayAssignment: v('supervisor_rotation', DEFAULT),
      autoExtendWhileServing: v(true, DEFAULT),
      handoverRequired: v(true, DEFAULT),
      lateGraceMinutes: v(5, DEFAULT),
    },
    kpi: {
      cycle: v('monthly', DEFAULT),
      weights: [
        { kpi: 'csat', weight: v(35, DEFAULT) },
        { kpi: 'qa_score', weight: v(30, DEFAULT) },
        { kpi: 'exam_score', weight: v(15, DEFAULT) },
        { kpi: 'callback_rate', weight: v(10, DEFAULT) },
        { kpi: 'complaint_rate', weight: v(10, DEFAULT) },
      ],
      grades: [
        { grade: 'excellent', label: '优秀', minScore: v(90, DEFAULT) },
        { grade: 'qualified', label: '合格', minScore: v(60, DEFAULT) },
        { grade: 'unqualified', label: '不合格', minScore: v(0, DEFAULT) },
      ],
      applications: v(['bonus', 'promotion', 'training', 'dismissal'], c('第七条', '獎勵、晉升、培訓、辭退等')),
    },
    fines: { rules: [], fund: v('none', DEFAULT) },
    rewards: {
      honours: v(['优秀客服'], c('第十九条', '定期對優(yōu)秀客服人員進行表彰和獎勵')),
      bonusLinkedToScore: v(true, c('第十九条', '包括績效獎金、晉升機會、員工福利等')),
    },
    survey: {
      onChatEnd: v(true, DEFAULT),
      emailLink: v(false, DEFAULT),
      onCallback: v(true, REVISIT),
      npsEnabled: v(false, DEFAULT),
      validityDays: v(7, DEFAULT),
      satisfiedMinScore: v(4, DEFAULT),
    },
    callbacks: {
      autoOnClosure: v(true, REVISIT),
      withinHours: v(48, DEFAULT),
    },
    closedLoop: {
      confirmOnResolve: v(true, DEFAULT),
      reopenWindowDays: v(7, DEFAULT),
      fcrWindowDays: v(7, DEFAULT),
    },
    complaints: {
      apologyMessage: v('非常抱歉给您带来不便。我们已收到您的投诉，会及时反馈给相关部门协调解决，并将处理结果回复给您。', DEFAULT),
      responseHours: v(24, DEFAULT),
      approvalChain: v(['cs_center', 'supervision'], DEFAULT),
      revisitRequired: v(true, DEFAULT),
    },
    problemTypes: [
      { code: 'playback_issue', name: '播放与观看问题', domain: 'product_use', requiredFields: ['problemDescription'], source: DEFAULT },
      { code: 'usage_advice', name: '使用咨询', domain: 'product_use', requiredFields: ['problemDescription'], source: c('第八条', '提供使用建議') },
      { code: 'payment_membership', name: '充值与会员', domain: 'payment', requiredFields: ['orderNumber', 'problemDescription'], source: DEFAULT },
      { code: 'refund_request', name: '退款申请', domain: 'payment', requiredFields: ['orderNumber', 'problemDescription', 'contact'], source: DEFAULT },
      { code: 'content_feedback', name: '剧集内容反馈', domain: 'content', requiredFields: ['problemDescription'], source: PARTNERS },
      { code: 'ad_feedback', name: '广告相关反馈', domain: 'content', requiredFields: ['problemDescription'], source: PARTNERS },
      { code: 'complaint', name: '客户投诉', domain: 'complaints', requiredFields: ['problemDescription', 'contact'], source: c('第九条', '認真傾聽客戶投訴,了解投訴原因') },
      { code: 'customer_activity', name: '客户活动咨询', domain: 'customer_relations', requiredFields: ['problemDescription'], source: c('第十条', '開展客戶活動,提升客戶忠誠度') },
    ],
    businessDomains: [
      { code: 'product_use', name: '产品使用', source: c('第八条', '提供使用建議') },
      { code: 'payment', name: '充值与会员', source: DEFAULT },
      { code: 'content', name: '剧集与广告内容', source: PARTNERS },
      { code: 'complaints', name: '投诉处理', source: c('第九条', '認真傾聽客戶投訴,了解投訴原因') },
      { code: 'customer_relations', name: '客户关系管理', source: c('第十条', '建立客戶檔案,便于跟蹤服務') },
    ],
    customerTiers: {
      windowDays: v(365, DEFAULT),
      tiers: [
        { code: 'svip', name: '年度会员', minSpendYuan: v(300, DEFAULT), maxRecencyDays: v(365, DEFAULT), priority: 5 },
        { code: 'member', name: '会员', minSpendYuan: v(30, DEFAULT), maxRecencyDays: v(90, DEFAULT), priority: 2 },
        { code: 'viewer', name: '普通观众', minSpendYuan: v(0, DEFAULT), maxRecencyDays: v(null, DEFAULT), priority: 0 },
      ],
    },
    // 第二十二条“定期進行應急預案演練”：演练周期原文未规定，默认每 6 个月。
    emergencyPlans: [
      {
        code: 'staff_leave',
        name: '客服人员请假',
        trigger: '客服人员请假导致当班缺员、服务水平低于目标',
        steps: [...COMMON_DEFAULTS.emergencySteps.staff_shortage],
        overflowToQueue: 'service_team_2',
        drillIntervalMonths: v(6, DEFAULT),
        source: EMERGENCY,
      },
      {
        code: 'equipment_failure',
        name: '设备故障',
        trigger: '电话、电脑或网络故障导致客服中断',
        steps: [...COMMON_DEFAULTS.emergencySteps.equipment_failure],
        overflowToQueue: null,
        drillIntervalMonths: v(6, DEFAULT),
        source: EMERGENCY,
      },
      {
        code: 'system_outage',
        name: '客服系统故障',
        trigger: '客户关系管理系统或呼叫管理系统不可用',
        steps: [...COMMON_DEFAULTS.emergencySteps.system_outage],
        overflowToQueue: null,
        drillIntervalMonths: v(6, DEFAULT),
        source: c('第十七条', '定期對客服軟件進行升級和維護'),
      },
    ],
    training: {
      onboardingExamRequired: v(true, DEFAULT),
      minSessionsPerYear: v(1, c('第六条', '定期進行,至少每年一次')),
      topics: v(['公司文化', '产品知识', '客服技能', '服务礼仪'], c('第六条', '公司文化、產(chǎn)品知識、客服技能、服務禮儀等')),
    },
    governance: {
      reviewIntervalMonths: v(12, c('第三十一条', '每年對客服管理制度進行審查')),
      weeklyMeeting: v(false, DEFAULT),
      weeklyFeedbackReport: v(false, DEFAULT),
    },
  },
  demoPlacement: {
    admin: { department: 'tech_support', team: null },
    manager1: { department: 'cs_center', team: null },
    lead1: { department: 'cs_center', team: 'service_team_1' },
    agent1: { department: 'cs_center', team: 'service_team_1' },
    agent2: { department: 'cs_center', team: 'service_team_1' },
    qa1: { department: 'supervision', team: 'qa_team' },
    trainer1: { department: 'training', team: 'training_team' },
    engineer1: { department: 'tech_support', team: 'it_ops' },
    partner1: { department: 'content_partner', team: null },
  },
};
