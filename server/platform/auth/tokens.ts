import { createHash, randomBytes } from 'node:crypto';

/** Session tokens and API tokens differ by prefix, so one lookup knows which table to read. */
export const SESSION_PREFIX = 'kfs_';
export const API_TOKEN_PREFIX = 'kefu_';

export function newToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** Tokens are random and long, so a fast hash is enough; only the hash is stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
