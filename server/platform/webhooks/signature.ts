import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The one signature scheme of Kefu's HTTP integrations, both ways: our outgoing webhooks sign
 * with it, and the CTI (phone system) webhook is checked with it. HMAC-SHA256 over
 * `${timestamp}.${body}`, sent as `t=<unix seconds>,v1=<hex>`; the timestamp lets the receiver
 * refuse replays.
 */
export const SIGNATURE_HEADER = 'x-kefu-signature';

/** How far a signature's timestamp may lie from the receiver's clock, either way. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const mac = (secret: string, body: string | Buffer, unixSeconds: number) => createHmac('sha256', secret).update(`${unixSeconds}.`).update(body).digest();

export function sign(secret: string, body: string | Buffer, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${mac(secret, body, unixSeconds).toString('hex')}`;
}

export interface Signature {
  t: number;
  /** Several when the sender signs with an old and a new secret during a rotation. */
  v1: string[];
}

/** Reads `t=…,v1=…[,v1=…]`; null when the header is not in that shape. */
export function parseSignature(header: string): Signature | null {
  let t: number | null = null;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq < 0) return null;
    if (key === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) v1.push(value.toLowerCase());
    else if (key === 't' || key === 'v1') return null;
  }
  return t === null || v1.length === 0 ? null : { t, v1 };
}

export function isFresh(sig: Signature, nowSeconds: number, toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS): boolean {
  return Math.abs(nowSeconds - sig.t) <= toleranceSeconds;
}

/** Constant-time: how much of a forged MAC was right must not show in the answer time. */
export function signatureMatches(secret: string, sig: Signature, body: string | Buffer): boolean {
  const expected = mac(secret, body, sig.t);
  return sig.v1.some((hex) => timingSafeEqual(expected, Buffer.from(hex, 'hex')));
}
