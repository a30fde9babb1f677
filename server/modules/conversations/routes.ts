import { Type } from '@sinclair/typebox';
import type { Config } from '../../config.ts';
import type { FileStore } from '../../platform/files/store.ts';
import { downloadHeaders, readUpload } from '../../platform/files/upload.ts';
import type { App } from '../../platform/http/app-types.ts';
import { DEFAULT_LIMIT, Page, PageQuery, afterIdOf, idPage } from '../../platform/http/pagination.ts';
import { Body, IdParams, Nullable, Query, Uuid } from '../../platform/http/schemas.ts';
import { createCanned, deleteCanned, listCanned, renderCanned, updateCanned } from './canned.ts';
import { assignManually, claim, createQueue, getAgent, listAgents, listQueues, setAgentState, updateQueue } from './routing.ts';
import * as conversations from './service.ts';
import { completeTask, escalate, handOff, listTasks, scheduleFollowUp, taskBrief, transfer } from './tasks.ts';
import {
  AgentStateView,
  AgentStatusSchema,
  AssignmentView,
  AttachmentView,
  CannedReplyView,
  ChannelSchema,
  ConversationView,
  HandoffBrief,
  IntakeChangeSchema,
  IntakeSchema,
  MessageView,
  PrioritySchema,
  QueueView,
  ReopenView,
  StatusSchema,
  StrategySchema,
  TaskKindSchema,
  TaskOriginSchema,
  TaskStatusSchema,
  TaskView,
  conversationView,
  taskView,
} from './views.ts';

const tags = ['会话 Conversations'];
const routingTags = ['分配 Routing'];
const Tag = Type.String({ minLength: 1, maxLength: 50 });
const Code = Type.String({ pattern: '^[a-z][a-z0-9_]{1,47}$' });
const Note = Type.String({ minLength: 1, maxLength: 2000 });
const FutureTime = Type.String({ format: 'date-time', description: '到期时间（须晚于当前时间）' });

const ConversationFields = {
  subject: Type.Optional(Nullable(Type.String({ maxLength: 300 }))),
  priority: Type.Optional(PrioritySchema),
  tags: Type.Optional(Type.Array(Tag, { maxItems: 30 })),
  skill: Type.Optional(Nullable(Code)),
  problemType: Type.Optional(Nullable(Code)),
  businessDomain: Type.Optional(Nullable(Code)),
  intake: Type.Optional(IntakeSchema),
};
const CreateConversation = Body({
  channel: ChannelSchema,
  customerId: Uuid,
  ...ConversationFields,
  message: Type.Optional(Body({ body: Type.String({ minLength: 1 }), clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) }, { description: '客户的首条消息' })),
  assignToSelf: Type.Optional(Type.Boolean({ description: '代客户创建并由自己接待（电话、面访）' })),
});
const UpdateConversation = Body({ ...ConversationFields, intake: Type.Optional(IntakeChangeSchema) }, { minProperties: 1 });

const ListQuery = Query({
  ...PageQuery,
  status: Type.Optional(Type.Array(StatusSchema, { maxItems: 6 })),
  channel: Type.Optional(ChannelSchema),
  assignee: Type.Optional(Type.Union([Type.Literal('me'), Type.Literal('none'), Uuid], { description: 'me 我的 / none 未分配 / 员工 id' })),
  queueId: Type.Optional(Uuid),
  customerId: Type.Optional(Uuid),
  tag: Type.Optional(Tag),
  priority: Type.Optional(PrioritySchema),
  problemType: Type.Optional(Code),
  flagged: Type.Optional(Type.Boolean({ description: '仅看跟进到期的会话' })),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: '会话编号，或主题、订单号中的文字' })),
});

const Counts = Type.Object(
  {
    mine: Type.Integer({ description: '我负责的未解决会话' }),
    unassigned: Type.Integer({ description: '未分配的未解决会话（排队中）' }),
    active: Type.Integer({ description: '可见的全部未解决会话' }),
    pending: Type.Integer({ description: '我负责的待客户回复或待内部处理' }),
    followUps: Type.Integer({ description: '我负责的有跟进到期的会话' }),
    byStatus: Type.Record(StatusSchema, Type.Integer(), { description: '可见会话按状态计数' }),
    byQueue: Type.Record(Type.String(), Type.Object({ waiting: Type.Integer({ description: '排队中（未分配）' }), active: Type.Integer({ description: '未解决' }) }), {
      description: '按队列（键为队列 id）：可见的未解决会话及其中排队中的',
    }),
  },
  { title: 'ConversationCounts' },
);

