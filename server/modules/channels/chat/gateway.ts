import { randomBytes } from 'node:crypto';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import type { Config } from '../../../config.ts';
import type { Database } from '../../../db/client.ts';
import type { Clock } from '../../../platform/clock.ts';
import type { Ctx } from '../../../platform/context.ts';
import { AppError, RequestError, ServerError } from '../../../platform/errors.ts';
import type { EventBus } from '../../../platform/events/bus.ts';
import type { Audience, DomainEvent } from '../../../platform/events/outbox.ts';
import { iso } from '../../../platform/http/schemas.ts';
import { unstorableText } from '../../../platform/http/validation.ts';
import { format, type Locale, type Messages } from '../../../platform/i18n.ts';
import { PHONE_PATTERN } from '../../../platform/pii/validate.ts';
import type { RealtimeHub } from '../../../platform/realtime/hub.ts';
import { conversationAudience, findVisible } from '../../conversations/record.ts';
import type { ConversationRow, MessageView } from '../../conversations/views.ts';
import { answerAsVisitor, pendingVisitorSurvey, visitorSurvey } from '../../surveys/service.ts';
import { SurveyAnswerFields } from '../../surveys/views.ts';
import {
  ChatError,
  currentConversation,
  issueVisitorToken,
  leaveMessage,
  queueStatus,
  sendChatMessage,
  visitorConversation,
  visitorConversationById,
  visitorCtx,
  visitorIdOf,
  visitorMessage,
  visitorMessages,
  type QueueStatus,
  type SentMessage,
  type Visitor,
  type VisitorMessage,
} from './service.ts';

/** Typing crosses nodes as a bare NOTIFY: ephemeral, so it never enters the outbox or any table. */
const TYPING_CHANNEL = 'kefu_chat_typing';
const HEARTBEAT_MS = 30_000;
/** Per connection: a widget sends a few frames a minute; a burst of 60 in 10 s is abuse or a bug. */
const FRAME_WINDOW_MS = 10_000;
const FRAMES_PER_WINDOW = 60;
/** Frames waiting behind one in progress; beyond this the client is told to slow down and resend. */
const MAX_QUEUED = 30;
const HISTORY_PAGE = 200;
const TYPING_REPEAT_MS = 2_000;

export const CHAT_CLOSE = { goingAway: 1001, tooManyConnections: 4429 } as const;

// ---------- frames ----------

const ClientId = Type.String({ minLength: 1, maxLength: 64 });
const Uuid = Type.String({ format: 'uuid' });
const Name = Type.String({ minLength: 1, maxLength: 50 });
const Phone = Type.String({ pattern: PHONE_PATTERN, maxLength: 32 });
const Email = Type.String({ format: 'email', maxLength: 200 });
/** The length limit is the configured one, checked by the service with its own error code. */
const Body = Type.String();
const AttachmentIds = Type.Array(Uuid, { maxItems: 10, uniqueItems: true });
const frame = <K extends string, T extends Record<string, TSchema>>(type: K, fields: T) => Type.Object({ type: Type.Literal(type), ...fields }, { additionalProperties: false });

const FRAMES = {
  hello: frame('hello', {
    visitorToken: Type.Optional(Type.String({ maxLength: 200 })),
    name: Type.Optional(Name),
    phone: Type.Optional(Phone),
    email: Type.Optional(Email),
    lastSeenMessageId: Type.Optional(Uuid),
  }),
  message: frame('message', { clientId: ClientId, body: Body, attachmentIds: Type.Optional(AttachmentIds) }),
  leave_message: frame('leave_message', {
    clientId: ClientId,
    body: Body,
    name: Type.Optional(Name),
    phone: Type.Optional(Phone),
    email: Type.Optional(Email),
    attachmentIds: Type.Optional(AttachmentIds),
  }),
  typing: frame('typing', { on: Type.Boolean() }),
  history: frame('history', { conversationId: Uuid, afterId: Type.Optional(Uuid) }),
  survey_response: frame('survey_response', { surveyId: Uuid, ...SurveyAnswerFields }),
  ping: frame('ping', {}),
};
type FrameType = keyof typeof FRAMES;
type Frame<K extends FrameType> = Static<(typeof FRAMES)[K]>;

