import { Type, type Static } from '@sinclair/typebox';
import { defineErrors } from '../../../platform/errors.ts';
import { Body, Timestamp } from '../../../platform/http/schemas.ts';
import type { CallEvent } from '../schema.ts';

/**
 * CH4: the CTI protocol — what a PBX sends us and how a call is computed from it.
 * Pure: no database, no HTTP, so the rules below are the whole truth about a call's numbers.
 */

export const CtiError = defineErrors('cti', {
  disabled: [503, { 'zh-CN': '电话系统接口未启用（未设置 KEFU_CTI_SECRET）', 'zh-TW': '電話系統介面未啟用（未設定 KEFU_CTI_SECRET）', en: 'The CTI endpoint is off (KEFU_CTI_SECRET is not set)' }],
  signature_missing: [401, { 'zh-CN': '缺少签名请求头 x-kefu-signature', 'zh-TW': '缺少簽章請求標頭 x-kefu-signature', en: 'The x-kefu-signature header is missing' }],
  signature_invalid: [401, { 'zh-CN': '签名无效', 'zh-TW': '簽章無效', en: 'The signature is invalid' }],
  signature_expired: [401, { 'zh-CN': '签名时间戳与服务器时间相差超过 {seconds} 秒（防重放）', 'zh-TW': '簽章時間戳與伺服器時間相差超過 {seconds} 秒（防重放）', en: 'The signature timestamp is more than {seconds} s away from the server time (replay protection)' }],
  target_required: [400, { 'zh-CN': '转接事件须给出转接目标坐席 target', 'zh-TW': '轉接事件須提供轉接目標坐席 target', en: 'A transferred event needs the target agent' }],
  unknown_agent: [422, { 'zh-CN': '找不到坐席 {handle}（按用户名或工号匹配）', 'zh-TW': '找不到坐席 {handle}（依使用者名稱或工號比對）', en: 'No active staff member with username or employee number {handle}' }],
  event_conflict: [409, { 'zh-CN': '事件编号 {eventId} 已用于另一个内容不同的事件', 'zh-TW': '事件編號 {eventId} 已用於另一個內容不同的事件', en: 'Event id {eventId} was already used for a different event' }],
  call_mismatch: [409, { 'zh-CN': '通话 {callId} 已存在，但方向或号码不同', 'zh-TW': '通話 {callId} 已存在，但方向或號碼不同', en: 'Call {callId} exists with another direction or other numbers' }],
  call_not_found: [404, { 'zh-CN': '通话 {callId} 不存在', 'zh-TW': '通話 {callId} 不存在', en: 'Call {callId} not found' }],
  recording_exists: [409, { 'zh-CN': '该通话已有另一份录音', 'zh-TW': '該通話已有另一份錄音', en: 'The call already has a different recording' }],
});

