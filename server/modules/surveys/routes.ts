import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import { ANONYMOUS_ACTOR, type Ctx } from '../../platform/context.ts';
import { AppError } from '../../platform/errors.ts';
import type { App } from '../../platform/http/app-types.ts';
import { DEFAULT_LIMIT, Page, PageQuery, afterIdOf, idPage } from '../../platform/http/pagination.ts';
import { Body, IdParams, Query, Uuid } from '../../platform/http/schemas.ts';
import type { JobRunner } from '../../platform/jobs/runner.ts';
import { CallbackOutcomeSchema, ChannelSchema, TaskOriginSchema, TaskView } from '../conversations/views.ts';
import { callbackStatistics, completeCallback } from './callbacks.ts';
import { PAGE_HEADERS, feedbackForm, problemPage, thanksPage, type FormValues } from './page.ts';
import {
  answerByToken,
  configureSurveys,
  feedbackByToken,
  getSurvey,
  listSurveys,
  recordResponse,
  registerSurveyJobs,
  surveyStatistics,
} from './service.ts';
import { CallbackStatistics, FeedbackView, SurveyAnswer, SurveyAnswerFields, SurveyStatistics, SurveyView, SurveyViaSchema } from './views.ts';

const tags = ['满意度与回访 Surveys and callbacks'];
const Token = Type.String({ minLength: 1, maxLength: 200, description: '评价链接中的签名令牌' });
const TokenParams = Body({ token: Token });
const Time = (description: string) => Type.Optional(Type.String({ format: 'date-time', description }));
const Me = Type.Union([Type.Literal('me'), Uuid], { description: 'me 我自己 / 员工 id' });

const SurveyFilters = {
  agentId: Type.Optional(Me),
  teamId: Type.Optional(Uuid),
  channel: Type.Optional(ChannelSchema),
  via: Type.Optional(SurveyViaSchema),
  problemType: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_]{1,47}$' })),
  from: Time('邀请时间不早于'),
  to: Time('邀请时间早于'),
  responded: Type.Optional(Type.Boolean({ description: 'true 已评价 / false 未评价' })),
};

/** The customer answering through a link is nobody we know; the audit trail says how they came. */
const customerCtx = (ctx: Ctx): Ctx => ({ ...ctx, actor: { ...ANONYMOUS_ACTOR, name: '客户（评价链接）' } });

/** Form fields as a browser sends them: yes/no, digits, text. */
function answerFromForm(raw: unknown): { answer: SurveyAnswer; values: FormValues; error: string | null } {
  const form = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const text = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : null);
  const values: FormValues = { solved: text('solved'), satisfied: text('satisfied'), csat: text('csat'), nps: text('nps'), comment: (text('comment') ?? '').slice(0, 1000) };
  const answer: SurveyAnswer = {};
  let error: string | null = null;
  const yesNo = (v: string | null) => (v === 'yes' ? true : v === 'no' ? false : undefined);
  const score = (v: string | null, max: number) => (v !== null && /^\d{1,2}$/.test(v) && Number(v) <= max ? Number(v) : undefined);
  for (const name of ['solved', 'satisfied'] as const) {
    const v = values[name];
    if (v) answer[name] = yesNo(v);
    if (v && answer[name] === undefined) error = '请从选项中选择';
  }
  if (values.csat) answer.csat = score(values.csat, 5);
  if (values.nps) answer.nps = score(values.nps, 10);
  if ((values.csat && (answer.csat === undefined || answer.csat < 1)) || (values.nps && answer.nps === undefined)) error = '请从选项中选择分数';
  if (values.comment.trim()) answer.comment = values.comment;
  return { answer, values, error };
}

function sendPage(reply: FastifyReply, status: number, html: string) {
  return reply.status(status).headers(PAGE_HEADERS).send(html);
}

/** A link that cannot be used answers as a page, with the same code the API would give. */
function sendProblem(req: FastifyRequest, reply: FastifyReply, err: unknown) {
  if (!(err instanceof AppError)) throw err;
  const { error } = err.body(req.locale);
  return sendPage(reply, err.status, problemPage(error.message, error.code));
}