const ajv = new Ajv({ allErrors: false, coerceTypes: false });
addFormats.default(ajv);
const VALIDATORS = Object.fromEntries(Object.entries(FRAMES).map(([k, s]) => [k, ajv.compile(s)])) as Record<FrameType, ValidateFunction>;

// ---------- queue texts (told to the customer, CH6) ----------

const QUEUE_TEXT: Record<'no_agent_online' | 'target_exceeded' | 'next' | 'waiting' | 'idle', Messages> = {
  no_agent_online: {
    'zh-CN': '当前没有客服在线，暂时无法接入人工服务。您可以留言，客服上线后会尽快与您联系。',
    'zh-TW': '目前沒有客服在線，暫時無法接入人工服務。您可以留言，客服上線後會盡快與您聯繫。',
    en: 'No agent is online right now. Leave a message and we will get back to you as soon as someone is available.',
  },
  target_exceeded: {
    'zh-CN': '当前咨询人数较多，您前面还有 {ahead} 位客户，预计等待约 {minutes} 分钟，超出了 {target} 秒内接入的服务承诺。您可以继续等待，也可以留言，我们稍后回复您。',
    'zh-TW': '目前諮詢人數較多，您前面還有 {ahead} 位客戶，預計等待約 {minutes} 分鐘，超出了 {target} 秒內接入的服務承諾。您可以繼續等待，也可以留言，我們稍後回覆您。',
    en: 'We are busy: {ahead} customers are ahead of you and the wait is about {minutes} min, longer than our {target}-second promise. Keep waiting or leave a message and we will reply later.',
  },
  next: { 'zh-CN': '您是下一位，客服马上为您服务。', 'zh-TW': '您是下一位，客服馬上為您服務。', en: 'You are next; an agent will be with you shortly.' },
  waiting: {
    'zh-CN': '您前面还有 {ahead} 位客户，预计等待约 {minutes} 分钟。',
    'zh-TW': '您前面還有 {ahead} 位客戶，預計等待約 {minutes} 分鐘。',
    en: '{ahead} customers are ahead of you; the wait is about {minutes} min.',
  },
  idle: { 'zh-CN': '当前有 {agents} 位客服在线，发送消息即可开始咨询。', 'zh-TW': '目前有 {agents} 位客服在線，傳送訊息即可開始諮詢。', en: '{agents} agents are online; send a message to start.' },
};

function queueFrame(s: QueueStatus, locale: Locale) {
  const ahead = Math.max(0, s.position - 1);
  const minutes = s.estimatedWaitSeconds === null ? null : Math.max(1, Math.ceil(s.estimatedWaitSeconds / 60));
  const key = s.reason ?? (s.conversationId === null ? 'idle' : ahead === 0 ? 'next' : 'waiting');
  const text = format(QUEUE_TEXT[key][locale], { ahead, minutes, target: s.targetSeconds, agents: s.agentsOnline });
  return {
    type: 'queue' as const,
    conversationId: s.conversationId,
    position: s.position,
    estimatedWaitSeconds: s.estimatedWaitSeconds,
    agentsOnline: s.agentsOnline,
    reason: s.reason,
    /** Offer the leave-a-message form. */
    leaveMessage: s.reason !== null,
    text,
  };
}

// ---------- connections ----------

interface Conn {
  ws: WebSocket;
  locale: Locale;
  ip: string;
  visitor: Visitor | null;
  /** The conversation in progress as last read; null before the first message or after it closed. */
  conv: ConversationRow | null;
  /** Pushes that arrive while the welcome is being prepared go out after it. */
  held: unknown[] | null;
  chain: Promise<void>;
  queued: number;
  closed: boolean;
  windowStart: number;
  frames: number;
  typing: boolean;
  typingAt: number;
  /** What the client was last told, so a push is sent only when something changed. */
  told: Map<string, string>;
  syncing: boolean;
  syncAgain: boolean;
  alive: boolean;
}

type TypingSignal = { kind: 'customer'; conversationId: string; on: boolean; audience: Audience } | { kind: 'agent'; conversationId: string; visitorId: string; on: boolean };

