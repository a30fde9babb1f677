import type { WebSocket } from 'ws';
import type { Clock } from '../clock.ts';
import type { Actor } from '../context.ts';
import { defineErrors } from '../errors.ts';
import type { EventBus } from '../events/bus.ts';
import type { Audience, DomainEvent } from '../events/outbox.ts';
import type { App } from '../http/app-types.ts';
import { iso } from '../http/schemas.ts';

export const RealtimeError = defineErrors('realtime', {
  upgrade_required: [426, { 'zh-CN': '请使用 WebSocket 连接此地址', 'zh-TW': '請使用 WebSocket 連線此位址', en: 'Connect to this address with a WebSocket' }],
});

/** Close codes the client acts on (documented in docs/realtime.md). */
export const CLOSE = { sessionEnded: 4401, permissionsChanged: 4409, goingAway: 1001 } as const;
const HEARTBEAT_MS = 30_000;

export function visibleTo(actor: Actor, audience: Audience): boolean {
  return Boolean(
    audience.permissions?.some((p) => actor.permissions.has(p)) ||
      (actor.id && audience.staffIds?.includes(actor.id)) ||
      (actor.teamId && audience.teamIds?.includes(actor.teamId)),
  );
}

/** What a socket's visibility rests on; a staff update that changes none of it (a new phone number) keeps the socket. */
function accessChanged(actor: Actor, staff: Record<string, unknown>): boolean {
  return staff.role !== actor.role || staff.status !== 'active' || staff.teamId !== actor.teamId || staff.departmentId !== actor.departmentId;
}

interface Client {
  socket: WebSocket;
  actor: Actor;
  alive: boolean;
}

/**
 * Pushes domain events to the consoles connected to this node. The event bus brings every
 * event to every node; each node sends a client only what its user may see (X2).
 */
export class RealtimeHub {
  private readonly clients = new Set<Client>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    bus: EventBus,
    private readonly clock: Clock,
  ) {
    bus.subscribe((e) => this.dispatch(e));
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS).unref();
  }

  get size(): number {
    return this.clients.size;
  }

  add(socket: WebSocket, actor: Actor): void {
    const client: Client = { socket, actor, alive: true };
    this.clients.add(client);
    socket.on('pong', () => (client.alive = true));
    socket.on('close', () => this.clients.delete(client));
    socket.on('message', (raw) => {
      let msg: { type?: unknown } | null = null;
      try {
        msg = JSON.parse(String(raw)) as { type?: unknown };
      } catch {
        // answered below
      }
      if (msg?.type === 'ping') this.send(client, { type: 'pong', at: iso(this.clock.now()) });
      else this.send(client, { type: 'error', code: 'realtime.unknown_message', message: '未知消息；客户端只可发送 {"type":"ping"}' });
    });
    this.send(client, { type: 'ready', staffId: actor.id, role: actor.role, at: iso(this.clock.now()) });
  }

  /**
   * An ephemeral signal (chat typing) that is never stored: sent to the clients on this node whose
   * user is in the audience. The sender fans it out to every node itself (see the chat gateway).
   */
  signal(frame: { type: string } & Record<string, unknown>, audience: Audience): void {
    for (const c of this.clients) if (visibleTo(c.actor, audience)) this.send(c, frame);
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const c of this.clients) c.socket.close(CLOSE.goingAway, 'server shutting down');
  }

  private send(client: Client, message: unknown): void {
    if (client.socket.readyState === client.socket.OPEN) client.socket.send(JSON.stringify(message));
  }

  private dispatch(e: DomainEvent): void {
    const now = this.clock.now();
    for (const c of this.clients) {
      const { actor } = c;
      const revoked = e.type === 'session.revoked' && ((actor.sessionId && e.data.sessionId === actor.sessionId) || (actor.tokenId && e.data.tokenId === actor.tokenId));
      if (revoked) {
        c.socket.close(CLOSE.sessionEnded, 'session revoked');
        continue;
      }
      if (actor.sessionExpiresAt && actor.sessionExpiresAt <= now) {
        c.socket.close(CLOSE.sessionEnded, 'session expired');
        continue;
      }
      // Role, placement or status changed: the client reconnects so its permissions are read afresh.
      if (e.type === 'staff.updated' && e.entityId === actor.id && accessChanged(actor, e.data)) {
        c.socket.close(CLOSE.permissionsChanged, 'permissions changed; reconnect');
        continue;
      }
      if (!visibleTo(actor, e.audience)) continue;
      this.send(c, {
        type: 'event',
        id: e.id,
        event: e.type,
        entity: { type: e.entityType, id: e.entityId },
        actorId: e.actorId,
        occurredAt: iso(e.occurredAt),
        data: e.data,
      });
    }
  }

  private beat(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        c.socket.terminate();
        continue;
      }
      c.alive = false;
      c.socket.ping();
    }
  }
}

export function realtimeRoutes(app: App, hub: RealtimeHub): void {
  app.route({
    method: 'GET',
    url: '/api/realtime',
    config: { access: 'authenticated' },
    schema: {
      tags: ['实时 Realtime'],
      summary: 'WebSocket：推送当前用户有权查看的领域事件',
      description: '以 WebSocket 连接（Authorization: Bearer 或登录 Cookie）。协议见 docs/realtime.md。普通 HTTP 请求返回 426。',
    },
    handler: async () => {
      throw RealtimeError('upgrade_required');
    },
    wsHandler: (socket, req) => hub.add(socket, req.ctx.actor),
  });
}