export const CALL_EVENT_TYPES = ['ringing', 'answered', 'held', 'resumed', 'transferred', 'ended', 'wrapped_up'] as const;
export type CallEventType = (typeof CALL_EVENT_TYPES)[number];
export const DIRECTIONS = ['inbound', 'outbound'] as const;
export type Direction = (typeof DIRECTIONS)[number];
export const CALL_STATUSES = ['ringing', 'talking', 'on_hold', 'ended', 'wrapped_up', 'abandoned', 'no_answer'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

// Printable ASCII without blanks: ids travel in URLs and logs, and NUL can never reach the database.
const Token = (max: number, description: string) => Type.String({ minLength: 1, maxLength: max, pattern: '^[\\x21-\\x7e]+$', description });
// Withheld numbers arrive as words ("anonymous"); digits, +, *, # and separators otherwise.
const Number_ = (description: string) => Type.String({ minLength: 1, maxLength: 40, pattern: '^[0-9A-Za-z+*#(). -]+$', description });

export const CallId = Token(128, 'PBX 的通话编号；同一通话的所有事件相同。回拨时回传 dial 接口返回的 callId');

export const CtiEventBody = Body(
  {
    callId: CallId,
    type: Type.Union(
      CALL_EVENT_TYPES.map((t) => Type.Literal(t)),
      { description: 'ringing 振铃 / answered 接听 / held 保持 / resumed 恢复 / transferred 转接 / ended 挂断 / wrapped_up 话后处理结束' },
    ),
    at: Type.String({ format: 'date-time', description: 'PBX 记录的事件时间（含时区）；时长按它计算，与到达顺序无关' }),
    from: Number_('主叫号码'),
    to: Number_('被叫号码'),
    direction: Type.Union(
      DIRECTIONS.map((d) => Type.Literal(d)),
      { description: 'inbound 来电 / outbound 去电' },
    ),
    agent: Type.Optional(Token(64, '坐席用户名或工号（接听、外呼的坐席）')),
    target: Type.Optional(Token(64, '转接目标坐席的用户名或工号（transferred 必填）')),
    eventId: Type.Optional(Token(128, '事件幂等键；缺省时以 类型+时间+坐席 去重')),
  },
  { title: 'CtiEvent' },
);
export type CtiEventInput = Static<typeof CtiEventBody>;

/** What the call record keeps of each event: the PBX's own words, plus who they resolved to. */
export interface StoredEvent extends CallEvent {
  eventId: string | null;
  agentId: string | null;
  targetId: string | null;
  receivedAt: string;
}

export const CallEventView = Type.Object({
  type: Type.Union(CALL_EVENT_TYPES.map((t) => Type.Literal(t))),
  at: Timestamp,
  agent: Type.Union([Type.String(), Type.Null()]),
  target: Type.Union([Type.String(), Type.Null()]),
  eventId: Type.Union([Type.String(), Type.Null()]),
  receivedAt: Timestamp,
});

/** The same event twice is recognised by its id, or, without one, by what it says. */
export function eventKey(e: Pick<StoredEvent, 'eventId' | 'type' | 'at' | 'agent' | 'target'>): string {
  return e.eventId !== null ? `id:${e.eventId}` : `${e.type}|${e.at}|${e.agent ?? ''}|${e.target ?? ''}`;
}

export function sameEvent(a: StoredEvent, b: StoredEvent): boolean {
  return a.type === b.type && a.at === b.at && a.agent === b.agent && a.target === b.target;
}

/** Events at the same instant sort in the order a call goes through them. */
const PHASE: Record<CallEventType, number> = { ringing: 0, answered: 1, held: 2, resumed: 3, transferred: 4, ended: 5, wrapped_up: 6 };

export function byTime(a: Pick<StoredEvent, 'at' | 'type'>, b: Pick<StoredEvent, 'at' | 'type'>): number {
  return Date.parse(a.at) - Date.parse(b.at) || PHASE[a.type] - PHASE[b.type];
}

export interface DerivedCall {
  status: CallStatus;
  ringingAt: Date | null;
  answeredAt: Date | null;
  endedAt: Date | null;
  wrappedUpAt: Date | null;
  /** Set while the caller is on hold. */
  holdStartedAt: Date | null;
  ringSeconds: number | null;
  rings: number | null;
  talkSeconds: number | null;
  holdSeconds: number;
  wrapSeconds: number | null;
  /** AHT of the call: talk + hold + wrap-up, once it has ended. */
  handlingSeconds: number | null;
  /** Who has the call now, and the event that gave it to them. */
  agentId: string | null;
  agentEvent: StoredEvent | null;
}

const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));

/**
 * Computes a call from its events by their PBX timestamps, never by arrival order, so any order
 * and any repetition of the same events give the same call. The first event of a kind counts
 * (a repeated `answered` does not move the answer time). Hold time counts only between answer and
 * hang-up; an unanswered call rang until the caller gave up, and its ring time says how long.
 * Rings are whole ring cycles of `ringLength` seconds begun before the answer: at least one.
 */
