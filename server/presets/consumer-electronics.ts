import type { Preset } from './types.ts';
import { clause, COMMON_DEFAULTS, DEFAULT, v } from './sources.ts';

/** Seed 000 is written in Traditional characters: quotes stay Traditional, values and UI text are Simplified. */
const c = (ref: string, quote: string) => clause('000', ref, quote);

const SCOPE = c('一(二)', '包括但不限于在線客服、熱線客服、售后客服等');
const INTAKE = c('三(一)2', '包括訂單號、產品型號、問題描述等');

/** 000 小米客服规范管理制度: full service lifecycle of a consumer electronics brand (online, hotline, after-sales). */
export const consumerElectronics: Preset = {
  name: 'consumer-electronics',
  seed: '000',
  seedFile: '000_d948bfabb936e497.txt',
  title: '消费电子品牌客服规范管理制度',
  description:
    '消费电子品牌的在线、热线与售后客服：礼貌用语、记录订单号/产品型号/问题描述、查知识库、结果确认直至客户满意、投诉方案经相关部门审核后实施并回访归档、每月或每季度绩效考核。',
  policy: {
    meta: {
      preset: 'consumer-electronics',
      title: '小米客服规范管理制度',
      organisation: '示例消费电子公司',
      seed: '000',
      summary:
        '覆盖咨询接待、问题处理（知识库、操作手册、过往案例）、跟进与结果反馈、投诉处理（受理—调查取证—方案审核—沟通—回访结案归档）、培训与职业发展、绩效考核与激励、工作环境与办公设备（电脑、电话、耳机）。在线客服响应分钟数与热线接听声数在原文中留空，采用默认值。',
    },
    organisation: {
      timezone: v('Asia/Shanghai', DEFAULT),
      businessHours: v({ days: [1, 2, 3, 4, 5, 6, 7], start: '09:00', end: '21:00' }, DEFAULT),
      holidays: v('none', DEFAULT),
      departments: [
        {
          code: 'cs_center',
          name: '客服中心',
          kind: 'customer_service',
          duties: '负责在线客服、热线客服与售后客服：接待咨询、记录问题、查找解决方案、跟进反馈并处理投诉。',
          teams: [
            { code: 'online_team', name: '在线客服组' },
            { code: 'hotline_team', name: '热线客服组' },
            { code: 'after_sales_team', name: '售后客服组' },
          ],
          source: SCOPE,
        },
        {
          code: 'quality',
          name: '质检部',
          kind: 'quality',
          duties: '不定期抽查考核客服人员，监听客服通话、检查聊天记录，评估服务质量。',
          teams: [{ code: 'qa_team', name: '质检组' }],
          source: c('五(二)2', '如監聽客服通話、檢查聊天記錄等'),
        },
        {
          code: 'training',
          name: '培训部',
          kind: 'training',
          duties: '制定年度培训计划，定期组织内部培训，选派外部培训，并通过考试、实际操作、客户反馈评估培训效果。',
          teams: [{ code: 'training_team', name: '培训组' }],
          source: c('四(二)1', '定期組織內部培訓課程'),
        },
        {
          code: 'it_support',
          name: '技术支持部',
          kind: 'technical_support',
          duties: '配备并维护电脑、电话、耳机等办公设备，确保设备正常运行与网络畅通，管理设备使用登记。',
          teams: [{ code: 'it_ops', name: '运维组' }],
          source: c('六(二)1', '如電腦、電話、耳機等,并確保設備正常運行'),
        },
        { code: 'sales', name: '销售部', kind: 'sales', duties: '协同处理购买、价格与活动问题。', teams: [], source: DEFAULT },
        { code: 'product_quality', name: '产品质量部', kind: 'production', duties: '协同处理产品故障、质量问题与维修方案。', teams: [], source: DEFAULT },
        { code: 'finance', name: '财务部', kind: 'finance', duties: '协同处理退款、补偿与费用。', teams: [], source: DEFAULT },
        { code: 'logistics', name: '物流部', kind: 'logistics', duties: '协同处理配送、退换货与维修件物流。', teams: [], source: DEFAULT },
      ],
    },
    sla: {
      chat: {
        // 原文：在线客服在客户发起咨询后[X]分钟内给予响应 —— 留空。
        firstResponseSeconds: v(60, DEFAULT),
        nextResponseSeconds: v(120, DEFAULT),
      },
      phone: {
        // 原文：热线客服在电话铃响[X]声内接听 —— 留空。
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
      politePhrases: v(['您好', '请', '谢谢', '对不起', '再见'], c('二(一)1', '“您好”“請”“謝謝”“對不起”“再見”')),
      forbiddenPhrases: v([...COMMON_DEFAULTS.forbiddenPhrases], DEFAULT),
      uncivilWords: v([...COMMON_DEFAULTS.uncivilWords], DEFAULT),
      prematureCloseSeconds: v(60, DEFAULT),
      criteria: [
        { code: 'polite_language', name: '使用礼貌用语', weight: v(15, DEFAULT), autoFail: false, source: c('二(一)1', '語言表達使用禮貌用語') },
        { code: 'clear_expression', name: '语言清晰、简洁、准确', weight: v(10, DEFAULT), autoFail: false, source: c('二(一)1', '語言清晰、簡潔、準確') },
        { code: 'attitude', name: '热情、友好、耐心', weight: v(15, DEFAULT), autoFail: false, source: c('二(一)2', '始終保持熱情、友好、耐心的態度') },
        { code: 'listening', name: '认真倾听，不打断客户', weight: v(10, DEFAULT), autoFail: false, source: c('二(三)1', '認真傾聽客戶的問題和需求,不打斷客戶講話') },
        { code: 'intake_record', name: '详细记录订单号、产品型号、问题描述', weight: v(15, DEFAULT), autoFail: false, source: INTAKE },
        { code: 'solution', name: '解决方案清晰准确', weight: v(20, DEFAULT), autoFail: false, source: c('三(二)2', '將解決方案清晰、準確地告知客戶') },
        { code: 'emotion_soothing', name: '情绪安抚', weight: v(5, DEFAULT), autoFail: false, source: c('二(三)4', '要先安撫客戶情緒') },
        { code: 'result_confirmation', name: '确认问题已解决、客户满意', weight: v(10, DEFAULT), autoFail: false, source: c('三(三)2', '向客戶確認問題是否已成功解決') },
        { code: 'no_quarrel', name: '不得争吵或使用不文明、侮辱性语言', weight: v(0, DEFAULT), autoFail: true, source: c('二(一)2', '不得與客戶發生爭吵或使用不文明、侮辱性的語言') },
      ],
    },
    shifts: {
      definitions: [
        { code: 'day', name: '早班', start: '09:00', end: '17:30', source: DEFAULT },
        { code: 'evening', name: '晚班', start: '13:00', end: '21:00', source: DEFAULT },
      ],
      workDaysPerWeek: v(5, DEFAULT),
      restDayAssignment: v('supervisor_rotation', DEFAULT),
      autoExtendWhileServing: v(true, DEFAULT),
      handoverRequired: v(true, DEFAULT),
      lateGraceMinutes: v(5, DEFAULT),
    },
    kpi: {
      // 原文为“每月或每季度”，默认按月。
      cycle: v('monthly', c('五(二)1', '每月或每季度對客服人員進行一次定期績效考核')),
      weights: [
        { kpi: 'csat', weight: v(20, DEFAULT) },
        { kpi: 'first_response_time', weight: v(10, DEFAULT) },
        { kpi: 'answer_delay', weight: v(5, DEFAULT) },
        { kpi: 'fcr', weight: v(20, DEFAULT) },
        { kpi: 'aht', weight: v(10, DEFAULT) },
        { kpi: 'workload', weight: v(10, DEFAULT) },
        { kpi: 'complaint_rate', weight: v(5, DEFAULT) },
        { kpi: 'qa_score', weight: v(10, DEFAULT) },
        { kpi: 'exam_score', weight: v(10, DEFAULT) },
      ],
      grades: [
        { grade: 'excellent', label: '优秀', minScore: v(90, DEFAULT) },
        { grade: 'qualified', label: '合格', minScore: v(60, DEFAULT) },
        { grade: 'unqualified', label: '不合格', minScore: v(0, DEFAULT) },
      ],
      applications: v(['bonus', 'honour', 'promotion', 'training'], c('五(三)', '(三)激勵措施1.績效獎金')),
    },
    fines: { rules: [], fund: v('none', DEFAULT) },
    rewards: {
      honours: v(['优秀客服'], c('五(三)2', '頒發“優秀客服”稱號')),
      bonusLinkedToScore: v(true, c('五(三)1', '績效獎金與考核得分掛鉤')),
    },
    survey: {
      onChatEnd: v(true, DEFAULT),
      emailLink: v(true, DEFAULT),
      onCallback: v(true, c('三(四)5', '對客戶進行回訪,確認客戶是否對處理結果滿意')),
      npsEnabled: v(false, DEFAULT),
      validityDays: v(7, DEFAULT),
      satisfiedMinScore: v(4, DEFAULT),
    },
    callbacks: {
      autoOnClosure: v(true, DEFAULT),
      withinHours: v(24, DEFAULT),
    },
    closedLoop: {
      confirmOnResolve: v(true, c('三(三)2', '重新處理問題,直至客戶滿意為止')),
      reopenWindowDays: v(7, DEFAULT),
      fcrWindowDays: v(7, DEFAULT),
    },
    complaints: {
      apologyMessage: v(
        '非常抱歉给您带来不便。您的投诉我们已受理，会及时调查处理，并与您协商确定处理时间和方式。',
        c('三(四)1', '向客戶表達歉意,承諾會及時處理投訴'),
      ),
      responseHours: v(24, DEFAULT),
      approvalChain: v(['cs_center', 'quality'], c('三(四)3', '解決方案要經相關部門審核通過后實施')),
      revisitRequired: v(true, c('三(四)5', '問題解決后,對客戶進行回訪')),
    },
    problemTypes: [
      {
        code: 'product_consultation',
        name: '产品咨询',
        domain: 'online',
        requiredFields: ['productModel', 'problemDescription'],
        source: c('三(一)2', '了解客戶遇到的問題或想要咨詢的事項'),
      },
      {
        code: 'order_issue',
        name: '订单问题',
        domain: 'online',
        requiredFields: ['orderNumber', 'problemDescription'],
        source: INTAKE,
      },
      {
        code: 'device_setup',
        name: '产品参数设置',
        domain: 'hotline',
        requiredFields: ['productModel', 'problemDescription'],
        source: c('三(二)3', '如指導客戶設置產品參數、解決軟件使用問題等'),
      },
      {
        code: 'software_usage',
        name: '软件使用问题',
        domain: 'hotline',
        requiredFields: ['productModel', 'problemDescription'],
        source: c('三(二)3', '如指導客戶設置產品參數、解決軟件使用問題等'),
      },
      {
        code: 'after_sales_repair',
        name: '售后维修',
        domain: 'after_sales',
        requiredFields: ['orderNumber', 'productModel', 'serialNumber', 'problemDescription'],
        source: SCOPE,
      },
      {
        code: 'complaint',
        name: '客户投诉',
        domain: 'after_sales',
        requiredFields: ['orderNumber', 'problemDescription', 'contact'],
        source: c('三(四)1', '投訴時間、投訴人、投訴事項、聯系方式等'),
      },
    ],
    businessDomains: [
      { code: 'online', name: '在线客服', source: SCOPE },
      { code: 'hotline', name: '热线客服', source: SCOPE },
      { code: 'after_sales', name: '售后客服', source: SCOPE },
    ],
    customerTiers: {
      windowDays: v(365, DEFAULT),
      tiers: [
        { code: 'vip', name: 'VIP 客户', minSpendYuan: v(10000, DEFAULT), maxRecencyDays: v(180, DEFAULT), priority: 5 },
        { code: 'regular', name: '普通客户', minSpendYuan: v(1000, DEFAULT), maxRecencyDays: v(null, DEFAULT), priority: 2 },
        { code: 'basic', name: '一般客户', minSpendYuan: v(0, DEFAULT), maxRecencyDays: v(null, DEFAULT), priority: 0 },
      ],
    },
    emergencyPlans: [
      {
        code: 'surge',
        name: '咨询高峰无法及时响应',
        trigger: '排队人数或等待时长超过阈值，无法在规定时间内响应',
        steps: ['向客户说明原因并告知预计等待时间', ...COMMON_DEFAULTS.emergencySteps.surge],
        overflowToQueue: 'hotline_team',
        drillIntervalMonths: v(6, DEFAULT),
        source: c('三(一)1', '如因特殊情況無法及時響應,要向客戶說明原因'),
      },
      {
        code: 'equipment_failure',
        name: '办公设备故障',
        trigger: '电脑、电话或耳机故障影响接待',
        steps: [...COMMON_DEFAULTS.emergencySteps.equipment_failure],
        overflowToQueue: null,
        drillIntervalMonths: v(6, DEFAULT),
        source: c('六(二)2', '及時更換損壞的設備部件'),
      },
      {
        code: 'network_outage',
        name: '网络与系统故障',
        trigger: '客服工作网络中断或客服系统不可用',
        steps: [...COMMON_DEFAULTS.emergencySteps.system_outage],
        overflowToQueue: null,
        drillIntervalMonths: v(6, DEFAULT),
        source: c('六(三)1', '確保客服工作網絡暢通'),
      },
    ],
    training: {
      onboardingExamRequired: v(true, DEFAULT),
      minSessionsPerYear: v(4, DEFAULT),
      topics: v(['产品知识', '服务技能', '沟通技巧', '问题解决能力'], c('四(一)2', '涵蓋產品知識、服務技能、溝通技巧、問題解決能力')),
    },
    governance: {
      reviewIntervalMonths: v(12, DEFAULT),
      weeklyMeeting: v(false, DEFAULT),
      weeklyFeedbackReport: v(false, DEFAULT),
    },
  },
  demoPlacement: {
    admin: { department: 'it_support', team: null },
    manager1: { department: 'cs_center', team: null },
    lead1: { department: 'cs_center', team: 'online_team' },
    agent1: { department: 'cs_center', team: 'online_team' },
    agent2: { department: 'cs_center', team: 'online_team' },
    qa1: { department: 'quality', team: 'qa_team' },
    trainer1: { department: 'training', team: 'training_team' },
    engineer1: { department: 'it_support', team: 'it_ops' },
    partner1: { department: 'logistics', team: null },
  },
};
