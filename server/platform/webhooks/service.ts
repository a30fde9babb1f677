import { randomBytes } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { and, desc, eq, lt } from 'drizzle-orm';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/columns.ts';
import type { Ctx } from '../context.ts';
import { defineErrors } from '../errors.ts';
import type { EventBus } from '../events/bus.ts';
import { declareEventTypes, eventTypeCatalogue, type Audience, type DomainEvent } from '../events/outbox.ts';
import { events } from '../events/schema.ts';
import { Nullable, Timestamp, Uuid, iso } from '../http/schemas.ts';
import { scheduleJob, type JobRunner } from '../jobs/runner.ts';
import { write, type Writer } from '../write.ts';
import { webhookDeliveries, webhooks } from './schema.ts';
import { SIGNATURE_HEADER, sign } from './signature.ts';

export const WebhookError = defineErrors('webhooks', {
  not_found: [404, { 'zh-CN': 'Webhook 不存在', 'zh-TW': 'Webhook 不存在', en: 'Webhook not found' }],
  unknown_event_type: [400, { 'zh-CN': '未知事件类型：{type}', 'zh-TW': '未知事件類型：{type}', en: 'Unknown event type: {type}' }],
  delivery_not_found: [404, { 'zh-CN': '投递记录不存在', 'zh-TW': '投遞紀錄不存在', en: 'Delivery not found' }],
  inactive: [409, { 'zh-CN': 'Webhook 已停用，请先启用再重新投递', 'zh-TW': 'Webhook 已停用，請先啟用再重新投遞', en: 'The webhook is disabled; enable it before redelivering' }],
});

declareEventTypes({
  'webhook.created': 'Webhook 已创建',
  'webhook.updated': 'Webhook 已更新',
  'webhook.deleted': 'Webhook 已删除',
});

export const DELIVER_JOB = 'webhook.deliver';
const AUDIENCE: Audience = { permissions: ['webhooks.manage'] };
const USER_AGENT = 'Kefu-Webhooks/1';

export const WebhookView = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    url: Type.String(),
    eventTypes: Type.Array(Type.String()),
    active: Type.Boolean(),
    secretPreview: Type.String({ description: '签名密钥的开头，便于辨认；完整密钥只在创建或轮换时返回一次' }),
    createdBy: Nullable(Uuid),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'Webhook' },
);
type WebhookView = Static<typeof WebhookView>;

export const DeliveryView = Type.Object(
  {
    id: Uuid,
    webhookId: Uuid,
    eventId: Nullable(Type.Integer()),
    eventType: Type.String(),
    attempt: Type.Integer(),
    outcome: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
    responseStatus: Nullable(Type.Integer()),
    responseBody: Nullable(Type.String()),
    error: Nullable(Type.String()),
    durationMs: Type.Integer(),
    at: Timestamp,
  },
  { title: 'WebhookDelivery' },
);

type Row = typeof webhooks.$inferSelect;

