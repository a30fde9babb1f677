import type { Preset } from './types.ts';
import { clause, COMMON_DEFAULTS, DEFAULT, v } from './sources.ts';

const c = (ref: string, quote: string) => clause('004', ref, quote);

const PROBLEM_TYPES = c('四', '常见问题包括产品咨询、技术支持、售后服务等');
const ENQUIRY_KINDS = c('一', '负责处理客户咨询、投诉、建议等事务');
const FEEDBACK_CHANNELS = c('四', '如电话回访、问卷调查、在线反馈等');

/** 004 某发动机厂客服专员服务规范: a B2B engine maker whose customer service hands off to sales, production, finance and logistics. */
export const manufacturingB2b: Preset = {
  name: 'manufacturing-b2b',
  seed: '004',
  seedFile: '004_22182e42829cdd9a.txt',
  title: '发动机厂客服专员服务规范',
  description:
    '发动机制造企业的 B2B 客服：客服部向销售总监汇报，与销售、生产、财务、物流部门协作；问题分为产品咨询、技术支持、售后服务、投诉与建议；通过电话回访、问卷调查、在线反馈收集意见，定期整理服务数据并制作服务报告。',
  policy: {
    meta: {
      preset: 'manufacturing-b2b',
      title: '某发动机厂客服专员服务规范',
      organisation: '示例发动机制造有限公司',
      seed: '004',
      summary:
        '客户是购买、使用或潜在购买发动机产品的企业或个人。客服部是客户服务的核心部门，直接向销售总监汇报，客服专员在客服部经理领导下工作；与销售部门（客户需求、市场信息）、生产部门（产品特性、技术问题）、财务部门（售后服务费用）、物流部门（产品运输）协作；定期整理服务数据、分析服务效果并制作服务报告。',
    },
    organisation: {
      timezone: v('Asia/Shanghai', DEFAULT),
      businessHours: v({ days: [1, 2, 3, 4, 5, 6], start: '08:30', end: '17:30' }, DEFAULT),
      holidays: v('cn', DEFAULT),
      departments: [
        {
          code: 'cs_dept',
          name: '客服部',
          kind: 'customer_service',
          duties: '公司负责客户服务的核心部门，直接向销售总监汇报。客服部经理制定服务策略、监督服务质量、协调部门资源；客服专员负责接待客户、记录客户信息、解答疑问、处理投诉、收集反馈、整理服务数据并制作服务报告。',
          teams: [
            { code: 'service_desk', name: '客户服务组' },
            { code: 'feedback_team', name: '回访与反馈组' },
            { code: 'service_quality', name: '服务质量组' },
          ],
          source: c('二', '客服部是公司负责客户服务的核心部门,直接向销售总监汇报'),
        },
        {
          code: 'sales',
          name: '销售部门',
          kind: 'sales',
          duties: '与客服部协作，了解客户需求、反馈市场信息，共同维护客户关系；销售总监分管客服部。',
          teams: [],
          source: c('二', '与销售部门协作,了解客户需求,反馈市场信息'),
        },
        {
          code: 'production',
          name: '生产部门',
          kind: 'production',
          duties: '与客服部协作，提供产品特性与技术资料，由生产技术人员共同解决客户技术问题。',
          teams: [],
          source: c('二', '与生产部门协作,了解产品特性,解答技术问题'),
        },
        {
          code: 'finance',
          name: '财务部门',
          kind: 'finance',
          duties: '与客服部配合处理售后服务费用，审核费用申请、办理报销。',
          teams: [],
          source: c('二', '与财务部门协作,处理售后服务费用'),
        },
        {
          code: 'logistics',
          name: '物流部门',
          kind: 'logistics',
          duties: '与客服部协作，跟踪产品运输情况，提供物流信息。',
          teams: [],
          source: c('二', '与物流部门协作,跟踪产品运输情况'),
        },
        {
          code: 'training',
          name: '服务培训部',
          kind: 'training',
          duties: '组织服务培训，使客服专员掌握最新服务标准、提升服务能力。',
          teams: [{ code: 'training_team', name: '培训组' }],
          source: c('五', '客服专员应定期接受服务培训,掌握最新服务标准'),
        },
        {
          code: 'it_dept',
          name: '信息技术部',
          kind: 'technical_support',
          duties: '维护客服系统、电话与网络，保障客户信息安全。',
          teams: [{ code: 'it_ops', name: '运维组' }],
          source: DEFAULT,
        },
      ],
    },
    sla: {
      chat: {
        // 原文：服务效率应达到公司规定的标准,如响应时间、处理时间等 —— 未给出数值。
        firstResponseSeconds: v(120, DEFAULT),
        nextResponseSeconds: v(300, DEFAULT),
      },
      phone: {
        answerWithinRings: v(3, DEFAULT),
        ringSeconds: v(5, DEFAULT),
        greetingSeconds: v(30, DEFAULT),
        problemUnderstoodSeconds: v(120, DEFAULT),
      },
      email: { firstResponseMinutes: v(240, DEFAULT) },
      resolutionHours: v(72, DEFAULT),
      warningFraction: v(0.8, DEFAULT),
      overrides: [
        { name: '紧急问题', when: { priorities: ['urgent'] }, resolutionHours: 4, source: DEFAULT },
        { name: '紧急在线咨询', when: { priorities: ['urgent'], channels: ['chat'] }, firstResponseSeconds: 15, nextResponseSeconds: 30, source: DEFAULT },
      ],
      serviceLevel: { percent: v(80, DEFAULT), withinSeconds: v(20, DEFAULT) },
    },
    targets: {
      csatPercent: v(90, DEFAULT),
      fcrPercent: v(70, DEFAULT),
      trainingCoveragePercent: v(100, DEFAULT),
      systemUptimePercent: v(99.5, DEFAULT),
      faultFixMinutes: v(60, DEFAULT),
      productIntroMinutes: v(5, DEFAULT),
    },
    quality: {
      samplingRate: v(0.1, DEFAULT),
      politePhrases: v([...COMMON_DEFAULTS.politePhrases], DEFAULT),
      forbiddenPhrases: v([...COMMON_DEFAULTS.forbiddenPhrases], DEFAULT),
      uncivilWords: v([...COMMON_DEFAULTS.uncivilWords], DEFAULT),
      prematureCloseSeconds: v(120, DEFAULT),
      criteria: [
        { code: 'attitude', name: '积极、热情、耐心', weight: v(15, DEFAULT), autoFail: false, source: c('三', '应保持积极、热情、耐心的服务态度') },
        { code: 'listening', name: '耐心倾听，不打断客户', weight: v(15, DEFAULT), autoFail: false, source: c('三', '耐心倾听客户意见,避免打断客户讲话') },
        { code: 'plain_language', name: '避免专业术语或行业黑话', weight: v(10, DEFAULT), autoFail: false, source: c('三', '避免使用专业术语或行业黑话') },
        { code: 'classification', name: '了解客户基本信息并正确分类', weight: v(15, DEFAULT), autoFail: false, source: c('四', '应先了解客户基本信息,然后根据问题类型进行分类') },
        { code: 'standard_wording', name: '使用标准用语、提供标准服务', weight: v(15, DEFAULT), autoFail: false, source: c('五', '使用标准用语,提供标准服务') },
        { code: 'effective_service', name: '及时、准确、有效', weight: v(20, DEFAULT), autoFail: false, source: c('五', '提供及时、准确、有效的服务') },
        { code: 'result_feedback', name: '及时反馈处理结果', weight: v(10, DEFAULT), autoFail: false, source: c('四', '推动问题解决,并及时反馈处理结果') },
        { code: 'confidentiality', name: '不得泄露客户信息或商业秘密', weight: v(0, DEFAULT), autoFail: true, source: c('三', '不得泄露客户信息或公司商业秘密') },
      ],
    },
    shifts: {
      definitions: [{ code: 'day', name: '日班', start: '08:30', end: '17:30', source: DEFAULT }],
      workDaysPerWeek: v(5, DEFAULT),
      restDayAssignment: v('supervisor_rotation', DEFAULT),
      autoExtendWhileServing: v(true, DEFAULT),
      handoverRequired: v(true, DEFAULT),
      lateGraceMinutes: v(5, DEFAULT),
    },
    kpi: {
      cycle: v('quarterly', DEFAULT),
      weights: [
        { kpi: 'csat', weight: v(30, DEFAULT) },
        { kpi: 'complaint_rate', weight: v(15, DEFAULT) },
        { kpi: 'first_response_time', weight: v(15, DEFAULT) },
        { kpi: 'aht', weight: v(15, DEFAULT) },
        { kpi: 'qa_score', weight: v(15, DEFAULT) },
        { kpi: 'callback_rate', weight: v(10, DEFAULT) },
      ],
      grades: [
        { grade: 'excellent', label: '优秀', minScore: v(90, DEFAULT) },
        { grade: 'qualified', label: '合格', minScore: v(60, DEFAULT) },
        { grade: 'unqualified', label: '不合格', minScore: v(0, DEFAULT) },
      ],
      applications: v(['bonus', 'promotion', 'training'], DEFAULT),
    },
    fines: { rules: [], fund: v('none', DEFAULT) },
    rewards: { honours: v(['优秀客服'], DEFAULT), bonusLinkedToScore: v(true, DEFAULT) },
    survey: {
      onChatEnd: v(true, FEEDBACK_CHANNELS),
      emailLink: v(true, FEEDBACK_CHANNELS),
      onCallback: v(true, FEEDBACK_CHANNELS),
      npsEnabled: v(false, DEFAULT),
      validityDays: v(14, DEFAULT),
      satisfiedMinScore: v(4, DEFAULT),
    },
    callbacks: {
      autoOnClosure: v(true, DEFAULT),
      withinHours: v(48, DEFAULT),
    },
    closedLoop: {
      confirmOnResolve: v(true, c('五', '确保客户问题得到妥善解决')),
      reopenWindowDays: v(14, DEFAULT),
      fcrWindowDays: v(7, DEFAULT),
    },
    complaints: {
      apologyMessage: v('非常抱歉给贵公司带来不便。您的投诉已受理，我们将分析原因、协调相关部门尽快给出解决方案，并及时反馈处理结果。', DEFAULT),
      responseHours: v(24, DEFAULT),
      approvalChain: v(['cs_dept'], DEFAULT),
      revisitRequired: v(true, DEFAULT),
    },
    problemTypes: [
      { code: 'product_consultation', name: '产品咨询', domain: 'product_tech', requiredFields: ['productModel', 'problemDescription', 'contact'], source: PROBLEM_TYPES },
      { code: 'technical_support', name: '技术支持', domain: 'product_tech', requiredFields: ['productModel', 'serialNumber', 'problemDescription', 'contact'], source: PROBLEM_TYPES },
      { code: 'after_sales', name: '售后服务', domain: 'after_sales', requiredFields: ['orderNumber', 'productModel', 'serialNumber', 'problemDescription', 'contact'], source: PROBLEM_TYPES },
      { code: 'service_fee', name: '售后服务费用', domain: 'after_sales', requiredFields: ['orderNumber', 'problemDescription', 'contact'], source: c('六', '处理售后服务费用') },
      { code: 'shipment_tracking', name: '产品运输跟踪', domain: 'transport', requiredFields: ['orderNumber', 'contact'], source: c('六', '跟踪产品运输情况') },
      { code: 'complaint', name: '投诉', domain: 'customer_relations', requiredFields: ['problemDescription', 'contact'], source: ENQUIRY_KINDS },
      { code: 'suggestion', name: '建议', domain: 'customer_relations', requiredFields: ['problemDescription', 'contact'], source: ENQUIRY_KINDS },
    ],
    businessDomains: [
      { code: 'product_tech', name: '产品与技术', source: c('六', '了解产品特性,解答技术问题') },
      { code: 'after_sales', name: '售后服务', source: PROBLEM_TYPES },
      { code: 'transport', name: '产品运输', source: c('六', '跟踪产品运输情况') },
      { code: 'customer_relations', name: '客户关系', source: c('六', '共同维护客户关系') },
    ],
    customerTiers: {
      windowDays: v(730, DEFAULT),
      tiers: [
        { code: 'strategic', name: '战略客户', minSpendYuan: v(5000000, DEFAULT), maxRecencyDays: v(365, DEFAULT), priority: 6 },
        { code: 'key_account', name: '重点客户', minSpendYuan: v(1000000, DEFAULT), maxRecencyDays: v(730, DEFAULT), priority: 4 },
        { code: 'regular', name: '一般客户', minSpendYuan: v(0, DEFAULT), maxRecencyDays: v(null, DEFAULT), priority: 0 },
      ],
    },
    emergencyPlans: [
      {
        code: 'major_incident',
        name: '重大投诉与突发事件',
        trigger: '客户重大投诉、批量质量问题或其他特殊情况',
        steps: ['冷静应对并安抚客户情绪', '立即上报客服部经理', '协调生产、销售等相关部门制定解决方案', '及时向客户反馈处理进展', '事后复盘并记录'],
        overflowToQueue: null,
        drillIntervalMonths: v(12, DEFAULT),
        source: c('三', '在遇到客户投诉或特殊情况时,要冷静应对,及时上报'),
      },
      {
        code: 'staff_shortage',
        name: '人员短缺',
        trigger: '当班缺员导致咨询无法及时响应',
        steps: [...COMMON_DEFAULTS.emergencySteps.staff_shortage],
        overflowToQueue: 'feedback_team',
        drillIntervalMonths: v(12, DEFAULT),
        source: DEFAULT,
      },
      {
        code: 'system_outage',
        name: '系统故障',
        trigger: '客服系统或电话系统不可用',
        steps: [...COMMON_DEFAULTS.emergencySteps.system_outage],
        overflowToQueue: null,
        drillIntervalMonths: v(12, DEFAULT),
        source: DEFAULT,
      },
    ],
    training: {
      onboardingExamRequired: v(true, DEFAULT),
      minSessionsPerYear: v(4, DEFAULT),
      topics: v(['发动机产品知识', '技术问题解答', '服务标准与标准用语', '沟通技巧', '投诉处理', '保密制度'], DEFAULT),
    },
    governance: {
      reviewIntervalMonths: v(12, DEFAULT),
      weeklyMeeting: v(false, DEFAULT),
      // 原文要求“定期整理服务数据”“制作服务报告”，未规定每周；默认每周汇总。
      weeklyFeedbackReport: v(true, DEFAULT),
    },
  },
  demoPlacement: {
    admin: { department: 'it_dept', team: null },
    manager1: { department: 'cs_dept', team: null },
    lead1: { department: 'cs_dept', team: 'service_desk' },
    agent1: { department: 'cs_dept', team: 'service_desk' },
    agent2: { department: 'cs_dept', team: 'service_desk' },
    qa1: { department: 'cs_dept', team: 'service_quality' },
    trainer1: { department: 'training', team: 'training_team' },
    engineer1: { department: 'it_dept', team: 'it_ops' },
    partner1: { department: 'production', team: null },
  },
};
