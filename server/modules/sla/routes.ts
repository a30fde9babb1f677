import { Type } from '@sinclair/typebox';
import type { App } from '../../platform/http/app-types.ts';
import type { JobRunner } from '../../platform/jobs/runner.ts';
import { Body, IdParams } from '../../platform/http/schemas.ts';
import { ConversationView } from '../conversations/views.ts';
import { registerSlaJobs } from './engine.ts';
import { MILESTONES, conversationTargets, markMilestone, type Milestone } from './service.ts';
import { SlaTargetView } from './views.ts';

const tags = ['服务水平 SLA'];

export function slaRoutes(app: App, deps: { jobs: JobRunner }): void {
  registerSlaJobs(deps.jobs);
  app.get(
    '/api/conversations/:id/sla-targets',
    {
      config: { access: 'conversations.read' },
      schema: { tags, summary: '会话的 SLA 目标：已用、剩余、达标或超时', params: IdParams, response: { 200: Type.Object({ data: Type.Array(SlaTargetView) }) } },
    },
    async (req) => ({ data: await conversationTargets(req.ctx, req.params.id) }),
  );
  app.post(
    '/api/conversations/:id/milestones',
    {
      config: { access: 'conversations.handle' },
      schema: {
        tags,
        summary: '通话中一键标记：已问候 / 已确认问题核心',
        params: IdParams,
        body: Body({ milestone: Type.Union((Object.keys(MILESTONES) as Milestone[]).map((m) => Type.Literal(m)), { description: 'greeted 已问候 / problem_confirmed 已确认问题' }) }),
        response: { 200: ConversationView },
      },
    },
    async (req) => markMilestone(req.ctx, req.params.id, req.body.milestone),
  );
}