export function webhookView(r: Row): WebhookView {
  return {
    id: r.id,
    name: r.name,
    url: r.url,
    eventTypes: r.eventTypes,
    active: r.active,
    secretPreview: `${r.secret.slice(0, 10)}…`,
    createdBy: r.createdBy,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

export function deliveryView(r: typeof webhookDeliveries.$inferSelect): Static<typeof DeliveryView> {
  return { ...r, outcome: r.outcome as 'succeeded' | 'failed', at: iso(r.at) };
}

/** `*`, an exact type, or a prefix such as `staff.*`. */
export function matches(patterns: string[], type: string): boolean {
  return patterns.some((p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
}

function assertKnownPatterns(patterns: string[]): void {
  const known = [...eventTypeCatalogue().keys()];
  patterns.forEach((p, i) => {
    if (!known.some((t) => matches([p], t))) throw WebhookError('unknown_event_type', { field: `eventTypes.${i}`, params: { type: p } });
  });
}

const newSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

async function find(db: Executor, id: string): Promise<Row> {
  const [row] = await db.select().from(webhooks).where(eq(webhooks.id, id)).limit(1);
  if (!row) throw WebhookError('not_found');
  return row;
}

export async function listWebhooks(ctx: Ctx, beforeId: string | undefined, limit: number) {
  return ctx.db
    .select()
    .from(webhooks)
    .where(beforeId ? lt(webhooks.id, beforeId) : undefined)
    .orderBy(desc(webhooks.id))
    .limit(limit + 1);
}

export async function getWebhook(ctx: Ctx, id: string): Promise<WebhookView> {
  return webhookView(await find(ctx.db, id));
}

export interface WebhookInput {
  name: string;
  url: string;
  eventTypes: string[];
  active?: boolean;
}

export async function createWebhook(ctx: Ctx, input: WebhookInput): Promise<WebhookView & { secret: string }> {
  assertKnownPatterns(input.eventTypes);
  return write(ctx, async (w) => {
    const [row] = await w.tx
      .insert(webhooks)
      .values({ id: newId(), ...input, active: input.active ?? true, secret: newSecret(), createdBy: ctx.actor.id, createdAt: w.now, updatedAt: w.now })
      .returning();
    const after = webhookView(row!);
    await w.changed({ entityType: 'webhook', entityId: after.id, schema: WebhookView, before: null, after, event: 'webhook.created', audience: AUDIENCE });
    return { ...after, secret: row!.secret };
  });
}

export async function updateWebhook(ctx: Ctx, id: string, patch: Partial<WebhookInput> & { rotateSecret?: boolean }): Promise<WebhookView & { secret?: string }> {
  if (patch.eventTypes) assertKnownPatterns(patch.eventTypes);
  return write(ctx, async (w) => {
    const before = webhookView(await find(w.tx, id));
    const { rotateSecret, ...fields } = patch;
    const secret = rotateSecret ? newSecret() : undefined;
    const [row] = await w.tx
      .update(webhooks)
      .set({ ...fields, ...(secret ? { secret } : {}), updatedAt: w.now })
      .where(eq(webhooks.id, id))
      .returning();
    const after = webhookView(row!);
    await w.changed({ entityType: 'webhook', entityId: id, schema: WebhookView, before, after, event: 'webhook.updated', audience: AUDIENCE });
    return secret ? { ...after, secret } : after;
  });
}

export async function deleteWebhook(ctx: Ctx, id: string): Promise<void> {
  await write(ctx, async (w) => {
    const before = webhookView(await find(w.tx, id));
    await w.tx.delete(webhooks).where(eq(webhooks.id, id));
    await w.changed({ entityType: 'webhook', entityId: id, schema: WebhookView, before, after: null, event: 'webhook.deleted', audience: AUDIENCE });
  });
}

export async function listDeliveries(ctx: Ctx, webhookId: string, beforeId: string | undefined, limit: number) {
  await find(ctx.db, webhookId);
  return ctx.db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.webhookId, webhookId), beforeId ? lt(webhookDeliveries.id, beforeId) : undefined))
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit + 1);
}

/** A test delivery an administrator triggers to check the receiver. */
export async function ping(ctx: Ctx, id: string): Promise<void> {
  await find(ctx.db, id);
  await write(ctx, (w) => scheduleJob(w, { kind: DELIVER_JOB, payload: { webhookId: id, eventId: null } }));
}

/**
 * Sends a logged delivery's event again, as a new job with fresh attempts. An event keeps its
 * delivery id in the headers, so a receiver that already processed it can drop the copy; a ping
 * is simply pinged again.
 */
export async function redeliver(ctx: Ctx, webhookId: string, deliveryId: string): Promise<void> {
  const hook = await find(ctx.db, webhookId);
  const [delivery] = await ctx.db
    .select({ eventId: webhookDeliveries.eventId })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.webhookId, webhookId)))
    .limit(1);
  if (!delivery) throw WebhookError('delivery_not_found');
  // A paused webhook's job would send nothing; say so instead of queueing in vain.
  if (!hook.active) throw WebhookError('inactive');
  await write(ctx, (w) => scheduleJob(w, { kind: DELIVER_JOB, payload: { webhookId, eventId: delivery.eventId } }));
}

const LOGGED_ANSWER_BYTES = 2048;