export function deriveCall(events: readonly StoredEvent[], direction: Direction, ringLength: number): DerivedCall {
  const sorted = [...events].sort(byTime);
  const first = (type: CallEventType) => sorted.find((e) => e.type === type) ?? null;
  const time = (e: StoredEvent | null) => (e ? Date.parse(e.at) : null);
  const ringing = time(first('ringing'));
  const answeredEvent = first('answered');
  const answered = time(answeredEvent);
  const ended = time(first('ended'));
  const wrapped = time(first('wrapped_up'));

  const holds: Array<[number, number | null]> = [];
  for (const e of sorted) {
    const open = holds.at(-1);
    if (e.type === 'held' && (!open || open[1] !== null)) holds.push([Date.parse(e.at), null]);
    else if (e.type === 'resumed' && open && open[1] === null) open[1] = Date.parse(e.at);
  }
  let holdMs = 0;
  let holdStartedAt: number | null = null;
  // Nobody is put on hold before the answer: an unanswered call has no hold time.
  for (const [start, end] of answered === null ? [] : holds) {
    const from = Math.max(start, answered!);
    const until = end ?? ended;
    if (until === null) holdStartedAt = start;
    else holdMs += Math.max(0, Math.min(until, ended ?? until) - from);
  }

  let agentId: string | null = null;
  let agentEvent: StoredEvent | null = null;
  for (const e of sorted) {
    // An outbound call is the dialling agent's from its first ring; an inbound one the answerer's.
    let takes: string | null = null;
    if (e.type === 'transferred') takes = e.targetId;
    else if (e === answeredEvent || (e.type === 'ringing' && direction === 'outbound')) takes = e.agentId;
    if (takes) {
      agentId = takes;
      agentEvent = e;
    }
  }

  const ringEnd = answered ?? ended;
  const ringSeconds = ringing !== null && ringEnd !== null ? seconds(ringEnd - ringing) : null;
  const holdSeconds = seconds(holdMs);
  const talkSeconds = answered !== null && ended !== null ? seconds(ended - answered - holdMs) : null;
  const wrapSeconds = ended !== null && wrapped !== null ? seconds(wrapped - ended) : null;
  let status: CallStatus;
  if (ended !== null && answered === null) status = direction === 'inbound' ? 'abandoned' : 'no_answer';
  else if (ended !== null) status = wrapped !== null ? 'wrapped_up' : 'ended';
  else if (answered !== null) status = holdStartedAt !== null ? 'on_hold' : 'talking';
  else status = 'ringing';

  const date = (ms: number | null) => (ms === null ? null : new Date(ms));
  return {
    status,
    ringingAt: date(ringing),
    answeredAt: date(answered),
    endedAt: date(ended),
    wrappedUpAt: date(wrapped),
    holdStartedAt: date(holdStartedAt),
    ringSeconds,
    rings: ringSeconds === null ? null : Math.max(1, Math.ceil(ringSeconds / ringLength)),
    talkSeconds,
    holdSeconds,
    wrapSeconds,
    handlingSeconds: ended === null ? null : (talkSeconds ?? 0) + holdSeconds + (wrapSeconds ?? 0),
    agentId,
    agentEvent,
  };
}

/** "3 分 12 秒", "45 秒", "2 分" */
export function duration(s: number): string {
  if (s < 60) return `${s} 秒`;
  const m = Math.floor(s / 60);
  return s % 60 === 0 ? `${m} 分` : `${m} 分 ${s % 60} 秒`;
}

/** The line written on the conversation when a call ends ("通话 3 分 12 秒，保持 20 秒，振铃 2 声"); null while it runs. */
export function callSummary(c: DerivedCall, direction: Direction): string | null {
  const rang = c.rings !== null ? `振铃 ${c.rings} 声` : null;
  if (c.status === 'abandoned') return `未接来电：${rang ? `${rang}（${duration(c.ringSeconds!)}）后` : ''}客户挂断，已生成回拨任务`;
  if (c.status === 'no_answer') return `去电未接通${rang ? `：${rang}（${duration(c.ringSeconds!)}）` : ''}`;
  if (c.status !== 'ended' && c.status !== 'wrapped_up') return null;
  const parts = [`${direction === 'outbound' ? '去电' : ''}通话 ${duration(c.talkSeconds ?? 0)}`];
  if (c.holdSeconds > 0) parts.push(`保持 ${duration(c.holdSeconds)}`);
  if (rang) parts.push(rang);
  return parts.join('，');
}

/** Callback dials carry their task in the call id, so the PBX's events find the task again. */
const CALLBACK_CALL_ID = /^kefu-cb-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-[0-9a-f]{8}$/;

export function callbackCallId(taskId: string, nonce: string): string {
  return `kefu-cb-${taskId}-${nonce}`;
}

export function callbackTaskOf(callId: string): string | null {
  return CALLBACK_CALL_ID.exec(callId)?.[1] ?? null;
}