export interface ChatGatewayDeps {
  database: Database;
  clock: Clock;
  bus: EventBus;
  hub: RealtimeHub;
  config: Config;
  log: FastifyBaseLogger;
  /** Open sockets per client address on this node; 0 for no limit. */
  maxSocketsPerIp: number;
}

/**
 * CH2: the customer side of web chat. Each visitor socket on this node gets the visitor's messages
 * (never internal notes), queue position and agent typing; the event bus brings every committed
 * message to every node, so the visitor may be connected anywhere.
 */
export class ChatGateway {
  private readonly byVisitor = new Map<string, Set<Conn>>();
  private readonly conns = new Set<Conn>();
  private readonly perIp = new Map<string, number>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly limits: { maxChars: number };

  constructor(private readonly deps: ChatGatewayDeps) {
    this.limits = { maxChars: deps.config.messageMaxChars };
    deps.bus.subscribe((e) => this.onEvent(e));
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS).unref();
  }

  /** Listens for typing signals from every node. */
  async start(): Promise<void> {
    await this.deps.database.listen(TYPING_CHANNEL, (payload) => {
      if (!payload) return;
      try {
        this.onTyping(JSON.parse(payload) as TypingSignal);
      } catch (err) {
        this.deps.log.error({ err }, 'bad chat typing signal');
      }
    });
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const c of this.conns) c.ws.close(CHAT_CLOSE.goingAway, 'server shutting down');
  }

  accept(ws: WebSocket, req: { ip: string; locale: Locale }): void {
    const c: Conn = {
      ws,
      locale: req.locale,
      ip: req.ip,
      visitor: null,
      conv: null,
      held: null,
      chain: Promise.resolve(),
      queued: 0,
      closed: false,
      windowStart: performance.now(),
      frames: 0,
      typing: false,
      typingAt: 0,
      told: new Map(),
      syncing: false,
      syncAgain: false,
      alive: true,
    };
    const open = this.perIp.get(c.ip) ?? 0;
    if (this.deps.maxSocketsPerIp > 0 && open >= this.deps.maxSocketsPerIp) {
      this.sendError(c, ChatError('too_many_connections'));
      ws.close(CHAT_CLOSE.tooManyConnections, 'too many connections');
      return;
    }
    this.perIp.set(c.ip, open + 1);
    this.conns.add(c);
    ws.on('pong', () => (c.alive = true));
    ws.on('close', () => this.dropped(c));
    ws.on('message', (raw, isBinary) => this.onFrame(c, isBinary ? null : String(raw)));
  }

  /** Agent typing (POST /api/conversations/:id/typing) for a conversation the caller may see. */
  async agentTyping(ctx: Ctx, conversationId: string, on: boolean): Promise<void> {
    const conv = await findVisible(ctx.db, ctx.actor, conversationId);
    if (conv.channel !== 'chat' || !conv.visitorId) return;
    await this.signal({ kind: 'agent', conversationId, visitorId: conv.visitorId, on });
  }

  // ----- frames in -----

  private onFrame(c: Conn, raw: string | null): void {
    const now = performance.now();
    if (now - c.windowStart > FRAME_WINDOW_MS) {
      c.windowStart = now;
      c.frames = 0;
    }
    if (++c.frames > FRAMES_PER_WINDOW || c.queued >= MAX_QUEUED) {
      this.sendError(c, ChatError('rate_limited'), clientIdIn(raw));
      return;
    }
    c.queued++;
    // One frame at a time per connection: messages are stored in the order they were sent.
    c.chain = c.chain.then(async () => {
      c.queued--;
      // Frames not yet started when the socket dropped are left to the client's resend.
      if (c.closed) return;
      let clientId: string | undefined;
      try {
        const f = parseFrame(raw);
        clientId = 'clientId' in f ? f.clientId : undefined;
        await this.handle(c, f);
      } catch (err) {
        this.sendError(c, err, clientId ?? clientIdIn(raw));
      }
    });
  }

  private async handle(c: Conn, f: ParsedFrame): Promise<void> {
    if (f.type === 'ping') return this.send(c, { type: 'pong', at: iso(this.deps.clock.now()) });
    if (f.type === 'hello') return this.hello(c, f);
    const visitor = c.visitor;
    if (!visitor) throw ChatError('hello_required');
    switch (f.type) {
      case 'message':
        return this.acknowledge(c, f.clientId, await sendChatMessage(this.ctxOf(c, visitor), visitor, f, this.limits));
      case 'leave_message':
        return this.acknowledge(c, f.clientId, await leaveMessage(this.ctxOf(c, visitor), visitor, f, this.limits));
      case 'typing':
        return this.customerTyping(c, f.on);
      case 'history': {
        const conv = await visitorConversationById(this.deps.database.db, visitor.id, f.conversationId);
        const page = await visitorMessages(this.deps.database.db, conv.id, { afterId: f.afterId, limit: HISTORY_PAGE });
        return this.send(c, { type: 'history', conversation: visitorConversation(conv), messages: page.messages, hasMore: page.hasMore });
      }
      case 'survey_response': {
        const { type: _type, surveyId, ...answer } = f;
        const feedback = await answerAsVisitor(this.ctxOf(c, visitor), visitor.id, surveyId, answer);
        this.send(c, { type: 'survey_ack', surveyId, effect: feedback.effect, conversationStatus: feedback.conversationStatus });
        return this.sync(c);
      }
    }
  }

  private ctxOf(c: Conn, visitor: Visitor): Ctx {
    return visitorCtx({ db: this.deps.database.db, clock: this.deps.clock, locale: c.locale, ip: c.ip }, visitor.id);
  }

  private async hello(c: Conn, f: Frame<'hello'>): Promise<void> {
    if (c.visitor) throw ChatError('already_greeted');
    // A token that is not one of ours (tampered, truncated) starts a new visitor rather than failing the widget.
    const token = visitorIdOf(f.visitorToken) ? f.visitorToken! : issueVisitorToken();
    const visitor: Visitor = { id: visitorIdOf(token)!, contact: { name: f.name, phone: f.phone, email: f.email } };
    c.visitor = visitor;
    c.held = [];
    // Registered before reading, so a message committed meanwhile is pushed (the client drops what it already has).
    const peers = this.byVisitor.get(visitor.id) ?? new Set<Conn>();
    peers.add(c);
    this.byVisitor.set(visitor.id, peers);
    const db = this.deps.database.db;
    const conv = await currentConversation(db, visitor.id);
    const messages: VisitorMessage[] = [];
    if (conv) {
      let afterId = f.lastSeenMessageId;
      for (;;) {
        const page = await visitorMessages(db, conv.id, { afterId, limit: HISTORY_PAGE });
        messages.push(...page.messages);
        if (!page.hasMore) break;
        afterId = page.messages[page.messages.length - 1]!.id;
      }
    }
    c.conv = conv;
    const view = conv ? visitorConversation(conv) : null;
    if (view) c.told.set(`conversation:${view.id}`, JSON.stringify(view));
    this.send(c, { type: 'welcome', visitorToken: token, conversation: view, messages });
    const held = c.held;
    c.held = null;
    for (const m of held) this.send(c, m);
    // A resolution still waiting for the visitor's answer is asked again on every visit (S3).
    const survey = conv ? await pendingVisitorSurvey(db, conv, this.deps.clock.now()) : null;
    if (survey && !survey.answered) this.send(c, { type: 'survey', survey });
    this.sync(c);
  }

  /** Sent only now: the transaction has committed, so what is acknowledged is stored. */
  private acknowledge(c: Conn, clientId: string, r: SentMessage): void {
    this.send(c, { type: 'ack', clientId, messageId: r.messageId, conversationId: r.conversationId, duplicate: r.duplicate });
    if (r.conversation) c.conv = r.conversation;
    this.sync(c);
  }

  private async customerTyping(c: Conn, on: boolean): Promise<void> {
    if (!c.conv) return;
    // The widget repeats "on" every 3 s; more often is noise that would cost a NOTIFY each.
    const now = performance.now();
    if (on === c.typing && now - c.typingAt < TYPING_REPEAT_MS) return;
    c.typing = on;
    c.typingAt = now;
    await this.signal({ kind: 'customer', conversationId: c.conv.id, on, audience: conversationAudience(c.conv) });
  }

  private dropped(c: Conn): void {
    c.closed = true;
    if (!this.conns.delete(c)) return;
    const open = (this.perIp.get(c.ip) ?? 1) - 1;
    if (open > 0) this.perIp.set(c.ip, open);
    else this.perIp.delete(c.ip);
    if (c.visitor) {
      const peers = this.byVisitor.get(c.visitor.id);
      peers?.delete(c);
      if (peers?.size === 0) this.byVisitor.delete(c.visitor.id);
    }
    if (c.typing && c.conv) {
      this.signal({ kind: 'customer', conversationId: c.conv.id, on: false, audience: conversationAudience(c.conv) }).catch((err) =>
        this.deps.log.error({ err }, 'chat typing signal failed'),
      );
    }
  }

  // ----- pushes -----

  private onEvent(e: DomainEvent): void {
    if (this.byVisitor.size === 0) return;
    if (e.type === 'message.created') {
      const visitorId = e.data.visitorId as string | null | undefined;
      const peers = visitorId ? this.byVisitor.get(visitorId) : undefined;
      const message = peers && visitorMessage(e.data as unknown as MessageView);
      if (!peers || !message) return;
      for (const c of peers) {
        this.push(c, { type: 'message', message });
        // Another tab of the same visitor may have opened a new conversation.
        if (c.conv?.id !== message.conversationId) this.sync(c);
      }
    } else if (e.type === 'conversation.created' || e.type === 'conversation.updated' || e.type === 'conversation.assigned') {
      if (e.data.channel !== 'chat') return;
      for (const c of this.conns) {
        // Mine changed, or one in my queue moved (assigned, closed, reprioritised): my position may have too.
        const waitingIn = c.conv && !c.conv.assigneeId ? c.conv.queueId : null;
        if (c.conv?.id === e.entityId || (waitingIn && waitingIn === e.data.queueId)) this.sync(c);
      }
    } else if ((e.type === 'survey.invited' || e.type === 'survey.responded') && e.data.via === 'chat') {
      const peers = [...this.conns].filter((c) => c.conv?.id === e.data.conversationId);
      if (peers.length > 0) this.pushSurvey(peers, String(e.data.id));
    } else if (e.type === 'agent.status_changed' || e.type === 'queue.created' || e.type === 'queue.updated') {
      // Who is online decides the estimate and whether anyone can answer at all.
      for (const c of this.conns) if (c.visitor && (!c.conv || !c.conv.assigneeId)) this.sync(c);
    }
  }

  /**
   * Reads the visitor's conversation and queue place afresh and tells the client what changed.
   * Read from the database rather than from the event: events of one transaction describe
   * intermediate states (created unassigned, then assigned). Runs once at a time per connection.
   */
  private sync(c: Conn): void {
    if (!c.visitor || c.closed) return;
    if (c.syncing) {
      c.syncAgain = true;
      return;
    }
    c.syncing = true;
    const visitorId = c.visitor.id;
    const run = async () => {
      do {
        c.syncAgain = false;
        const db = this.deps.database.db;
        const tracked = c.conv;
        const current = await currentConversation(db, visitorId);
        // The conversation the client shows ended (closed): say so before moving on.
        if (tracked && tracked.id !== current?.id) this.tell(c, 'conversation', visitorConversation(await visitorConversationById(db, visitorId, tracked.id)), tracked.id);
        if (current) this.tell(c, 'conversation', visitorConversation(current), current.id);
        c.conv = current;
        const status = await queueStatus(db, visitorId, this.deps.clock.now());
        if (status) this.tell(c, 'queue', queueFrame(status, c.locale));
        else c.told.delete('queue');
      } while (c.syncAgain && !c.closed);
    };
    run()
      .catch((err) => this.deps.log.error({ err }, 'chat sync failed'))
      .finally(() => (c.syncing = false));
  }

  /** The invitation (or its answer, from another tab or an agent) as the visitor sees it. */
  private pushSurvey(peers: Conn[], surveyId: string): void {
    visitorSurvey(this.deps.database.db, surveyId, this.deps.clock.now())
      .then((survey) => {
        if (survey) for (const c of peers) this.push(c, { type: 'survey', survey });
      })
      .catch((err) => this.deps.log.error({ err }, 'chat survey push failed'));
  }

  private tell(c: Conn, kind: 'conversation' | 'queue', value: object, id?: string): void {
    const key = id ? `${kind}:${id}` : kind;
    const text = JSON.stringify(value);
    if (c.told.get(key) === text) return;
    c.told.set(key, text);
    this.push(c, kind === 'queue' ? value : { type: 'conversation', conversation: value });
  }

  private push(c: Conn, message: unknown): void {
    if (c.held) c.held.push(message);
    else this.send(c, message);
  }

  private send(c: Conn, message: unknown): void {
    if (c.ws.readyState === c.ws.OPEN) c.ws.send(JSON.stringify(message));
  }

  private sendError(c: Conn, err: unknown, clientId?: string): void {
    let e: AppError;
    if (err instanceof AppError) e = err;
    else {
      const requestId = `chat-${randomBytes(4).toString('hex')}`;
      this.deps.log.error({ err, requestId }, 'chat frame failed');
      e = ServerError('internal', { params: { requestId } });
    }
    const { error } = e.body(c.locale);
    // Worth resending later: the server failed or was busy; anything else will fail the same way again.
    const retry = e.status >= 500 || e.status === 429;
    this.send(c, { type: 'error', ...error, ...(clientId ? { clientId } : {}), retry });
  }

  // ----- typing -----

  private async signal(s: TypingSignal): Promise<void> {
    await this.deps.database.db.execute(sql`select pg_notify(${TYPING_CHANNEL}, ${JSON.stringify(s)})`);
  }

  private onTyping(s: TypingSignal): void {
    const at = iso(this.deps.clock.now());
    if (s.kind === 'customer') {
      this.deps.hub.signal({ type: 'typing', conversationId: s.conversationId, author: 'customer', on: s.on, at }, s.audience);
      return;
    }
    for (const c of this.byVisitor.get(s.visitorId) ?? []) {
      if (c.conv?.id === s.conversationId) this.push(c, { type: 'typing', conversationId: s.conversationId, author: 'agent', on: s.on, at });
    }
  }

  private beat(): void {
    for (const c of this.conns) {
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }
}