/**
 * The first 2 KB of a receiver's answer, for the delivery log. Reads no further, so a huge or
 * endless answer neither fills memory nor turns a 2xx into a timeout; NUL is dropped because
 * PostgreSQL text cannot hold it.
 */
async function answerHead(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < LOGGED_ANSWER_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // a broken answer body still leaves its status to log
  } finally {
    reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, LOGGED_ANSWER_BYTES).toString('utf8').replaceAll('\0', '');
}

interface Envelope {
  id: string;
  type: string;
  occurredAt: string;
  entity: { type: string; id: string | null };
  actorId: string | null;
  data: Record<string, unknown>;
}

function envelope(e: DomainEvent): Envelope {
  return { id: String(e.id), type: e.type, occurredAt: iso(e.occurredAt), entity: { type: e.entityType, id: e.entityId }, actorId: e.actorId, data: e.data };
}

/**
 * Wires webhooks into the platform: a durable consumer turns each event into one delivery
 * job per matching webhook, and the job posts it, retrying with backoff until it succeeds.
 */
export function installWebhooks(bus: EventBus, runner: JobRunner, opts: { timeoutMs: number }): void {
  // The bus hands a consumer one Writer per batch: read the active webhooks once per batch, not per event.
  const activeByBatch = new WeakMap<Writer, Promise<Array<{ id: string; eventTypes: string[] }>>>();
  bus.consume('webhooks', async (w, e) => {
    let active = activeByBatch.get(w);
    if (!active) {
      active = w.tx.select({ id: webhooks.id, eventTypes: webhooks.eventTypes }).from(webhooks).where(eq(webhooks.active, true));
      activeByBatch.set(w, active);
    }
    for (const h of await active) {
      if (matches(h.eventTypes, e.type)) await scheduleJob(w, { kind: DELIVER_JOB, payload: { webhookId: h.id, eventId: e.id } });
    }
  });

  runner.register(
    DELIVER_JOB,
    async (payload, jc) => {
      const db = jc.ctx.db;
      const [hook] = await db.select().from(webhooks).where(eq(webhooks.id, String(payload.webhookId))).limit(1);
      if (!hook || (!hook.active && payload.eventId !== null)) return; // deleted or paused: nothing to send
      let body: Envelope;
      if (payload.eventId === null) {
        body = { id: `ping-${jc.job.id}`, type: 'webhook.ping', occurredAt: iso(jc.ctx.clock.now()), entity: { type: 'webhook', id: hook.id }, actorId: null, data: {} };
      } else {
        const [row] = await db.select().from(events).where(eq(events.id, Number(payload.eventId))).limit(1);
        if (!row) return;
        body = envelope({ ...row, data: row.data as Record<string, unknown>, audience: row.audience as Audience });
      }
      const text = JSON.stringify(body);
      const started = Date.now();
      let status: number | null = null;
      let responseBody: string | null = null;
      let error: string | null = null;
      try {
        const res = await fetch(hook.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': USER_AGENT,
            'x-kefu-event': body.type,
            'x-kefu-delivery': `${body.id}:${hook.id}`,
            'x-kefu-attempt': String(jc.job.attempts),
            [SIGNATURE_HEADER]: sign(hook.secret, text, Math.floor(jc.ctx.clock.now().getTime() / 1000)),
          },
          body: text,
          redirect: 'manual',
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
        status = res.status;
        responseBody = await answerHead(res);
        if (status < 200 || status >= 300) error = `HTTP ${status}`;
      } catch (err) {
        error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      }
      const log = {
        id: newId(),
        webhookId: hook.id,
        eventId: payload.eventId === null ? null : Number(payload.eventId),
        eventType: body.type,
        attempt: jc.job.attempts,
        responseStatus: status,
        responseBody,
        error,
        durationMs: Date.now() - started,
        at: jc.ctx.clock.now(),
      };
      if (error) {
        await db.insert(webhookDeliveries).values({ ...log, outcome: 'failed' });
        throw new Error(error); // the runner retries with backoff
      }
      await jc.complete((w) => w.tx.insert(webhookDeliveries).values({ ...log, outcome: 'succeeded' }));
    },
    { backoffMs: 10_000, maxBackoffMs: 3_600_000 },
  );
}