const NewMessage = Body({
  body: Type.String({ minLength: 1, description: '长度上限见 KEFU_MESSAGE_MAX_CHARS' }),
  internal: Type.Optional(Type.Boolean({ description: '内部备注，客户不可见' })),
  clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: '客户端消息编号，重发时去重' })),
  attachmentIds: Type.Optional(Type.Array(Uuid, { maxItems: 10 })),
  status: Type.Optional(StatusSchema),
});

const QueueFields = {
  code: Code,
  name: Type.String({ minLength: 1, maxLength: 100 }),
  channels: Type.Array(ChannelSchema, { minItems: 1, maxItems: 5, uniqueItems: true }),
  skills: Type.Optional(Type.Array(Code, { maxItems: 20, uniqueItems: true })),
  tiers: Type.Optional(Type.Array(Code, { maxItems: 10, uniqueItems: true })),
  strategy: Type.Optional(StrategySchema),
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  teamId: Type.Optional(Nullable(Uuid)),
  memberIds: Type.Optional(Type.Array(Uuid, { maxItems: 500, uniqueItems: true })),
};

const AgentStateBody = Body(
  {
    status: Type.Optional(AgentStatusSchema),
    capacity: Type.Optional(Type.Partial(Type.Record(ChannelSchema, Type.Integer({ minimum: 0, maximum: 100 })), { additionalProperties: false })),
    skills: Type.Optional(Type.Array(Code, { maxItems: 20, uniqueItems: true })),
  },
  { minProperties: 1 },
);

const CannedFields = {
  title: Type.String({ minLength: 1, maxLength: 100 }),
  body: Type.String({ minLength: 1, maxLength: 5000 }),
  category: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 50 }))),
  shortcut: Type.Optional(Nullable(Type.String({ pattern: '^[A-Za-z0-9_-]{1,20}$', description: '输入 /快捷键 插入' }))),
};

