import type { Seed, SourceRef } from '../modules/policy/document.ts';

/** A clause of a seed regulation, quoted verbatim (the quote is checked against the seed file). */
export function clause(seed: Seed, clauseRef: string, quote: string): SourceRef {
  return { seed, clause: clauseRef, quote };
}

/** The seed leaves this blank or silent; the value is our default. */
export const DEFAULT = 'default' as const;

export function v<T>(value: T, source: SourceRef) {
  return { value, source };
}

/** Defaults shared by presets where their seed is silent. */
export const COMMON_DEFAULTS = {
  forbiddenPhrases: ['不知道', '不归我管', '这不是我的问题', '你自己看', '没办法', '找别人去', '听不懂吗', '爱买不买', '你去投诉吧', '我也没办法', '急什么'],
  uncivilWords: ['滚', '笨蛋', '神经病', '有病', '白痴', '闭嘴', '废话', '蠢', '傻子'],
  politePhrases: ['您好', '请', '谢谢', '对不起', '再见'],
  emergencySteps: {
    staff_shortage: ['主管确认缺员人数与时段', '启用备班人员或延长在岗人员班次', '开启排队提示与留言，告知客户预计等待时间', '恢复后复盘并记录'],
    equipment_failure: ['报修并记录故障时间', '启用备用设备', '技术支持在目标时间内修复', '恢复后记录原因与处理过程'],
    system_outage: ['通知技术支持与主管', '切换到备用渠道或人工登记', '向客户说明原因与预计恢复时间', '恢复后补录并复盘'],
    surge: ['主管确认排队与服务水平', '调派其他班组支援（溢出队列）', '启用标准话术与自助知识库', '高峰结束后复盘'],
  },
} as const;
