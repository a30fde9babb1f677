import { and, asc, count, desc, eq, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/columns.ts';
import type { Ctx } from '../../platform/context.ts';
import { defineErrors } from '../../platform/errors.ts';
import { declareEventTypes } from '../../platform/events/outbox.ts';
import { PERMISSIONS } from '../../platform/rbac/permissions.ts';
import { write, type Writer } from '../../platform/write.ts';
import { customerBrief } from '../customers/lookup.ts';
import { staff } from '../org/schema.ts';
import { currentPolicy } from '../policy/service.ts';
import { ConversationError, findVisible, updateConversation } from './record.ts';
import { agentStates, assignments, conversations, queueMembers, queues } from './schema.ts';
import {
  AgentStateView,
  QueueView,
  queueView,
  type AgentStatus,
  type ConversationRow,
} from './views.ts';
import { iso } from '../../platform/http/schemas.ts';

export const RoutingError = defineErrors('routing', {
  queue_not_found: [404, { 'zh-CN': '队列不存在', 'zh-TW': '佇列不存在', en: 'Queue not found' }],
  queue_code_taken: [409, { 'zh-CN': '队列编码 {code} 已被使用', 'zh-TW': '佇列編碼 {code} 已被使用', en: 'Queue code {code} is already used' }],
  queue_not_empty: [409, { 'zh-CN': '队列中仍有未关闭的会话', 'zh-TW': '佇列中仍有未關閉的會話', en: 'The queue still holds open conversations' }],
  agent_not_found: [404, { 'zh-CN': '坐席不存在或不接待客户', 'zh-TW': '坐席不存在或不接待客戶', en: 'No such agent, or the staff member does not serve customers' }],
  agent_not_available: [409, { 'zh-CN': '坐席 {name} 当前不在线', 'zh-TW': '坐席 {name} 目前不在線', en: '{name} is not online' }],
  already_assigned: [409, { 'zh-CN': '会话已由其他坐席接待', 'zh-TW': '會話已由其他坐席接待', en: 'Another agent already has this conversation' }],
});

declareEventTypes({
  'agent.status_changed': '坐席状态变化（在线、忙碌、离开、离线）',
  'queue.created': '队列已创建',
  'queue.updated': '队列已更新',
});

/** Whoever may answer customers may go online and take conversations. */
export const SERVING_ROLES = PERMISSIONS['conversations.handle'];
export const DEFAULT_CAPACITY: Record<string, number> = { chat: 5, email: 20, phone: 1, form: 20, api: 20 };
/** Statuses that occupy an agent's capacity: waiting for them or being worked on. */
const OCCUPYING = ['new', 'open'];

export interface AssignmentReason {
  code: string;
  text: string;
}

// ---------- assignment ----------

/**
 * Assigns (or unassigns, staffId null) and records why. Ends the previous assignment.
 * The team follows the assignee, so the team lead sees the work of their people.
 */
export async function assign(w: Writer, conv: ConversationRow, staffId: string | null, reason: AssignmentReason, opts: { queueId?: string | null; endReason?: string } = {}): Promise<ConversationRow> {
  if (conv.assigneeId) {
    await w.tx
      .update(assignments)
      .set({ endedAt: w.now, endReason: opts.endReason ?? reason.code })
      .where(and(eq(assignments.conversationId, conv.id), isNull(assignments.endedAt)));
  }
  const queueId = opts.queueId === undefined ? conv.queueId : opts.queueId;
  let teamId = conv.teamId;
  if (staffId) {
    const [person] = await w.tx.select({ teamId: staff.teamId }).from(staff).where(eq(staff.id, staffId)).limit(1);
    teamId = person?.teamId ?? teamId;
    await w.tx.insert(assignments).values({ id: newId(), conversationId: conv.id, staffId, queueId, reason, assignedBy: w.ctx.actor.id, startedAt: w.now });
    if (queueId) await w.tx.update(queueMembers).set({ lastAssignedAt: w.now }).where(and(eq(queueMembers.queueId, queueId), eq(queueMembers.staffId, staffId)));
  } else if (queueId) {
    const [q] = await w.tx.select({ teamId: queues.teamId }).from(queues).where(eq(queues.id, queueId)).limit(1);
    teamId = q?.teamId ?? teamId;
  }
  const after = await updateConversation(
    w,
    conv,
    { assigneeId: staffId, queueId, teamId, assignedAt: staffId ? w.now : null, transferCount: conv.transferCount + (reason.code === 'transfer' ? 1 : 0) },
    { event: staffId ? 'conversation.assigned' : 'conversation.updated' },
  );
  return after;
}

/** The queue a conversation belongs in: channel must match; skill and tier narrow when the queue names them. */
export async function matchQueue(db: Executor, conv: Pick<ConversationRow, 'channel' | 'skill' | 'customerId'>): Promise<string | null> {
  const tier = (await customerBrief(db, conv.customerId))?.tier ?? null;
  const candidates = await db
    .select()
    .from(queues)
    .where(sql`${conv.channel} = any(${queues.channels})`)
    .orderBy(desc(queues.priority), asc(queues.id));
  const fits = candidates.filter(
    (q) => (q.skills.length === 0 || (conv.skill !== null && q.skills.includes(conv.skill))) && (q.tiers.length === 0 || (tier !== null && q.tiers.includes(tier))),
  );
  // The most specific queue wins among equal priorities: one that asked for this skill or tier.
  fits.sort((a, b) => b.priority - a.priority || b.skills.length + b.tiers.length - (a.skills.length + a.tiers.length));
  return fits[0]?.id ?? null;
}

interface Candidate {
  staffId: string;
  name: string;
  load: number;
  capacity: number;
  lastAssignedAt: Date | null;
}

/** Online members of a queue with room on the channel, with their load. */
async function candidates(db: Executor, queueId: string, channel: string): Promise<Candidate[]> {
  const rows = await db
    .select({
      staffId: queueMembers.staffId,
      name: staff.displayName,
      lastAssignedAt: queueMembers.lastAssignedAt,
      capacity: agentStates.capacity,
      load: sql<number>`(select count(*)::int from ${conversations} where ${conversations.assigneeId} = ${queueMembers.staffId} and ${conversations.channel} = ${channel} and ${conversations.status} in ('new', 'open'))`,
    })
    .from(queueMembers)
    .innerJoin(agentStates, eq(agentStates.staffId, queueMembers.staffId))
    .innerJoin(staff, eq(staff.id, queueMembers.staffId))
    .where(and(eq(queueMembers.queueId, queueId), eq(agentStates.status, 'online'), eq(staff.status, 'active')));
  return rows
    .map((r) => ({ staffId: r.staffId, name: r.name, lastAssignedAt: r.lastAssignedAt, load: Number(r.load), capacity: r.capacity[channel] ?? DEFAULT_CAPACITY[channel] ?? 1 }))
    .filter((c) => c.load < c.capacity);
}

const STRATEGY_TEXT: Record<string, string> = { round_robin: '轮询分配', least_busy: '最空闲优先' };

/**
 * Routes one waiting conversation: finds its queue and, if an online member has room, assigns by
 * the queue's strategy. A transaction-scoped lock per queue keeps two nodes from overfilling one agent.
 */
export async function route(w: Writer, conv: ConversationRow): Promise<ConversationRow> {
  const queueId = conv.queueId ?? (await matchQueue(w.tx, conv));
  if (!queueId) return conv;
  const [queue] = await w.tx.select().from(queues).where(eq(queues.id, queueId)).limit(1);
  if (!queue) return conv;
  await w.tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`queue:${queueId}`}))`);
  const pool = await candidates(w.tx, queueId, conv.channel);
  const never = -1;
  const since = (c: Candidate) => c.lastAssignedAt?.getTime() ?? never;
  pool.sort((a, b) =>
    queue.strategy === 'least_busy'
      ? a.load / a.capacity - b.load / b.capacity || since(a) - since(b) || a.staffId.localeCompare(b.staffId)
      : since(a) - since(b) || a.staffId.localeCompare(b.staffId),
  );
  const chosen = pool[0];
  if (!chosen) {
    if (conv.queueId === queueId) return conv;
    return updateConversation(w, conv, { queueId, teamId: conv.teamId ?? queue.teamId });
  }
  const detail =
    queue.strategy === 'least_busy'
      ? `当前接待 ${chosen.load}/${chosen.capacity}，为在线坐席中最空闲`
      : chosen.lastAssignedAt
        ? `为在线坐席中最久未分配（上次 ${iso(chosen.lastAssignedAt)}）`
        : '为在线坐席中尚未分配过';
  return assign(w, conv, chosen.staffId, { code: queue.strategy, text: `${STRATEGY_TEXT[queue.strategy]}：队列「${queue.name}」，${detail}` }, { queueId });
}

/** Priority order of waiting work: urgent first, then the customer's tier priority, then the longest waiting. */
const PRIORITY_RANK = sql`case ${conversations.priority} when 'urgent' then 3 when 'high' then 2 when 'normal' then 1 else 0 end`;

/** Gives waiting conversations of the agent's queues to agents with room (after someone comes online or frees a slot). */
export async function drainQueues(w: Writer, queueIds: string[]): Promise<number> {
  if (queueIds.length === 0) return 0;
  let assigned = 0;
  const waiting = await w.tx
    .select()
    .from(conversations)
    .where(and(inArray(conversations.queueId, queueIds), isNull(conversations.assigneeId), eq(conversations.status, 'new')))
    .orderBy(desc(PRIORITY_RANK), asc(conversations.createdAt))
    .limit(200)
    .for('update', { of: conversations, skipLocked: true });
  for (const conv of waiting) {
    const after = await route(w, conv);
    if (after.assigneeId) assigned++;
  }
  return assigned;
}

export async function queuesOf(db: Executor, staffId: string): Promise<string[]> {
  const rows = await db.select({ queueId: queueMembers.queueId }).from(queueMembers).where(eq(queueMembers.staffId, staffId));
  return rows.map((r) => r.queueId);
}

// ---------- wait information (CH2/CH6) ----------

export interface WaitInfo {
  position: number;
  agentsOnline: number;
  estimatedWaitSeconds: number | null;
  targetSeconds: number | null;
  /** Why the customer cannot expect an answer in time; null when they can. */
  reason: null | 'no_agent_online' | 'target_exceeded';
}

/** Average agent time per conversation in a queue recently; 3 minutes until there is history. */
async function averageHandlingMs(db: Executor, queueId: string): Promise<number> {
  const [row] = await db
    .select({ avg: sql<string | null>`avg(h)` })
    .from(sql`(select ${conversations.handlingMs} as h from ${conversations} where ${conversations.queueId} = ${queueId} and ${conversations.resolvedAt} is not null and ${conversations.handlingMs} > 0 order by ${conversations.resolvedAt} desc limit 50) recent`);
  return row?.avg ? Number(row.avg) : 180_000;
}

export async function waitInfo(db: Executor, conv: ConversationRow): Promise<WaitInfo> {
  if (conv.assigneeId || !conv.queueId) {
    return { position: 0, agentsOnline: 0, estimatedWaitSeconds: conv.assigneeId ? 0 : null, targetSeconds: null, reason: conv.assigneeId ? null : 'no_agent_online' };
  }
  const [ahead] = await db
    .select({ n: count() })
    .from(conversations)
    .where(
      and(
        eq(conversations.queueId, conv.queueId),
        isNull(conversations.assigneeId),
        eq(conversations.status, 'new'),
        or(
          sql`${PRIORITY_RANK} > (case ${conv.priority} when 'urgent' then 3 when 'high' then 2 when 'normal' then 1 else 0 end)`,
          and(sql`${PRIORITY_RANK} = (case ${conv.priority} when 'urgent' then 3 when 'high' then 2 when 'normal' then 1 else 0 end)`, lt(conversations.createdAt, conv.createdAt)),
        ),
      ),
    );
  const online = await db
    .select({ staffId: queueMembers.staffId, capacity: agentStates.capacity })
    .from(queueMembers)
    .innerJoin(agentStates, eq(agentStates.staffId, queueMembers.staffId))
    .where(and(eq(queueMembers.queueId, conv.queueId), eq(agentStates.status, 'online')));
  const position = Number(ahead?.n ?? 0) + 1;
  const policy = await currentPolicy(db);
  const targetSeconds =
    conv.channel === 'chat' ? policy.sla.chat.firstResponseSeconds.value : conv.channel === 'email' ? policy.sla.email.firstResponseMinutes.value * 60 : null;
  if (online.length === 0) return { position, agentsOnline: 0, estimatedWaitSeconds: null, targetSeconds, reason: 'no_agent_online' };
  const slots = online.reduce((n, a) => n + (a.capacity[conv.channel] ?? DEFAULT_CAPACITY[conv.channel] ?? 1), 0);
  const avg = await averageHandlingMs(db, conv.queueId);
  // Each slot frees on average once per handling time; the customer waits for `position` of them.
  const estimatedWaitSeconds = Math.ceil((position * avg) / slots / 1000);
  const reason = targetSeconds !== null && estimatedWaitSeconds > targetSeconds ? 'target_exceeded' : null;
  return { position, agentsOnline: online.length, estimatedWaitSeconds, targetSeconds, reason };
}

// ---------- agent status ----------

async function loadOf(db: Executor, staffIds: string[]): Promise<Map<string, Record<string, number>>> {
  const map = new Map<string, Record<string, number>>();
  if (staffIds.length === 0) return map;
  const rows = await db
    .select({ staffId: conversations.assigneeId, channel: conversations.channel, n: count() })
    .from(conversations)
    .where(and(inArray(conversations.assigneeId, staffIds), inArray(conversations.status, OCCUPYING)))
    .groupBy(conversations.assigneeId, conversations.channel);
  for (const r of rows) {
    const m = map.get(r.staffId!) ?? {};
    m[r.channel] = Number(r.n);
    map.set(r.staffId!, m);
  }
  return map;
}

async function servingStaff(db: Executor, staffId: string) {
  const [person] = await db
    .select({ id: staff.id, displayName: staff.displayName, role: staff.role, teamId: staff.teamId, status: staff.status })
    .from(staff)
    .where(eq(staff.id, staffId))
    .limit(1);
  if (!person || !(SERVING_ROLES as readonly string[]).includes(person.role)) throw RoutingError('agent_not_found');
  return person;
}

export async function listAgents(ctx: Ctx, f: { teamId?: string; status?: AgentStatus }): Promise<AgentStateView[]> {
  const rows = await ctx.db
    .select({ id: staff.id, displayName: staff.displayName, teamId: staff.teamId, state: agentStates })
    .from(staff)
    .leftJoin(agentStates, eq(agentStates.staffId, staff.id))
    .where(and(inArray(staff.role, [...SERVING_ROLES]), eq(staff.status, 'active'), f.teamId ? eq(staff.teamId, f.teamId) : undefined))
    .orderBy(asc(staff.displayName));
  const loads = await loadOf(ctx.db, rows.map((r) => r.id));
  return rows
    .map((r) => ({
      staffId: r.id,
      displayName: r.displayName,
      teamId: r.teamId,
      status: (r.state?.status ?? 'offline') as AgentStatus,
      capacity: r.state?.capacity ?? DEFAULT_CAPACITY,
      load: loads.get(r.id) ?? {},
      skills: r.state?.skills ?? [],
      statusSince: iso(r.state?.statusSince ?? new Date(0)),
    }))
    .filter((a) => !f.status || a.status === f.status);
}

export async function getAgent(ctx: Ctx, staffId: string): Promise<AgentStateView> {
  const person = await servingStaff(ctx.db, staffId);
  const found = (await listAgents(ctx, { teamId: person.teamId ?? undefined })).find((a) => a.staffId === staffId);
  if (!found) throw RoutingError('agent_not_found');
  return found;
}

/** Chat and unanswered work of an agent going offline goes back to routing (CH6); email and pending work stays theirs. */
async function releaseWork(w: Writer, staffId: string, name: string): Promise<void> {
  const held = await w.tx
    .select()
    .from(conversations)
    .where(and(eq(conversations.assigneeId, staffId), or(eq(conversations.status, 'new'), and(eq(conversations.status, 'open'), inArray(conversations.channel, ['chat', 'phone'])))))
    .for('update', { of: conversations });
  for (const conv of held) {
    const released = await assign(w, conv, null, { code: 'released', text: `原坐席 ${name} 离线` }, { endReason: 'agent_offline' });
    const after = await route(w, released);
    if (after.assigneeId) {
      const [last] = await w.tx.select().from(assignments).where(and(eq(assignments.conversationId, conv.id), isNull(assignments.endedAt))).limit(1);
      if (last) {
        await w.tx
          .update(assignments)
          .set({ reason: { code: 'reassigned_offline', text: `原坐席 ${name} 离线后重新分配；${last.reason.text}` } })
          .where(eq(assignments.id, last.id));
      }
    }
  }
}

export async function setAgentState(
  ctx: Ctx,
  staffId: string,
  input: { status?: AgentStatus; capacity?: Record<string, number>; skills?: string[] },
): Promise<AgentStateView> {
  await write(ctx, async (w) => {
    const person = await servingStaff(w.tx, staffId);
    const [before] = await w.tx.select().from(agentStates).where(eq(agentStates.staffId, staffId)).for('update');
    const status = input.status ?? (before?.status as AgentStatus | undefined) ?? 'offline';
    const values = {
      status,
      capacity: input.capacity ? { ...(before?.capacity ?? DEFAULT_CAPACITY), ...input.capacity } : (before?.capacity ?? DEFAULT_CAPACITY),
      skills: input.skills ?? before?.skills ?? [],
      statusSince: before && before.status === status ? before.statusSince : w.now,
      updatedAt: w.now,
    };
    await w.tx
      .insert(agentStates)
      .values({ staffId, ...values })
      .onConflictDoUpdate({ target: agentStates.staffId, set: values });
    if (!before || before.status !== status) {
      await w.audit({ action: 'update', entityType: 'agent_state', entityId: staffId, before: { status: before?.status ?? 'offline' }, after: { status }, changedFields: ['status'] });
      await w.emit({
        type: 'agent.status_changed',
        entityType: 'agent_state',
        entityId: staffId,
        data: { staffId, displayName: person.displayName, teamId: person.teamId, status, previous: before?.status ?? 'offline' },
        audience: { permissions: ['conversations.read_all', 'agents.status.manage'], staffIds: [staffId], teamIds: person.teamId ? [person.teamId] : [] },
      });
    }
    if (status === 'offline' && before?.status !== 'offline') await releaseWork(w, staffId, person.displayName);
    // Coming online or gaining capacity: waiting work flows to them at once.
    if (status === 'online') await drainQueues(w, await queuesOf(w.tx, staffId));
  });
  return getAgent(ctx, staffId);
}

// ---------- queues ----------

export interface QueueInput {
  code: string;
  name: string;
  channels: string[];
  skills?: string[];
  tiers?: string[];
  strategy?: string;
  priority?: number;
  teamId?: string | null;
  memberIds?: string[];
}

async function membersOf(db: Executor, queueIds: string[]): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  if (queueIds.length === 0) return map;
  const rows = await db.select().from(queueMembers).where(inArray(queueMembers.queueId, queueIds)).orderBy(asc(queueMembers.staffId));
  for (const r of rows) map.set(r.queueId, [...(map.get(r.queueId) ?? []), r.staffId]);
  return map;
}

export async function listQueues(ctx: Ctx): Promise<QueueView[]> {
  const rows = await ctx.db.select().from(queues).orderBy(desc(queues.priority), asc(queues.code));
  const members = await membersOf(ctx.db, rows.map((r) => r.id));
  return rows.map((r) => queueView(r, members.get(r.id) ?? []));
}

async function setMembers(w: Writer, queueId: string, memberIds: string[]): Promise<void> {
  for (const id of memberIds) await servingStaff(w.tx, id).catch(() => Promise.reject(RoutingError('agent_not_found', { field: 'memberIds' })));
  const keep = await w.tx.select().from(queueMembers).where(eq(queueMembers.queueId, queueId));
  const lastAssigned = new Map(keep.map((m) => [m.staffId, m.lastAssignedAt]));
  await w.tx.delete(queueMembers).where(eq(queueMembers.queueId, queueId));
  if (memberIds.length > 0) {
    await w.tx.insert(queueMembers).values([...new Set(memberIds)].map((staffId) => ({ queueId, staffId, lastAssignedAt: lastAssigned.get(staffId) ?? null })));
  }
}

export async function insertQueue(w: Writer, input: QueueInput): Promise<QueueView> {
  const [taken] = await w.tx.select({ id: queues.id }).from(queues).where(eq(queues.code, input.code)).limit(1);
  if (taken) throw RoutingError('queue_code_taken', { field: 'code', params: { code: input.code } });
  const [row] = await w.tx
    .insert(queues)
    .values({
      id: newId(),
      code: input.code,
      name: input.name,
      channels: [...new Set(input.channels)],
      skills: input.skills ?? [],
      tiers: input.tiers ?? [],
      strategy: input.strategy ?? 'round_robin',
      priority: input.priority ?? 0,
      teamId: input.teamId ?? null,
      createdAt: w.now,
      updatedAt: w.now,
    })
    .returning();
  await setMembers(w, row!.id, input.memberIds ?? []);
  const view = queueView(row!, [...new Set(input.memberIds ?? [])].sort());
  await w.changed({ entityType: 'queue', entityId: row!.id, schema: QueueView, before: null, after: view, event: 'queue.created', audience: { permissions: ['conversations.read'] } });
  return view;
}

export function createQueue(ctx: Ctx, input: QueueInput): Promise<QueueView> {
  return write(ctx, (w) => insertQueue(w, input));
}

export async function updateQueue(ctx: Ctx, id: string, input: Partial<QueueInput>): Promise<QueueView> {
  return write(ctx, async (w) => {
    const [before] = await w.tx.select().from(queues).where(eq(queues.id, id)).for('update');
    if (!before) throw RoutingError('queue_not_found');
    if (input.code && input.code !== before.code) {
      const [taken] = await w.tx.select({ id: queues.id }).from(queues).where(eq(queues.code, input.code)).limit(1);
      if (taken) throw RoutingError('queue_code_taken', { field: 'code', params: { code: input.code } });
    }
    const beforeMembers = (await membersOf(w.tx, [id])).get(id) ?? [];
    const { memberIds, ...fields } = input;
    const [row] = await w.tx
      .update(queues)
      .set({ ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)), updatedAt: w.now })
      .where(eq(queues.id, id))
      .returning();
    if (memberIds) await setMembers(w, id, memberIds);
    const afterMembers = memberIds ? [...new Set(memberIds)].sort() : beforeMembers;
    const view = queueView(row!, afterMembers);
    await w.changed({ entityType: 'queue', entityId: id, schema: QueueView, before: queueView(before, beforeMembers), after: view, event: 'queue.updated', audience: { permissions: ['conversations.read'] } });
    if (memberIds) await drainQueues(w, [id]);
    return view;
  });
}

// ---------- manual assignment and claiming ----------

export async function assignManually(ctx: Ctx, conversationId: string, input: { staffId: string | null; queueId?: string | null; note?: string | null }): Promise<ConversationRow> {
  return write(ctx, async (w) => {
    const conv = await findVisible(w.tx, ctx.actor, conversationId, { lock: true });
    if (conv.status === 'closed') throw ConversationError('closed');
    if (input.queueId) {
      const [q] = await w.tx.select({ id: queues.id }).from(queues).where(eq(queues.id, input.queueId)).limit(1);
      if (!q) throw RoutingError('queue_not_found', { field: 'queueId' });
    }
    if (input.staffId === null) return assign(w, conv, null, { code: 'unassigned', text: `由 ${ctx.actor.name} 退回队列` }, { queueId: input.queueId });
    const person = await servingStaff(w.tx, input.staffId).catch(() => Promise.reject(RoutingError('agent_not_found', { field: 'staffId' })));
    const note = input.note ? `：${input.note}` : '';
    return assign(w, conv, person.id, { code: 'manual', text: `由 ${ctx.actor.name} 指派${note}` }, { queueId: input.queueId });
  });
}

/** An agent takes waiting work from their queue themselves (认领); taking someone else's is a transfer. */
export async function claim(ctx: Ctx, conversationId: string): Promise<ConversationRow> {
  return write(ctx, async (w) => {
    const conv = await findVisible(w.tx, ctx.actor, conversationId, { lock: true });
    if (conv.status === 'closed') throw ConversationError('closed');
    if (conv.assigneeId === ctx.actor.id) return conv;
    if (conv.assigneeId) throw RoutingError('already_assigned');
    return assign(w, conv, ctx.actor.id, { code: 'claimed', text: `${ctx.actor.name} 主动认领` });
  });
}

/** Agents online right now, for the supervisor's wallboard and the customer's wait estimate. */
export async function onlineAgentIds(db: Executor): Promise<string[]> {
  const rows = await db.select({ id: agentStates.staffId }).from(agentStates).where(and(eq(agentStates.status, 'online'), isNotNull(agentStates.staffId)));
  return rows.map((r) => r.id);
}
