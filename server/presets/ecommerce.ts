import type { Preset } from './types.ts';
import { clause, COMMON_DEFAULTS, DEFAULT, v } from './sources.ts';

/** Seed 003 is a collection of regulations: every clause ref names the sub-document first. */
const c = (ref: string, quote: string) => clause('003', ref, quote);

/** 电商客服管理制度(参考): shifts, handover, meetings and the fines ledger. */
const REF = (n: number, quote: string) => c(`电商客服管理制度(参考) 第${n}条`, quote);
/** 电商客服的日常管理规定: pre-, in- and after-sale service. */
const DAILY = (n: string, quote: string) => c(`电商客服的日常管理规定 ${n}`, quote);

const PRE_SALE = DAILY('三1', '售前咨询(1)客服人员应熟悉店铺商品');
const IN_SALE = DAILY('三2', '售中服务(1)客服人员应及时处理消费者的订单');
const AFTER_SALE = DAILY('三3', '售后服务(1)客服人员应及时处理消费者的退换货申请');
const SATISFACTION_REVISIT = c('电商标准客服工作制度 第六条5', '应对已解决问题的客户进行满意度回访');

/** 003 电商客服管理制度（汇编）: shops with pre/in/after-sale service, shifts, handover, fines, tiers and referrals. */
export const ecommerce: Preset = {
  name: 'ecommerce',
  seed: '003',
  seedFile: '003_408db8dac33f32e9.txt',
  title: '电商客服管理制度',
  description:
    '电商店铺客服：白班 8:30–17:00 / 晚班 16:30–24:00、做六休一、主管轮流安排休息、仍有客户咨询时自动延长、交接班、每周例会；服务投诉自然月内 50 元翻倍第三次离职审查、与非客户聊天 20 元/次、泄露同事联系方式 100 元，罚款存入部门基金；客户分层、客户转介、培训合格后方可上岗。',
  policy: {
    meta: {
      preset: 'ecommerce',
      title: '电商客服管理制度（汇编）',
      organisation: '示例电商公司',
      seed: '003',
      summary:
        '多份电商客服制度的汇编：售前/售中/售后服务流程，在线、电话、邮件客服岗位，班次与交接、考勤与请假/外出申请，每周例会与每日班组目标，罚款记入部门基金箱，按购买记录进行客户分层管理，客户介绍客户须填写客户转介表，订单备注，培训合格后方可上岗，绩效考核结果与薪酬、晋升、培训挂钩。服务时间取“每天早上9点至晚上9点，周一至周日”的版本；回复时限原文留空（_____分钟），采用默认值。',
    },
    organisation: {
      timezone: v('Asia/Shanghai', DEFAULT),
      businessHours: v(
        { days: [1, 2, 3, 4, 5, 6, 7], start: '09:00', end: '21:00' },
        c('小电商公司客服规章制度 第六条', '客服工作时间为每天早上9点至晚上9点,周一至周日'),
      ),
      holidays: v('none', DEFAULT),
      departments: [
        {
          code: 'cs_dept',
          name: '客服部',
          kind: 'customer_service',
          duties: '设在线客服、电话客服、邮件客服、投诉处理与客户关系管理岗位，负责售前咨询、售中订单处理、售后退换货与投诉；部门经理审批请假，主管轮流安排休息并组织每日例会。',
          teams: [
            { code: 'online_team', name: '在线客服组' },
            { code: 'phone_team', name: '电话客服组' },
            { code: 'email_team', name: '邮件客服组' },
            { code: 'complaint_team', name: '投诉处理组' },
            { code: 'crm_team', name: '客户关系组' },
          ],
          source: c('电商客服的规章制度 第五条', '公司设立在线客服部门、电话客服部门、邮件客服部门等客服岗位'),
        },
        {
          code: 'quality',
          name: '质检组',
          kind: 'quality',
          duties: '客服质量监测与评价：监督客服服务质量，检查会话与订单备注，提出改进措施。',
          teams: [{ code: 'qa_team', name: '质检小组' }],
          source: c('电商平台客服管理规范 10.1', '10.1 客服质量监测与评价'),
        },
        {
          code: 'training',
          name: '培训组',
          kind: 'training',
          duties: '组织新人系统培训（业务知识、服务规范、沟通技巧），考核合格后方可上岗；定期组织在岗培训。',
          teams: [{ code: 'training_team', name: '培训小组' }],
          source: c('电商平台公司客服管理制度 二2', '培训合格后方可上岗'),
        },
        {
          code: 'tech_support',
          name: '技术支持',
          kind: 'technical_support',
          duties: '维护客服系统与工具，处理系统故障与紧急响应。',
          teams: [{ code: 'it_ops', name: '运维组' }],
          source: c('电商客服管理规章制度 第九条', '客服团队应设立客服专员、客服主管、技术支持等职位'),
        },
        {
          code: 'sales',
          name: '销售团队',
          kind: 'sales',
          duties: '促销活动与销售目标，客服协助完成。',
          teams: [],
          source: c('电商平台公司客服管理制度 三5', '协助销售团队完成销售目标'),
        },
        { code: 'warehouse', name: '仓储物流部', kind: 'logistics', duties: '协同处理发货、物流查询与退换货入库。', teams: [], source: DEFAULT },
        { code: 'finance', name: '财务部', kind: 'finance', duties: '协同处理退款与补偿；管理部门基金。', teams: [], source: DEFAULT },
      ],
    },
    sla: {
      chat: {
        // 原文：回复时间不得超过_____分钟 —— 留空。
        firstResponseSeconds: v(60, DEFAULT),
        nextResponseSeconds: v(60, DEFAULT),
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
        { name: '高等级客户优先', when: { tiers: ['vip'] }, resolutionHours: 12, source: DEFAULT },
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
        { code: 'polite', name: '文明用语、礼貌待客', weight: v(15, DEFAULT), autoFail: false, source: REF(6, '文明用语,礼貌待客') },
        { code: 'accuracy', name: '解答准确', weight: v(20, DEFAULT), autoFail: false, source: c('电商平台公司客服管理制度 五1', '解答问题准确率') },
        { code: 'timely_reply', name: '及时回复', weight: v(15, DEFAULT), autoFail: false, source: DAILY('三1(3)', '客服人员应及时回复消费者的咨询') },
        { code: 'patience', name: '仔细倾听、耐心解答', weight: v(15, DEFAULT), autoFail: false, source: c('电商客服日常管理制度 第九条', '仔细倾听客户需求,耐心解答客户疑问') },
        { code: 'order_note', name: '订单备注完整', weight: v(15, DEFAULT), autoFail: false, source: REF(7, '都要到该笔交易订单里面备注自己的姓名') },
        { code: 'no_hang_up', name: '不随意挂断电话或关闭在线咨询', weight: v(10, DEFAULT), autoFail: false, source: c('电商在线客服员工规章制度 第十五条', '不得随意挂断客户的电话或关闭在线咨询') },
        { code: 'result_feedback', name: '向客户反馈处理结果', weight: v(10, DEFAULT), autoFail: false, source: c('电商客服日常管理制度 第六条', '处理完毕后,向客户反馈处理结果') },
        { code: 'no_swearing', name: '不得爆粗口、与客户争吵', weight: v(0, DEFAULT), autoFail: true, source: REF(6, '不得爆粗口') },
        { code: 'privacy', name: '不得泄露客户信息', weight: v(0, DEFAULT), autoFail: true, source: c('小电商公司客服规章制度 第十八条', '客服人员不得泄露客户信息,保护客户隐私') },
      ],
    },
    shifts: {
      definitions: [
        { code: 'day', name: '白班', start: '08:30', end: '17:00', source: REF(1, '白班8:30-17:00') },
        { code: 'night', name: '晚班', start: '16:30', end: '24:00', source: REF(1, '晚班16:30-24:00') },
      ],
      workDaysPerWeek: v(6, REF(1, '每周单休,做六休一')),
      restDayAssignment: v('supervisor_rotation', REF(1, '由主管轮流安排')),
      autoExtendWhileServing: v(true, REF(1, '接待客服工作自动延长')),
      handoverRequired: v(true, REF(1, '晚班客服下班前填写好交接事项')),
      lateGraceMinutes: v(0, REF(9, '上班时间不得迟到、早退')),
    },
    kpi: {
      cycle: v('monthly', DEFAULT),
      weights: [
        { kpi: 'csat', weight: v(30, DEFAULT) },
        { kpi: 'qa_score', weight: v(20, DEFAULT) },
        { kpi: 'workload', weight: v(15, DEFAULT) },
        { kpi: 'first_response_time', weight: v(15, DEFAULT) },
        { kpi: 'complaint_rate', weight: v(10, DEFAULT) },
        { kpi: 'attendance', weight: v(10, DEFAULT) },
      ],
      grades: [
        { grade: 'excellent', label: '优秀', minScore: v(90, DEFAULT) },
        { grade: 'qualified', label: '合格', minScore: v(60, DEFAULT) },
        { grade: 'unqualified', label: '不合格', minScore: v(0, DEFAULT) },
      ],
      applications: v(['salary', 'promotion', 'training'], c('电商平台公司客服管理制度 五2', '绩效考核结果与薪酬、晋升、培训等方面挂钩')),
    },
    fines: {
      rules: [
        {
          code: 'service_complaint',
          name: '因服务原因收到买家投诉（自然月内）',
          amountYuan: v(50, REF(6, '一次罚款50元,第二次翻倍')),
          escalation: 'double_each_repeat',
          period: 'calendar_month',
          dismissalReviewAt: v(3, REF(6, '三次以上自动离职')),
        },
        {
          code: 'non_customer_chat',
          name: '上班时间与客户之外的人聊天',
          amountYuan: v(20, REF(10, '一经发现罚款20元每次')),
          escalation: 'none',
          period: 'per_incident',
          dismissalReviewAt: null,
        },
        {
          code: 'leak_colleague_contacts',
          name: '将上司及同事联系方式透露给他人',
          // 原文“违者重罚\n100元”跨行，摘录取“100元”。
          amountYuan: v(100, REF(15, '100元')),
          escalation: 'none',
          period: 'per_incident',
          dismissalReviewAt: null,
        },
      ],
      fund: v('department_fund', REF(16, '所有罚款存入部门基金箱')),
    },
    rewards: {
      honours: v(['优秀客服'], c('小电商公司客服规章制度 第二十一条', '优秀客服人员将获得公司奖金和荣誉证书')),
      bonusLinkedToScore: v(true, c('线上电商客服规章制度 第十七条', '根据绩效评定结果给予奖励或处罚')),
    },
    survey: {
      onChatEnd: v(true, DEFAULT),
      emailLink: v(true, DEFAULT),
      onCallback: v(true, SATISFACTION_REVISIT),
      npsEnabled: v(false, DEFAULT),
      validityDays: v(7, DEFAULT),
      satisfiedMinScore: v(4, DEFAULT),
    },
    callbacks: {
      autoOnClosure: v(true, SATISFACTION_REVISIT),
      withinHours: v(24, DEFAULT),
    },
    closedLoop: {
      confirmOnResolve: v(true, c('电商客服规章制度 二5.1', '在问题解决后,主动回访客户,确认问题是否得到满意解决')),
      reopenWindowDays: v(7, DEFAULT),
      fcrWindowDays: v(7, DEFAULT),
    },
    complaints: {
      apologyMessage: v(
        '非常抱歉给您带来不便。您的投诉已受理，我们会及时核实情况，并尽快给您解决方案。',
        c('电子商务客服管理制度(2023版) 三3(2)', '客服人员需进行道歉和解决方案的提供'),
      ),
      responseHours: v(24, DEFAULT),
      approvalChain: v(['cs_dept'], DEFAULT),
      revisitRequired: v(true, c('电商客服规章制度 二5.2', '对投诉问题要进行追查和解决')),
    },
    problemTypes: [
      { code: 'product_consultation', name: '商品咨询', domain: 'pre_sale', requiredFields: ['problemDescription'], source: DAILY('三1(1)', '能够准确回答消费者关于商品的咨询') },
      { code: 'order_change', name: '修改或取消订单', domain: 'in_sale', requiredFields: ['orderNumber', 'problemDescription'], source: DAILY('三2(2)', '对于消费者提出的修改订单、取消订单等要求') },
      { code: 'order_progress', name: '订单进度与物流', domain: 'in_sale', requiredFields: ['orderNumber'], source: DAILY('三2(1)', '及时告知消费者订单处理进度') },
      { code: 'return_exchange', name: '退换货', domain: 'after_sale', requiredFields: ['orderNumber', 'problemDescription'], source: AFTER_SALE },
      { code: 'refund', name: '退款', domain: 'after_sale', requiredFields: ['orderNumber', 'problemDescription'], source: c('电商标准客服工作制度 第六条3', '如退款、换货、维修等') },
      { code: 'quality_issue', name: '商品质量问题', domain: 'after_sale', requiredFields: ['orderNumber', 'productModel', 'problemDescription'], source: DAILY('三3(2)', '对于消费者提出的商品质量问题和投诉') },
      { code: 'complaint', name: '客户投诉', domain: 'after_sale', requiredFields: ['orderNumber', 'problemDescription', 'contact'], source: DAILY('三3(2)', '对于消费者提出的商品质量问题和投诉') },
      { code: 'suggestion', name: '意见建议', domain: 'after_sale', requiredFields: ['problemDescription'], source: c('电商客服的规章制度 第五条', '负责处理客户咨询、投诉、建议等事务') },
    ],
    businessDomains: [
      { code: 'pre_sale', name: '售前咨询', source: PRE_SALE },
      { code: 'in_sale', name: '售中服务', source: IN_SALE },
      { code: 'after_sale', name: '售后服务', source: AFTER_SALE },
    ],
    // 电商客服管理制度范本 第十七条“根据客户需求和购买记录,进行客户分层管理”：分层门槛原文未规定，采用默认值。
    customerTiers: {
      windowDays: v(365, DEFAULT),
      tiers: [
        { code: 'vip', name: 'VIP 会员', minSpendYuan: v(5000, DEFAULT), maxRecencyDays: v(180, DEFAULT), priority: 5 },
        { code: 'member', name: '会员', minSpendYuan: v(500, DEFAULT), maxRecencyDays: v(365, DEFAULT), priority: 2 },
        { code: 'regular', name: '普通客户', minSpendYuan: v(0, DEFAULT), maxRecencyDays: v(null, DEFAULT), priority: 0 },
      ],
    },
    emergencyPlans: [
      {
        code: 'surge',
        name: '咨询高峰',
        trigger: '咨询高峰期排队人数或等待时长超过阈值',
        steps: [...COMMON_DEFAULTS.emergencySteps.surge],
        overflowToQueue: 'phone_team',
        drillIntervalMonths: v(6, DEFAULT),
        source: DAILY('一1', '确保在消费者咨询高峰期有足够的客服人员在线'),
      },
      {
        code: 'staff_shortage',
        name: '人员请假缺岗',
        trigger: '请假、调班或未被接替导致当班缺员',
        steps: [...COMMON_DEFAULTS.emergencySteps.staff_shortage],
        overflowToQueue: 'online_team',
        drillIntervalMonths: v(6, DEFAULT),
        source: c('电商平台客服管理规范 9.1.2', '制定应急预案'),
      },
      {
        code: 'system_outage',
        name: '客服系统故障',
        trigger: '客服系统、电商平台后台或聊天工具不可用',
        steps: [...COMMON_DEFAULTS.emergencySteps.system_outage],
        overflowToQueue: null,
        drillIntervalMonths: v(6, DEFAULT),
        source: c('电商平台客服管理规范 8.3.3', '8.3.3 紧急响应'),
      },
    ],
    training: {
      onboardingExamRequired: v(true, c('电商平台公司客服管理制度 二2', '培训合格后方可上岗')),
      minSessionsPerYear: v(4, DEFAULT),
      topics: v(['业务知识', '服务规范', '沟通技巧'], c('电商平台公司客服管理制度 二2', '包括业务知识、服务规范、沟通技巧等')),
    },
    governance: {
      reviewIntervalMonths: v(12, DEFAULT),
      weeklyMeeting: v(true, REF(2, '客服部每周例会')),
      weeklyFeedbackReport: v(false, DEFAULT),
    },
  },
  demoPlacement: {
    admin: { department: 'tech_support', team: null },
    manager1: { department: 'cs_dept', team: null },
    lead1: { department: 'cs_dept', team: 'online_team' },
    agent1: { department: 'cs_dept', team: 'online_team' },
    agent2: { department: 'cs_dept', team: 'online_team' },
    qa1: { department: 'quality', team: 'qa_team' },
    trainer1: { department: 'training', team: 'training_team' },
    engineer1: { department: 'tech_support', team: 'it_ops' },
    partner1: { department: 'warehouse', team: null },
  },
};