export function conversationRoutes(app: App, deps: { files: FileStore; config: Config }): void {
  const limits = { maxChars: deps.config.messageMaxChars };

  app.get(
    '/api/conversations',
    { config: { access: 'conversations.read' }, schema: { tags, summary: '会话列表（最新在前，按可见范围）', querystring: ListQuery, response: { 200: Page(ConversationView) } } },
    async (req) => {
      const q = req.query;
      const limit = q.limit ?? DEFAULT_LIMIT;
      const rows = await conversations.listConversations(req.ctx, {
        status: q.status,
        channel: q.channel,
        assigneeId: q.assignee,
        queueId: q.queueId,
        customerId: q.customerId,
        tag: q.tag,
        priority: q.priority,
        problemType: q.problemType,
        flagged: q.flagged,
        q: q.q?.trim() || undefined,
        beforeId: afterIdOf(q.cursor),
        limit,
      });
      const now = req.ctx.clock.now();
      return idPage(rows, limit, (r) => conversationView(r, now));
    },
  );
  app.get(
    '/api/conversations/counts',
    { config: { access: 'conversations.read' }, schema: { tags, summary: '工作台视图计数（我的、未分配、待处理、按状态）', response: { 200: Counts } } },
    async (req) => conversations.countConversations(req.ctx),
  );
  app.post(
    '/api/conversations/:id/claims',
    { config: { access: 'conversations.handle' }, schema: { tags: routingTags, summary: '认领排队中的会话（已由他人接待时 409）', params: IdParams, response: { 200: ConversationView } } },
    async (req) => conversationView(await claim(req.ctx, req.params.id), req.ctx.clock.now()),
  );
  app.post(
    '/api/conversations',
    { config: { access: 'conversations.handle' }, schema: { tags, summary: '新建会话（表单、接口或代客户登记）', body: CreateConversation, response: { 201: ConversationView } } },
    async (req, reply) => reply.status(201).send(await conversations.createConversation(req.ctx, req.body, limits)),
  );
  app.get(
    '/api/conversations/:id',
    { config: { access: 'conversations.read' }, schema: { tags, summary: '会话详情', params: IdParams, response: { 200: ConversationView } } },
    async (req) => conversations.getConversation(req.ctx, req.params.id),
  );
  app.patch(
    '/api/conversations/:id',
    { config: { access: 'conversations.handle' }, schema: { tags, summary: '修改优先级、标签或问题记录', params: IdParams, body: UpdateConversation, response: { 200: ConversationView } } },
    async (req) => conversations.updateDetails(req.ctx, req.params.id, req.body),
  );
  app.post(
    '/api/conversations/:id/status',
    {
      config: { access: 'conversations.handle' },
      schema: { tags, summary: '变更状态（解决时校验问题记录必填项）', params: IdParams, body: Body({ status: StatusSchema }), response: { 200: ConversationView } },
    },
    async (req) => conversations.transition(req.ctx, req.params.id, req.body.status),
  );
  app.get(
    '/api/conversations/:id/messages',
    { config: { access: 'conversations.read' }, schema: { tags, summary: '消息（含内部备注）', params: IdParams, querystring: Query(PageQuery), response: { 200: Page(MessageView) } } },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      return idPage(await conversations.listMessages(req.ctx, req.params.id, { afterId: afterIdOf(req.query.cursor), limit }), limit, (m) => m);
    },
  );
  app.post(
    '/api/conversations/:id/messages',
    { config: { access: 'conversations.handle' }, schema: { tags, summary: '回复客户或写内部备注', params: IdParams, body: NewMessage, response: { 201: MessageView } } },
    async (req, reply) => reply.status(201).send(await conversations.addAgentMessage(req.ctx, req.params.id, req.body, limits)),
  );
  app.post(
    '/api/conversations/:id/attachments',
    {
      config: { access: 'conversations.handle' },
      schema: { tags, summary: '上传附件（multipart，字段 file；类型由服务器识别）', params: IdParams, consumes: ['multipart/form-data'], response: { 201: AttachmentView } },
    },
    async (req, reply) => {
      const upload = await readUpload(req, deps.files.maxBytes);
      return reply.status(201).send(await conversations.uploadAttachment(req.ctx, deps.files, req.params.id, upload));
    },
  );
  app.get(
    '/api/attachments/:id',
    { config: { access: 'conversations.read' }, schema: { tags, summary: '下载附件', params: IdParams } },
    async (req, reply) => {
      const { view, bytes } = await conversations.readAttachment(req.ctx, deps.files, req.params.id);
      return reply.headers(downloadHeaders(view.contentType, view.fileName)).send(bytes);
    },
  );
  app.get(
    '/api/conversations/:id/assignments',
    { config: { access: 'conversations.read' }, schema: { tags: routingTags, summary: '分配记录与原因（为什么是我）', params: IdParams, response: { 200: Type.Array(AssignmentView) } } },
    async (req) => conversations.listAssignments(req.ctx, req.params.id),
  );
  app.get(
    '/api/conversations/:id/reopens',
    {
      config: { access: 'conversations.read' },
      schema: { tags, summary: '重开记录（来源、原因、操作人、时间），直至客户满意', params: IdParams, response: { 200: Type.Array(ReopenView) } },
    },
    async (req) => conversations.listReopens(req.ctx, req.params.id),
  );
  app.post(
    '/api/conversations/:id/assignments',
    {
      config: { access: 'conversations.assign' },
      schema: {
        tags: routingTags,
        summary: '主管指派或退回队列',
        params: IdParams,
        body: Body({ staffId: Nullable(Uuid), queueId: Type.Optional(Nullable(Uuid)), note: Type.Optional(Nullable(Note)) }),
        response: { 200: ConversationView },
      },
    },
    async (req) => conversationView(await assignManually(req.ctx, req.params.id, req.body), req.ctx.clock.now()),
  );
  app.post(
    '/api/conversations/:id/transfers',
    {
      config: { access: 'conversations.handle' },
      schema: { tags, summary: '转交坐席或队列（附说明）', params: IdParams, body: Body({ toStaffId: Type.Optional(Uuid), toQueueId: Type.Optional(Uuid), note: Note }), response: { 200: ConversationView } },
    },
    async (req) => transfer(req.ctx, req.params.id, req.body),
  );
  app.post(
    '/api/conversations/:id/escalations',
    {
      config: { access: 'conversations.handle' },
      schema: {
        tags,
        summary: '升级至高级支持（原负责人保留会话）',
        params: IdParams,
        body: Body({ toStaffId: Type.Optional(Uuid), note: Note, dueAt: Type.Optional(Nullable(FutureTime)) }),
        response: { 201: TaskView },
      },
    },
    async (req, reply) => reply.status(201).send(await escalate(req.ctx, req.params.id, req.body)),
  );
  app.post(
    '/api/conversations/:id/handoffs',
    {
      config: { access: 'conversations.handle' },
      schema: {
        tags,
        summary: '转办协同部门（销售、生产、财务、物流），附到期时间',
        params: IdParams,
        body: Body({ departmentId: Uuid, title: Type.String({ minLength: 1, maxLength: 200 }), note: Type.Optional(Nullable(Note)), dueAt: FutureTime }),
        response: { 201: TaskView },
      },
    },
    async (req, reply) => reply.status(201).send(await handOff(req.ctx, req.params.id, req.body)),
  );
  app.post(
    '/api/conversations/:id/follow-ups',
    {
      config: { access: 'conversations.handle' },
      schema: {
        tags,
        summary: '安排跟进（到期提醒负责人，可向客户发送进度）',
        params: IdParams,
        body: Body({ dueAt: FutureTime, note: Note, customerMessage: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 2000 }))) }),
        response: { 201: TaskView },
      },
    },
    async (req, reply) => reply.status(201).send(await scheduleFollowUp(req.ctx, req.params.id, req.body)),
  );

  // ----- tasks -----
  app.get(
    '/api/tasks',
    {
      config: { access: 'tasks.read' },
      schema: {
        tags,
        summary: '任务（协同部门只看本部门的转办）',
        querystring: Query({
          ...PageQuery,
          status: Type.Optional(TaskStatusSchema),
          kind: Type.Optional(TaskKindSchema),
          origin: Type.Optional(TaskOriginSchema),
          missed: Type.Optional(Type.Boolean({ description: '回拨任务：true 只看漏回访（到期前未联系上客户）/ false 排除漏回访' })),
          conversationId: Type.Optional(Uuid),
          mine: Type.Optional(Type.Boolean()),
        }),
        response: { 200: Page(TaskView) },
      },
    },
    async (req) => {
      const limit = req.query.limit ?? DEFAULT_LIMIT;
      const rows = await listTasks(req.ctx, { ...req.query, afterId: afterIdOf(req.query.cursor), limit });
      const now = req.ctx.clock.now();
      return idPage(rows, limit, (r) => taskView(r, r.conversationNumber, now));
    },
  );
  app.get(
    '/api/tasks/:id',
    {
      config: { access: 'tasks.read' },
      schema: { tags, summary: '任务详情与案情摘要（不含客户联系方式）', params: IdParams, response: { 200: Type.Object({ task: TaskView, brief: HandoffBrief }) } },
    },
    async (req) => taskBrief(req.ctx, req.params.id),
  );
  app.post(
    '/api/tasks/:id/completions',
    { config: { access: 'tasks.read' }, schema: { tags, summary: '完成任务并回复结果', params: IdParams, body: Body({ result: Note }), response: { 200: TaskView } } },
    async (req) => completeTask(req.ctx, req.params.id, req.body),
  );

  // ----- queues and agents -----
  app.get(
    '/api/queues',
    { config: { access: 'conversations.read' }, schema: { tags: routingTags, summary: '队列', response: { 200: Type.Array(QueueView) } } },
    async (req) => listQueues(req.ctx),
  );
  app.post(
    '/api/queues',
    { config: { access: 'queues.manage' }, schema: { tags: routingTags, summary: '新建队列', body: Body(QueueFields), response: { 201: QueueView } } },
    async (req, reply) => reply.status(201).send(await createQueue(req.ctx, req.body)),
  );
  app.patch(
    '/api/queues/:id',
    {
      config: { access: 'queues.manage' },
      schema: { tags: routingTags, summary: '修改队列（成员、策略、技能、客户层级）', params: IdParams, body: Body(Type.Partial(Type.Object(QueueFields)).properties, { minProperties: 1 }), response: { 200: QueueView } },
    },
    async (req) => updateQueue(req.ctx, req.params.id, req.body),
  );
  app.get(
    '/api/agent-states',
    {
      config: { access: 'conversations.read' },
      schema: { tags: routingTags, summary: '坐席状态、容量与当前接待量', querystring: Query({ teamId: Type.Optional(Uuid), status: Type.Optional(AgentStatusSchema) }), response: { 200: Type.Array(AgentStateView) } },
    },
    async (req) => listAgents(req.ctx, req.query),
  );
  app.get(
    '/api/agent-states/me',
    { config: { access: 'conversations.handle' }, schema: { tags: routingTags, summary: '我的坐席状态', response: { 200: AgentStateView } } },
    async (req) => getAgent(req.ctx, req.ctx.actor.id!),
  );
  app.put(
    '/api/agent-states/me',
    { config: { access: 'conversations.handle' }, schema: { tags: routingTags, summary: '切换我的状态（上线、忙碌、离开、离线）', body: Body({ status: AgentStatusSchema }), response: { 200: AgentStateView } } },
    async (req) => setAgentState(req.ctx, req.ctx.actor.id!, req.body),
  );
  app.put(
    '/api/agent-states/:id',
    { config: { access: 'agents.status.manage' }, schema: { tags: routingTags, summary: '设置坐席状态、各渠道容量与技能', params: IdParams, body: AgentStateBody, response: { 200: AgentStateView } } },
    async (req) => setAgentState(req.ctx, req.params.id, req.body),
  );

  // ----- canned replies -----
  app.get(
    '/api/canned-replies',
    {
      config: { access: 'conversations.read' },
      schema: {
        tags,
        summary: '快捷回复（我的与公共；按使用次数排序）',
        querystring: Query({ q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), category: Type.Optional(Type.String({ maxLength: 50 })), scope: Type.Optional(Type.Union([Type.Literal('personal'), Type.Literal('shared')])) }),
        response: { 200: Type.Array(CannedReplyView) },
      },
    },
    async (req) => listCanned(req.ctx, req.query),
  );
  app.post(
    '/api/canned-replies',
    {
      config: { access: 'conversations.read' },
      schema: { tags, summary: '新建快捷回复（公共话术需主管、培训师或经理）', body: Body({ scope: Type.Union([Type.Literal('personal'), Type.Literal('shared')]), ...CannedFields }), response: { 201: CannedReplyView } },
    },
    async (req, reply) => reply.status(201).send(await createCanned(req.ctx, req.body)),
  );
  app.patch(
    '/api/canned-replies/:id',
    {
      config: { access: 'conversations.read' },
      schema: { tags, summary: '修改快捷回复', params: IdParams, body: Body(Type.Partial(Type.Object(CannedFields)).properties, { minProperties: 1 }), response: { 200: CannedReplyView } },
    },
    async (req) => updateCanned(req.ctx, req.params.id, req.body),
  );
  app.delete(
    '/api/canned-replies/:id',
    { config: { access: 'conversations.read' }, schema: { tags, summary: '删除快捷回复', params: IdParams, response: { 204: Type.Null() } } },
    async (req, reply) => {
      await deleteCanned(req.ctx, req.params.id);
      return reply.status(204).send(null);
    },
  );
  app.post(
    '/api/canned-replies/:id/renderings',
    {
      config: { access: 'conversations.handle' },
      schema: { tags, summary: '按会话填充变量', params: IdParams, body: Body({ conversationId: Uuid }), response: { 200: Type.Object({ text: Type.String(), missing: Type.Array(Type.String()) }) } },
    },
    async (req) => renderCanned(req.ctx, req.params.id, req.body.conversationId),
  );
}