export function surveyRoutes(app: App, deps: { jobs: JobRunner; config: Config }): void {
  configureSurveys({ publicUrl: deps.config.publicUrl });
  registerSurveyJobs(deps.jobs);

  // ----- the customer's link (no sign-in) -----
  app.get('/feedback/:token', { config: { access: 'public' }, schema: { hide: true, params: TokenParams } }, async (req, reply) => {
    try {
      const { feedback, zone } = await feedbackByToken(customerCtx(req.ctx), req.params.token);
      return sendPage(reply, 200, feedbackForm(req.params.token, feedback, { zone }));
    } catch (err) {
      return sendProblem(req, reply, err);
    }
  });

  // The page's form posts without JavaScript; only this route takes a form body (elsewhere it is a 415).
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16_384 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
    scope.post('/feedback/:token', { config: { access: 'public' }, schema: { hide: true, params: TokenParams } }, async (req, reply) => {
      const token = (req.params as { token: string }).token;
      const ctx = customerCtx(req.ctx);
      const { answer, values, error } = answerFromForm(req.body);
      let problem = error;
      if (!problem) {
        try {
          return sendPage(reply, 200, thanksPage(await answerByToken(ctx, token, answer)));
        } catch (err) {
          // A link that cannot be used is a page of its own; an incomplete answer shows the form again.
          if (!(err instanceof AppError) || err.status !== 400) return sendProblem(req, reply, err);
          problem = err.body(req.locale).error.message;
        }
      }
      try {
        const { feedback, zone } = await feedbackByToken(ctx, token);
        return sendPage(reply, 400, feedbackForm(token, feedback, { zone, values, error: problem }));
      } catch (err) {
        return sendProblem(req, reply, err);
      }
    });
  });

  app.post(
    '/api/survey-responses',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: '客户提交结果确认与满意度评价（凭评价链接中的令牌，无需登录）',
        description: '有效期内可重复提交，以最后一次为准。未解决或不满意将重新打开会话；已解决且满意则结案。令牌无效 404 survey.invalid_link，过期 410 survey.expired。',
        body: Body({ token: Token, ...SurveyAnswerFields }),
        response: { 200: FeedbackView },
      },
    },
    async (req) => {
      const { token, ...answer } = req.body;
      return answerByToken(customerCtx(req.ctx), token, answer);
    },
  );

  // ----- staff -----
  app.get(
    '/api/surveys',
    {
      config: { access: 'surveys.read' },
      schema: {
        tags,
        summary: '满意度调查（最新在前；坐席看自己的，主管看本组的）',
        querystring: Query({ ...PageQuery, ...SurveyFilters, conversationId: Type.Optional(Uuid), counted: Type.Optional(Type.Boolean({ description: '是否计入统计' })) }),
        response: { 200: Page(SurveyView) },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      const { cursor: _cursor, limit: _limit, ...filter } = req.query;
      return idPage(await listSurveys(req.ctx, { ...filter, beforeId: afterIdOf(req.query.cursor), limit }), limit, (s) => s);
    },
  );
  app.get(
    '/api/surveys/statistics',
    {
      config: { access: 'surveys.read' },
      schema: {
        tags,
        summary: '评价计数：邀请、已评价、过期、计入统计的评价及其中满意、已解决、推荐者与贬损者人数（同一客户·坐席·自然日只计最后一次评价）',
        description:
          '只给计数。参评率、满意度均分、满意占比、解决率和 NPS 是指标注册表中的指标（R3），见 GET /api/kpis/{code}/values：survey_response_rate、csat、csat_top2、satisfied_rate、solved_rate、nps。',
        querystring: Query(SurveyFilters),
        response: { 200: SurveyStatistics },
      },
    },
    async (req) => surveyStatistics(req.ctx, req.query),
  );
  app.get(
    '/api/surveys/:id',
    { config: { access: 'surveys.read' }, schema: { tags, summary: '满意度调查详情', params: IdParams, response: { 200: SurveyView } } },
    async (req) => getSurvey(req.ctx, req.params.id),
  );
  app.post(
    '/api/surveys/:id/responses',
    {
      config: { access: 'surveys.record' },
      schema: {
        tags,
        summary: '坐席代录客户在回访中的评价（以最后一次为准）',
        params: IdParams,
        body: Body(SurveyAnswerFields),
        response: { 200: SurveyView },
      },
    },
    async (req) => recordResponse(req.ctx, req.params.id, req.body),
  );

  app.post(
    '/api/callbacks/:taskId/outcomes',
    {
      config: { access: 'conversations.handle' },
      schema: {
        tags,
        summary: '记录回访结果并完成回拨任务（可附客户评价）',
        description:
          '未接通且未到期时任务保留，可再次回访；其余结果完成任务。客户不满意（结果或评价）将重新打开会话，来源为回访。附客户评价需要 surveys.record 权限，记入该会话最近一次解决的满意度调查。',
        params: Body({ taskId: Uuid }),
        body: Body({ result: Type.String({ minLength: 1, maxLength: 2000, description: '回访记录' }), outcome: CallbackOutcomeSchema, rating: Type.Optional(SurveyAnswer) }),
        response: { 200: TaskView },
      },
    },
    async (req) => completeCallback(req.ctx, req.params.taskId, req.body),
  );
  app.get(
    '/api/callbacks/statistics',
    {
      config: { access: 'tasks.read' },
      schema: {
        tags,
        summary: '回访统计：已到期、漏回访（到期前未联系上客户）、按时回访率与回访结果',
        querystring: Query({ origin: Type.Optional(TaskOriginSchema), assigneeId: Type.Optional(Me), from: Time('创建时间不早于'), to: Time('创建时间早于') }),
        response: { 200: CallbackStatistics },
      },
    },
    async (req) => callbackStatistics(req.ctx, req.query),
  );
}

