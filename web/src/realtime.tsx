import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { sessionGone } from './api/client.ts';

/** An event frame of /api/realtime (docs/realtime.md): the entity's masked API view in `data`. */
export interface RealtimeEvent {
  type: 'event';
  id: number;
  event: string;
  entity: { type: string; id: string };
  actorId: string | null;
  occurredAt: string;
  data: Record<string, unknown> | null;
}
export interface TypingFrame {
  type: 'typing';
  conversationId: string;
  author: string;
  on: boolean;
  at: string;
}
type Frame = RealtimeEvent | TypingFrame | { type: 'ready' | 'pong' | 'error' };

export type RealtimeStatus = 'connecting' | 'open' | 'reconnecting';

interface Hub {
  status: RealtimeStatus;
  /** Grows on every (re)connection after the first: events in between were missed, so screens reload. */
  generation: number;
  subscribe(listener: (frame: RealtimeEvent | TypingFrame) => void): () => void;
}

const RealtimeContext = createContext<Hub | null>(null);

/** Retry delays after a drop, capped: a node restart or a network blip should not need a page reload. */
const BACKOFF_MS = [500, 1000, 2000, 5000, 10_000];

/**
 * The console's one WebSocket to /api/realtime, opened while signed in (the session cookie
 * authenticates it). It reconnects on its own; close code 4401 means the sign-in is gone.
 */
export function RealtimeProvider({ children }: { children: ReactNode }) {
  const listeners = useRef(new Set<(frame: RealtimeEvent | TypingFrame) => void>());
  const [status, setStatus] = useState<RealtimeStatus>('connecting');
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let socket: WebSocket | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let opened = false;
    let stopped = false;

    const connect = () => {
      const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/realtime`);
      socket = ws;
      ws.onmessage = (message) => {
        let frame: Frame;
        try {
          frame = JSON.parse(String(message.data)) as Frame;
        } catch {
          return;
        }
        if (frame.type === 'ready') {
          attempt = 0;
          setStatus('open');
          if (opened) setGeneration((g) => g + 1);
          opened = true;
        } else if (frame.type === 'event' || frame.type === 'typing') {
          for (const l of listeners.current) l(frame);
        }
      };
      ws.onclose = (closed) => {
        if (stopped) return;
        if (closed.code === 4401) {
          sessionGone();
          return;
        }
        setStatus('reconnecting');
        timer = setTimeout(connect, BACKOFF_MS[Math.min(attempt++, BACKOFF_MS.length - 1)]);
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      socket?.close(1000);
    };
  }, []);

  const hub = useRef<Hub>({ status, generation, subscribe: (l) => (listeners.current.add(l), () => listeners.current.delete(l)) });
  hub.current = { ...hub.current, status, generation };
  return <RealtimeContext.Provider value={hub.current}>{children}</RealtimeContext.Provider>;
}

function useHub(): Hub {
  const hub = useContext(RealtimeContext);
  if (!hub) throw new Error('realtime hooks outside RealtimeProvider');
  return hub;
}

/** The connection's state and its generation (a dependency for loaders that must reload after a gap). */
export function useRealtimeStatus(): { status: RealtimeStatus; generation: number } {
  const { status, generation } = useHub();
  return { status, generation };
}

/**
 * Calls `onEvent` for every event whose name matches (exact, or a prefix ending in `.`, e.g.
 * `conversation.`). The latest callback is used without resubscribing.
 */
export function useRealtimeEvents(names: readonly string[], onEvent: (event: RealtimeEvent) => void): void {
  const { subscribe } = useHub();
  const latest = useRef(onEvent);
  latest.current = onEvent;
  const key = names.join(',');
  useEffect(() => {
    const wanted = key.split(',');
    return subscribe((frame) => {
      if (frame.type !== 'event') return;
      if (wanted.some((n) => (n.endsWith('.') ? frame.event.startsWith(n) : frame.event === n))) latest.current(frame);
    });
  }, [subscribe, key]);
}

/** Calls `onReconnect` after every reconnection (not the first connection): events in between were missed. */
export function useReconnected(onReconnect: () => void): void {
  const { generation } = useHub();
  const first = useRef(generation);
  const latest = useRef(onReconnect);
  latest.current = onReconnect;
  useEffect(() => {
    if (generation !== first.current) latest.current();
  }, [generation]);
}

/**
 * A number that grows on every event named (as for useRealtimeEvents) and every reconnection: a
 * reload key for a screen showing what those events change (usePaged's `refresh`, a loader's dependency).
 */
export function useReloadKey(names: readonly string[]): number {
  const { generation } = useHub();
  const [events, setEvents] = useState(0);
  useRealtimeEvents(names, () => setEvents((n) => n + 1));
  return generation + events;
}

/** Typing frames of web-chat customers, for the conversation view. */
export function useTyping(onTyping: (frame: TypingFrame) => void): void {
  const { subscribe } = useHub();
  const latest = useRef(onTyping);
  latest.current = onTyping;
  useEffect(() => subscribe((frame) => frame.type === 'typing' && latest.current(frame)), [subscribe]);
}
