import type { Ctx } from '../../platform/context.ts';
import { scrubText } from '../../platform/pii/scrub.ts';
import { getConversation, listMessages } from '../conversations/service.ts';
import { personalDataOf } from '../customers/lookup.ts';
import { currentPolicy } from '../policy/service.ts';
import { KnowledgeError, createArticle } from './service.ts';

/** A case article quotes the conversation up to here; a longer one is summarised by its author. */
const MAX_MESSAGES = 200;
const SPEAKERS = { customer: '客户', agent: '客服', note: '内部备注' } as const;
const INTAKE_LABELS: Record<string, string> = { orderNumber: '订单号', productModel: '产品型号', serialNumber: '序列号', problemDescription: '问题描述' };

/**
 * K3: a solved conversation becomes a draft case article — its problem record and the exchange, with
 * the customer's personal data taken out (their archived name, phones, emails and streets, and any
 * phone, ID or email shaped text). The draft then goes through review like any other article.
 */
export async function draftFromConversation(ctx: Ctx, conversationId: string) {
  const conv = await getConversation(ctx, conversationId);
  if (conv.status !== 'resolved' && conv.status !== 'closed') throw KnowledgeError('conversation_not_solved');
  const [messages, known, policy] = await Promise.all([
    listMessages(ctx, conversationId, { limit: MAX_MESSAGES, includeNotes: true }),
    personalDataOf(ctx.db, conv.customerId),
    currentPolicy(ctx.db),
  ]);
  const scrub = (text: string) => scrubText(text, known);
  const problemType = policy.problemTypes.find((p) => p.code === conv.problemType)?.name ?? null;
  const record = Object.entries(INTAKE_LABELS)
    .map(([key, label]) => [label, (conv.intake as Record<string, string | undefined>)[key]] as const)
    .filter(([, value]) => value)
    .map(([label, value]) => `- ${label}：${scrub(value!)}`);
  const exchange = messages
    .slice(0, MAX_MESSAGES)
    .filter((m): m is typeof m & { author: keyof typeof SPEAKERS } => m.author in SPEAKERS)
    .map((m) => `${SPEAKERS[m.author]}：${scrub(m.body)}`);
  const body = [
    '## 问题',
    ...(problemType ? [`问题类型：${problemType}`] : []),
    ...record,
    '',
    '## 处理经过',
    ...exchange,
    '',
    '## 解决方法',
    '（请总结可复用的处理步骤）',
  ].join('\n');
  const subject = conv.subject ? scrub(conv.subject) : (problemType ?? '已解决的问题');
  return createArticle(ctx, {
    type: 'case',
    visibility: 'internal',
    problemType: conv.problemType,
    title: `案例：${subject}`.slice(0, 200),
    body,
    note: `由会话 #${conv.number} 生成，已去除客户个人信息`,
    sourceConversationId: conv.id,
  });
}
