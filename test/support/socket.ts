import type WebSocket from 'ws';
import { guarded } from './guard.ts';

export type Frame = { type: string; [k: string]: any };

/** One WebSocket (visitor or staff) and every frame it has read. */
export class Peer {
  readonly frames: Frame[] = [];
  private waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      this.frames.push(JSON.parse(String(raw)) as Frame);
      for (const w of [...this.waiters]) w();
    });
  }

  /** Resolves once `done` holds, checked on every frame read. */
  until<T>(what: string, done: () => T | undefined | false): Promise<T> {
    return guarded(what, (resolve) => {
      const check = () => {
        const v = done();
        if (!v) return;
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(v);
      };
      this.waiters.push(check);
      check();
    });
  }

  /** The first frame at or after index `from` that `accept` takes, already read or still to come. */
  next(accept: (f: Frame) => boolean, from = 0): Promise<Frame> {
    return this.until('a frame', () => this.frames.slice(from).find(accept));
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The server handles a connection's frames in order: when the pong is read, everything sent before it was handled. */
  async barrier(): Promise<void> {
    const from = this.frames.length;
    this.send({ type: 'ping' });
    await this.next((f) => f.type === 'pong', from);
  }

  of(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }
}