type ParsedFrame = { [K in FrameType]: Frame<K> }[FrameType];

function parseFrame(raw: string | null): ParsedFrame {
  if (raw === null) throw ChatError('invalid_frame', { params: { detail: '只接受文本帧（JSON）' } });
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw ChatError('invalid_frame', { params: { detail: '不是有效的 JSON' } });
  }
  const type = (value as { type?: unknown } | null)?.type;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof type !== 'string') {
    throw ChatError('invalid_frame', { params: { detail: '须为带 type 字段的 JSON 对象' } });
  }
  const validate = Object.hasOwn(VALIDATORS, type) ? VALIDATORS[type as FrameType] : undefined;
  if (!validate) throw ChatError('invalid_frame', { field: 'type', params: { detail: `未知类型 ${type}` } });
  if (!validate(value)) {
    const err = validate.errors?.[0];
    const field = err?.instancePath.replace(/^\//, '').replace(/\//g, '.') || (err?.params as { additionalProperty?: string; missingProperty?: string } | undefined)?.additionalProperty || (err?.params as { missingProperty?: string } | undefined)?.missingProperty;
    throw ChatError('invalid_frame', { ...(field ? { field } : {}), params: { detail: `${field ?? type} ${err?.message ?? ''}`.trim() } });
  }
  const bad = unstorableText(value);
  if (bad !== null) throw RequestError('invalid_text', { field: bad, params: { field: bad } });
  return value as ParsedFrame;
}

/** The client id of a frame that could not be handled, so the widget knows which message failed. */
function clientIdIn(raw: string | null): string | undefined {
  if (!raw) return undefined;
  try {
    const id = (JSON.parse(raw) as { clientId?: unknown }).clientId;
    return typeof id === 'string' && id.length <= 64 ? id : undefined;
  } catch {
    return undefined;
  }
}
