import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Links that act without a sign-in (a survey invitation) carry their own proof: what they are
 * for, which record, until when, and an HMAC-SHA256 over the three with the organisation's key.
 * The token is `<subject>.<expiry, unix seconds in base 36>.<MAC, base64url>`; the purpose is
 * signed but not sent, so a token made for one purpose is worthless for another.
 */
export interface SignedLink {
  subject: string;
  expiresAt: Date;
}

const SUBJECT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const EXPIRY = /^[0-9a-z]{1,9}$/;
const MAC = /^[A-Za-z0-9_-]{43}$/;

/** A new organisation key: 32 random bytes, hex. */
export function newSigningKey(): string {
  return randomBytes(32).toString('hex');
}

function mac(key: string, purpose: string, subject: string, expiry: string): Buffer {
  return createHmac('sha256', Buffer.from(key, 'hex')).update(`${purpose}\n${subject}\n${expiry}`).digest();
}

export function signLink(key: string, purpose: string, link: SignedLink): string {
  const expiry = Math.floor(link.expiresAt.getTime() / 1000).toString(36);
  return `${link.subject}.${expiry}.${mac(key, purpose, link.subject, expiry).toString('base64url')}`;
}

/**
 * The subject and expiry of a token signed with `key` for `purpose`; null for anything else
 * (malformed, forged, another purpose). Expiry is the caller's to judge against its clock.
 */
export function verifyLink(key: string, purpose: string, token: string): SignedLink | null {
  const [subject, expiry, given, ...rest] = token.split('.');
  if (rest.length > 0 || !subject || !expiry || !given || !SUBJECT.test(subject) || !EXPIRY.test(expiry) || !MAC.test(given)) return null;
  // Constant-time: how much of a forged MAC was right must not show in the answer time.
  if (!timingSafeEqual(mac(key, purpose, subject, expiry), Buffer.from(given, 'base64url'))) return null;
  return { subject, expiresAt: new Date(parseInt(expiry, 36) * 1000) };
}
