import { Type } from '@sinclair/typebox';
import type { Config } from '../../config.ts';
import type { FileStore } from '../../platform/files/store.ts';
import type { App } from '../../platform/http/app-types.ts';
import { DEFAULT_LIMIT, Page, PageQuery, afterIdOf, idPage } from '../../platform/http/pagination.ts';
import { Body, IdParams, Optional, Query, Text, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import type { JobRunner } from '../../platform/jobs/runner.ts';
import { PHONE_PATTERN } from '../../platform/pii/validate.ts';
import * as complaints from './service.ts';
import {
  ActionView,
  AnalysisDimensionSchema,
  AnalysisView,
  ApprovalDecisionSchema,
  ApprovalTaskView,
  ComplaintChannelSchema,
  ComplaintDetailView,
  ComplaintStatusSchema,
  ComplaintView,
  EvidenceKindSchema,
  EvidenceView,
  ProposalView,
  RevisitOutcomeSchema,
  SeveritySchema,
  complaintView,
  evidenceView,
} from './views.ts';

const tags = ['投诉处理 Complaints'];
const FutureTime = (description: string) => Type.String({ format: 'date-time', description });

const CreateComplaint = Body({
  customerId: Uuid,
  conversationId: Optional(Type.String({ format: 'uuid', description: '投诉所在的会话；填写后在该会话的渠道上向客户发送致歉与承诺' })),
  receivedAt: Type.Optional(Type.String({ format: 'date-time', description: '收到投诉的时间，默认现在' })),
  complainantName: Text(100, '投诉人姓名'),
  contact: Type.String({ pattern: PHONE_PATTERN, maxLength: 32, description: '投诉人联系电话（个人信息，响应中脱敏）' }),
  channel: ComplaintChannelSchema,
  matter: Text(5000, '投诉事项'),
  category: Optional(Text(50, '投诉类别，如 服务态度、产品质量、物流')),
  productModel: Optional(Text(100)),
  severity: Type.Optional(SeveritySchema),
  ownerId: Optional(Type.String({ format: 'uuid', description: '负责人，默认受理人' })),
});

const UpdateComplaint = Body(
  {
    category: Optional(Text(50)),
    productModel: Optional(Text(100)),
    severity: Type.Optional(SeveritySchema),
    ownerId: Type.Optional(Uuid),
    cause: Optional(Text(200, '调查得出的原因（仅调查阶段）')),
    attributedStaffId: Optional(Type.String({ format: 'uuid', description: '归责员工（仅调查阶段；供罚款与绩效）' })),
    attributionNote: Optional(Text(1000, '归责说明（仅调查阶段）')),
  },
  { minProperties: 1 },
);

const ListQuery = Query({
  ...PageQuery,
  status: Type.Optional(Type.Array(ComplaintStatusSchema, { maxItems: 7 })),
  customerId: Type.Optional(Uuid),
  owner: Type.Optional(Type.Union([Type.Literal('me'), Uuid], { description: 'me 我负责的 / 员工 id' })),
  category: Type.Optional(Text(50)),
  severity: Type.Optional(SeveritySchema),
  attributedStaffId: Type.Optional(Uuid),
  overdue: Type.Optional(Type.Boolean({ description: 'true 只看超过响应时限仍未开始处理的（responseOverdue）/ false 排除这些' })),
});

export function complaintRoutes(app: App, deps: { jobs: JobRunner; files: FileStore; config: Config }): void {
  complaints.installComplaintJobs(deps.jobs);

  app.get(
    '/api/complaints',
    { config: { access: 'complaints.read' }, schema: { tags, summary: '投诉列表（最新在前）', querystring: ListQuery, response: { 200: Page(ComplaintView) } } },
    async (req) => {
      const { cursor, limit = DEFAULT_LIMIT, owner, ...filter } = req.query;
      const rows = await complaints.listComplaints(req.ctx, { ...filter, ownerId: owner, beforeId: afterIdOf(cursor), limit });
      const now = req.ctx.clock.now();
      return idPage(rows, limit, (r) => complaintView(r, now));
    },
  );
  app.post(
    '/api/complaints',
    {
      config: { access: 'complaints.manage' },
      schema: {
        tags,
        summary: '受理投诉（CP1）：记录时间、投诉人、事项、联系方式、渠道，向客户致歉并开始响应计时',
        description:
          '填写 conversationId 时，按制度 complaints.apologyMessage 在该会话的渠道上向客户发送致歉与承诺，并记录 apologySentAt。响应时限 respondBy 为受理时间加制度的 complaints.responseHours；届时仍未开始调查，通知负责人及其主管。',
        body: CreateComplaint,
        response: { 201: ComplaintView },
      },
    },
    async (req, reply) => reply.status(201).send(await complaints.createComplaint(req.ctx, req.body)),
  );
  app.get(
    '/api/complaints/analysis',
    {
      config: { access: 'complaints.analyse' },
      schema: {
        tags,
        summary: '投诉分析（CP5）：按原因、类别、产品、归责员工统计，或列出重复投诉的客户',
        description: '按受理时间 receivedAt 统计，区间为 [from, to)，不填则不限。',
        querystring: Query({ by: AnalysisDimensionSchema, from: Type.Optional(Timestamp), to: Type.Optional(Timestamp) }),
        response: { 200: AnalysisView },
      },
    },
    async (req) => complaints.analyse(req.ctx, req.query),
  );
  app.get(
    '/api/complaints/:id',
    {
      config: { access: 'complaints.read' },
      schema: { tags, summary: '投诉详情：证据、方案与各级审核、实施任务、处理经过', params: IdParams, response: { 200: ComplaintDetailView } },
    },
    async (req) => complaints.getComplaint(req.ctx, req.params.id),
  );
  app.patch(
    '/api/complaints/:id',
    {
      config: { access: 'complaints.manage' },
      schema: {
        tags,
        summary: '修改类别、产品、级别、负责人；调查阶段填写原因与归责（CP5）',
        description: '原因与归责只能在受理或调查阶段填写，填写后投诉进入调查中。已结案的投诉只读（409 complaint.archived）。',
        params: IdParams,
        body: UpdateComplaint,
        response: { 200: ComplaintView },
      },
    },
    async (req) => complaints.updateComplaint(req.ctx, req.params.id, req.body),
  );

  // ----- CP2 evidence -----
  app.get(
    '/api/complaints/:id/evidence',
    { config: { access: 'complaints.read' }, schema: { tags, summary: '投诉证据（按添加顺序），含原记录链接与添加时的内容副本', params: IdParams, querystring: Query(PageQuery), response: { 200: Page(EvidenceView) } } },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      // The cursor is read before the complaint, so a forged one is a 400 whatever the id.
      const afterId = afterIdOf(req.query.cursor);
      return idPage(await complaints.listComplaintEvidence(req.ctx, req.params.id, { afterId, limit }), limit, evidenceView);
    },
  );
  app.post(
    '/api/complaints/:id/evidence',
    {
      config: { access: 'complaints.manage' },
      schema: {
        tags,
        summary: '关联证据（CP2）：会话记录、消息、通话录音、订单、邮件、附件',
        description: '记录须属于投诉客户（企业客户含其联系人），会话类记录须是本人可见的。保存添加时的内容副本。第一条证据使投诉进入调查中。',
        params: IdParams,
        body: Body({ kind: EvidenceKindSchema, refId: Uuid, note: Optional(Text(1000)) }),
        response: { 201: EvidenceView },
      },
    },
    async (req, reply) => reply.status(201).send(await complaints.addEvidence(req.ctx, req.params.id, req.body)),
  );

  // ----- CP3 solution and approvals -----
  app.post(
    '/api/complaints/:id/proposals',
    {
      config: { access: 'complaints.manage' },
      schema: {
        tags,
        summary: '提交解决方案（CP3）：按制度的审核部门顺序逐级审核',
        description: '审核部门取制度 complaints.approvalChain；编码不存在时拒绝（422 complaint.unknown_department）。审核链为空时方案直接批准。',
        params: IdParams,
        body: Body({ solution: Text(5000, '解决方案'), agreedMethod: Text(1000, '与客户约定的处理方式'), agreedAt: FutureTime('与客户约定的处理完成时间') }),
        response: { 201: ProposalView },
      },
    },
    async (req, reply) => reply.status(201).send(await complaints.createProposal(req.ctx, req.params.id, req.body)),
  );
  app.get(
    '/api/complaint-approvals',
    {
      config: { access: 'complaints.approve' },
      schema: {
        tags,
        summary: '本部门的投诉方案审核（默认待审核）',
        description: '列出本人所在部门（或本人担任负责人的部门）的审核步骤，附投诉事项与方案，不含投诉人联系方式。',
        querystring: Query({ ...PageQuery, decision: Type.Optional(ApprovalDecisionSchema) }),
        response: { 200: Page(ApprovalTaskView) },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      const rows = await complaints.listApprovalTasks(req.ctx, { decision: req.query.decision, afterId: afterIdOf(req.query.cursor), limit });
      return idPage(rows, limit, (r) => r);
    },
  );
  app.post(
    '/api/complaint-approvals/:id/decisions',
    {
      config: { access: 'complaints.approve' },
      schema: {
        tags,
        summary: '审核一级方案：通过或驳回（驳回须填写意见）',
        description: '只有该步骤所属部门的人员（或部门负责人）可以审核，且须按顺序；提交方案的人不能审核自己的方案。驳回后投诉回到调查中。',
        params: IdParams,
        body: Body({ decision: Type.Union([Type.Literal('approved'), Type.Literal('rejected')]), comment: Optional(Type.String({ maxLength: 2000 })) }),
        response: { 200: ProposalView },
      },
    },
    async (req) => complaints.decide(req.ctx, req.params.id, req.body),
  );

  // ----- CP4 implementation, revisit, closure -----
  app.post(
    '/api/complaints/:id/actions',
    {
      config: { access: 'complaints.manage' },
      schema: {
        tags,
        summary: '安排实施任务（CP4）；方案批准后的第一个任务开始实施并告知客户',
        description: '通知任务负责人（未指定人时通知所属部门的在职人员）。有到期时间的任务到期仍未完成时，提醒负责人（或部门人员）和投诉负责人。',
        params: IdParams,
        body: Body({ title: Text(200), assigneeId: Optional(Uuid), departmentId: Optional(Uuid), dueAt: Optional(FutureTime('到期时间')) }),
        response: { 201: ActionView },
      },
    },
    async (req, reply) => reply.status(201).send(await complaints.createAction(req.ctx, req.params.id, req.body)),
  );
  app.post(
    '/api/complaint-actions/:id/completions',
    {
      // Partner departments complete their own tasks too, as with hand-offs; the service decides per task (checkActionAccess).
      config: { access: 'tasks.read' },
      schema: {
        tags,
        summary: '完成实施任务；没有未完成的任务时告知客户并进入待回访',
        description: '任务负责人、任务所属部门的人员（含协同部门）或投诉处理人员（complaints.manage）可以完成；其他人 403 complaint.not_action_assignee。',
        params: IdParams,
        body: Body({ result: Text(2000) }),
        response: { 200: ActionView },
      },
    },
    async (req) => complaints.completeAction(req.ctx, req.params.id, req.body),
  );
  app.post(
    '/api/complaint-actions/:id/cancellations',
    {
      config: { access: 'complaints.manage' },
      schema: {
        tags,
        summary: '取消实施任务（须填写原因）；不再阻碍进入待回访',
        description:
          '只能取消未完成的任务（否则 409 complaint.action_not_open）。通知任务负责人或所属部门人员。取消最后一个未完成的任务时，若本轮实施已有完成的任务则进入待回访；全部被取消时保持实施中，请安排新的任务。',
        params: IdParams,
        body: Body({ reason: Text(500, '取消原因') }),
        response: { 200: ActionView },
      },
    },
    async (req) => complaints.cancelAction(req.ctx, req.params.id, req.body),
  );
  app.post(
    '/api/complaints/:id/revisits',
    {
      config: { access: 'complaints.manage' },
      schema: {
        tags,
        summary: '记录回访结果：满意后可结案；不满意回到实施中（或 returnTo=investigating 重新制定方案）',
        params: IdParams,
        body: Body({ outcome: RevisitOutcomeSchema, note: Text(2000, '回访记录'), returnTo: Type.Optional(Type.Union([Type.Literal('implementing'), Type.Literal('investigating')])) }),
        response: { 200: ComplaintView },
      },
    },
    async (req) => complaints.recordRevisit(req.ctx, req.params.id, req.body),
  );
  app.post(
    '/api/complaints/:id/closures',
    {
      config: { access: 'complaints.manage' },
      schema: {
        tags,
        summary: '结案归档：制度要求回访时须先回访确认满意；结案后只读',
        params: IdParams,
        body: Body({ note: Optional(Text(2000, '结案说明')) }),
        response: { 200: ComplaintView },
      },
    },
    async (req) => complaints.closeComplaint(req.ctx, req.params.id, req.body),
  );
}
