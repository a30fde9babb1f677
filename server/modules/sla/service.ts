import type { Ctx } from '../../platform/context.ts';
import { defineErrors } from '../../platform/errors.ts';
import { write } from '../../platform/write.ts';
import { findVisible, mustOwn, updateConversation } from '../conversations/record.ts';
import { conversationView, type ConversationView } from '../conversations/views.ts';
import { currentPolicy } from '../policy/service.ts';
import { calendarFor, listTargets } from './engine.ts';
import { slaTargetView, type SlaTargetView } from './views.ts';

export const SlaError = defineErrors('sla', {
  milestone_not_applicable: [409, { 'zh-CN': '只有已接听的电话会话可以标记「{milestone}」', 'zh-TW': '只有已接聽的電話會話可以標記「{milestone}」', en: 'Only an answered phone conversation can be marked {milestone}' }],
});

export const MILESTONES = { greeted: 'greetedAt', problem_confirmed: 'problemConfirmedAt' } as const;
export type Milestone = keyof typeof MILESTONES;
const MILESTONE_LABELS: Record<Milestone, string> = { greeted: '已问候', problem_confirmed: '已确认问题' };

/** Each conversation shows its promises: elapsed, remaining, met or breached (S2). */
export async function conversationTargets(ctx: Ctx, conversationId: string): Promise<SlaTargetView[]> {
  const conv = await findVisible(ctx.db, ctx.actor, conversationId);
  const rows = await listTargets(ctx.db, conv.id);
  const cal = await calendarFor(ctx.db, await currentPolicy(ctx.db), conv.teamId);
  const now = ctx.clock.now();
  return rows.map((r) => slaTargetView(r, now, cal));
}

/**
 * S1: the agent's one click "greeted" / "problem confirmed" during a call stops that clock.
 * The first mark counts; marking again changes nothing.
 */
export async function markMilestone(ctx: Ctx, conversationId: string, milestone: Milestone): Promise<ConversationView> {
  const after = await write(ctx, async (w) => {
    const conv = await findVisible(w.tx, ctx.actor, conversationId, { lock: true });
    mustOwn(ctx.actor, conv);
    if (conv.channel !== 'phone' || !conv.firstResponseAt) throw SlaError('milestone_not_applicable', { field: 'milestone', params: { milestone: MILESTONE_LABELS[milestone] } });
    const column = MILESTONES[milestone];
    if (conv[column]) return conv;
    return updateConversation(w, conv, { [column]: w.now });
  });
  return conversationView(after, ctx.clock.now());
}
