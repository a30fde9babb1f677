/**
 * Replays one whole phone call against a Kefu server, signed as a PBX signs it (CH4, docs/cti.md):
 * ringing → answered → held → resumed → ended → wrapped_up, with timestamps a real call would have.
 *
 *   node --import tsx scripts/replay-call.ts --url http://localhost:3000 --secret S \
 *     [--from 13800138000] [--to 4008001234] [--agent agent1] [--rings 3] [--ring-seconds 5] \
 *     [--talk 95] [--hold 10] [--wrap 30] [--call-id ID]
 *
 * The tests import `callEvents` and `replayCall`, so the demo and the test send the same call.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SIGNATURE_HEADER, sign } from '../server/platform/webhooks/signature.ts';

export interface CtiEvent {
  callId: string;
  type: 'ringing' | 'answered' | 'held' | 'resumed' | 'transferred' | 'ended' | 'wrapped_up';
  at: string;
  from: string;
  to: string;
  direction: 'inbound' | 'outbound';
  agent?: string;
  target?: string;
  eventId?: string;
}

export interface CallScript {
  callId: string;
  from: string;
  to: string;
  agent: string;
  /** Rings before the answer, each `ringSeconds` long (the policy's sla.phone.ringSeconds). */
  rings: number;
  ringSeconds: number;
  talk: number;
  hold: number;
  wrap: number;
  /** When the phone started ringing. */
  start: Date;
}

/** One inbound call as its PBX reports it; the answer comes halfway through the last ring. */
export function callEvents(s: CallScript): CtiEvent[] {
  const at = (seconds: number) => new Date(s.start.getTime() + seconds * 1000).toISOString();
  const answered = Math.round((s.rings - 0.5) * s.ringSeconds);
  const held = answered + Math.floor(s.talk / 2);
  const ended = answered + s.talk + s.hold;
  const steps: Array<[CtiEvent['type'], number, string | undefined]> = [
    ['ringing', 0, undefined],
    ['answered', answered, s.agent],
    ...(s.hold > 0
      ? [
          ['held', held, s.agent],
          ['resumed', held + s.hold, s.agent],
        ]
      : []),
    ['ended', ended, s.agent],
    ['wrapped_up', ended + s.wrap, s.agent],
  ] as Array<[CtiEvent['type'], number, string | undefined]>;
  return steps.map(([type, offset, agent], i) => ({
    callId: s.callId,
    type,
    at: at(offset),
    from: s.from,
    to: s.to,
    direction: 'inbound' as const,
    ...(agent ? { agent } : {}),
    eventId: `${s.callId}-${i + 1}-${type}`,
  }));
}

/** The JSON text and headers of one signed event; the signature covers exactly this text. */
export function signedEvent(secret: string, event: CtiEvent, now: Date): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(event);
  return { body, headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: sign(secret, body, Math.floor(now.getTime() / 1000)) } };
}

export type Post = (body: string, headers: Record<string, string>) => Promise<{ status: number; body: unknown }>;

/** Sends the events in order; stops at the first refusal and returns every answer. */
export async function replayCall(events: CtiEvent[], post: Post, secret: string, now: () => Date): Promise<Array<{ status: number; body: unknown }>> {
  const answers = [];
  for (const e of events) {
    const { body, headers } = signedEvent(secret, e, now());
    const answer = await post(body, headers);
    answers.push(answer);
    if (answer.status >= 300) break;
  }
  return answers;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'http://localhost:3000' },
      secret: { type: 'string' },
      from: { type: 'string', default: '13800138000' },
      to: { type: 'string', default: '4008001234' },
      agent: { type: 'string', default: 'agent1' },
      rings: { type: 'string', default: '3' },
      'ring-seconds': { type: 'string', default: '5' },
      talk: { type: 'string', default: '95' },
      hold: { type: 'string', default: '10' },
      wrap: { type: 'string', default: '30' },
      'call-id': { type: 'string' },
    },
  });
  const secret = values.secret ?? process.env.KEFU_CTI_SECRET;
  if (!secret) throw new Error('--secret (or KEFU_CTI_SECRET) is required: the server refuses unsigned events');
  const count = (name: 'rings' | 'ring-seconds' | 'talk' | 'hold' | 'wrap', min: number) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${values[name]}"`);
    return n;
  };
  const script = {
    callId: values['call-id'] ?? `replay-${randomBytes(6).toString('hex')}`,
    from: values.from,
    to: values.to,
    agent: values.agent,
    rings: count('rings', 1),
    ringSeconds: count('ring-seconds', 1),
    talk: count('talk', 0),
    hold: count('hold', 0),
    wrap: count('wrap', 0),
  };
  // The call has just finished: its last event is now.
  const answered = Math.round((script.rings - 0.5) * script.ringSeconds);
  const start = new Date(Date.now() - (answered + script.talk + script.hold + script.wrap) * 1000);
  const events = callEvents({ ...script, start });
  const endpoint = `${values.url.replace(/\/$/, '')}/api/cti/events`;
  const answers = await replayCall(
    events,
    async (body, headers) => {
      const res = await fetch(endpoint, { method: 'POST', headers, body });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    secret,
    () => new Date(),
  );
  answers.forEach((a, i) => console.log(`${events[i]!.type.padEnd(11)} ${events[i]!.at}  → HTTP ${a.status}`));
  const last = answers.at(-1)!;
  if (last.status >= 300) {
    console.error(JSON.stringify(last.body, null, 2));
    process.exitCode = 1;
    return;
  }
  const call = (last.body as { call: Record<string, unknown> }).call;
  console.log(
    `通话 ${script.callId}：振铃 ${call.ringSeconds} 秒（${call.rings} 声），通话 ${call.talkSeconds} 秒，保持 ${call.holdSeconds} 秒，话后 ${call.wrapSeconds} 秒，AHT ${call.handlingSeconds} 秒；会话 ${call.conversationId}`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
