import path from 'node:path';
import os from 'node:os';
import { MIN_PASSWORD_LENGTH } from './platform/auth/passwords.ts';

/** Every environment variable Kefu reads. README's table is generated from this list (see test/readme.test.ts). */
export const ENV_VARS = {
  PORT: { default: '3000', doc: 'HTTP port' },
  HOST: { default: '0.0.0.0', doc: 'Interface to listen on' },
  KEFU_PUBLIC_URL: { default: 'http://localhost:$PORT', doc: 'URL printed in the banner and used in links sent to customers' },
  DATABASE_URL: { default: '', doc: 'PostgreSQL connection string; when empty the embedded PGlite database is used' },
  KEFU_DB_POOL_SIZE: { default: '10', doc: 'PostgreSQL connections per node (plus one for LISTEN)' },
  KEFU_DATA_DIR: { default: './data', doc: 'Data directory (embedded database, uploaded files)' },
  KEFU_PRESET: { default: 'call-center', doc: 'Preset loaded on first start when the database is empty' },
  KEFU_DEMO: { default: 'true', doc: 'Load demo data (demo accounts) on first start' },
  KEFU_DEMO_PASSWORD: { default: 'kefu-demo', doc: 'Password of the demo accounts created on first start' },
  KEFU_ADMIN_PASSWORD: { default: '', doc: 'Password of the `admin` account when no demo data is loaded; generated and printed once when empty' },
  KEFU_SESSION_TTL_HOURS: { default: '12', doc: 'Hours a login session stays valid' },
  KEFU_BODY_LIMIT: { default: '1048576', doc: 'Largest accepted request body in bytes' },
  KEFU_RATE_LIMIT: { default: '1200', doc: 'Requests per minute per client (token or IP) on each node; 0 disables' },
  KEFU_LOGIN_RATE_LIMIT: { default: '300', doc: 'Login attempts per minute per IP on each node (a whole shift may sign in from one office address; per-account lockout stops guessing)' },
  KEFU_NODE_ID: { default: '$HOSTNAME-$PID', doc: 'Name of this node in job claims and logs' },
  KEFU_JOB_POLL_MS: { default: '1000', doc: 'How often a node looks for due jobs and new events when not woken by NOTIFY' },
  KEFU_WEBHOOK_TIMEOUT_MS: { default: '10000', doc: 'Timeout of one webhook delivery attempt' },
  KEFU_TRUST_PROXY: { default: 'false', doc: 'Trust X-Forwarded-* headers (set behind a load balancer)' },
  KEFU_LOG_LEVEL: { default: 'info', doc: 'Log level: fatal, error, warn, info, debug, trace, silent' },
  KEFU_ATTACHMENT_MAX_BYTES: { default: '20971520', doc: 'Largest attachment, call recording or import file in bytes' },
  KEFU_MESSAGE_MAX_CHARS: { default: '5000', doc: 'Longest message body (chat, email text, notes) in characters' },
  KEFU_SMTP_PORT: { default: '0', doc: 'Port of the built-in SMTP receiver for inbound email; 0 turns it off' },
  KEFU_MAIL_DOMAIN: { default: 'kefu.localhost', doc: 'Domain of the support mailbox: inbound mail to it is accepted, outbound Message-IDs use it' },
  KEFU_MAIL_FROM: { default: 'Kefu 客服 <support@kefu.localhost>', doc: 'From address of replies sent to customers' },
  KEFU_SMTP_RELAY_URL: { default: '', doc: 'Outbound SMTP server for replies, e.g. smtp://user:pass@mail.example.com:587; empty keeps replies unsent (marked failed)' },
  KEFU_CTI_SECRET: { default: '', doc: 'Shared secret that signs CTI (phone system) webhooks; empty turns the CTI endpoint off' },
} as const;

export type EnvName = keyof typeof ENV_VARS;

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl: string | null;
  dbPoolSize: number;
  dataDir: string;
  preset: string;
  demo: boolean;
  demoPassword: string;
  adminPassword: string | null;
  sessionTtlMs: number;
  bodyLimit: number;
  rateLimit: number;
  loginRateLimit: number;
  nodeId: string;
  jobPollMs: number;
  webhookTimeoutMs: number;
  trustProxy: boolean;
  logLevel: string;
  attachmentMaxBytes: number;
  messageMaxChars: number;
  smtpPort: number;
  mailDomain: string;
  mailFrom: string;
  smtpRelayUrl: string | null;
  ctiSecret: string | null;
}

export class ConfigError extends Error {}

/** Node's timers fire at once when given more than this, so no interval or timeout may exceed it. */
const MAX_TIMER_MS = 2_147_483_647;
/** Integrations that need longer than a year use API tokens, not sessions. */
const MAX_SESSION_HOURS = 366 * 24;

// Digits only: Number() would also take "1e3", "0x10" and " ", which nobody means as a port or a size.
function int(name: EnvName, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

function password(name: EnvName, raw: string): string {
  if ([...raw].length < MIN_PASSWORD_LENGTH) throw new ConfigError(`${name} must be at least ${MIN_PASSWORD_LENGTH} characters long`);
  return raw;
}

function httpUrl(name: EnvName, raw: string): string {
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  if (!url || !/^https?:$/.test(url.protocol)) throw new ConfigError(`${name} must be an http:// or https:// URL, got "${raw}"`);
  return raw.replace(/\/$/, '');
}

function bool(name: EnvName, raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const get = (name: EnvName) => {
    const v = env[name];
    return v === undefined || v === '' ? ENV_VARS[name].default : v;
  };
  const port = int('PORT', get('PORT'), 0, 65535);
  const logLevel = get('KEFU_LOG_LEVEL');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`KEFU_LOG_LEVEL "${logLevel}" is not a log level`);
  }
  const publicUrl = env.KEFU_PUBLIC_URL ? httpUrl('KEFU_PUBLIC_URL', env.KEFU_PUBLIC_URL) : `http://localhost:${port}`;
  return {
    port,
    host: get('HOST'),
    publicUrl,
    databaseUrl: env.DATABASE_URL || null,
    dbPoolSize: int('KEFU_DB_POOL_SIZE', get('KEFU_DB_POOL_SIZE'), 1),
    dataDir: path.resolve(get('KEFU_DATA_DIR')),
    preset: get('KEFU_PRESET'),
    demo: bool('KEFU_DEMO', get('KEFU_DEMO')),
    demoPassword: password('KEFU_DEMO_PASSWORD', get('KEFU_DEMO_PASSWORD')),
    adminPassword: env.KEFU_ADMIN_PASSWORD ? password('KEFU_ADMIN_PASSWORD', env.KEFU_ADMIN_PASSWORD) : null,
    sessionTtlMs: int('KEFU_SESSION_TTL_HOURS', get('KEFU_SESSION_TTL_HOURS'), 1, MAX_SESSION_HOURS) * 3_600_000,
    bodyLimit: int('KEFU_BODY_LIMIT', get('KEFU_BODY_LIMIT'), 1024),
    rateLimit: int('KEFU_RATE_LIMIT', get('KEFU_RATE_LIMIT'), 0),
    loginRateLimit: int('KEFU_LOGIN_RATE_LIMIT', get('KEFU_LOGIN_RATE_LIMIT'), 1),
    nodeId: env.KEFU_NODE_ID || `${os.hostname()}-${process.pid}`,
    jobPollMs: int('KEFU_JOB_POLL_MS', get('KEFU_JOB_POLL_MS'), 10, MAX_TIMER_MS),
    webhookTimeoutMs: int('KEFU_WEBHOOK_TIMEOUT_MS', get('KEFU_WEBHOOK_TIMEOUT_MS'), 100, MAX_TIMER_MS),
    trustProxy: bool('KEFU_TRUST_PROXY', get('KEFU_TRUST_PROXY')),
    logLevel,
    attachmentMaxBytes: int('KEFU_ATTACHMENT_MAX_BYTES', get('KEFU_ATTACHMENT_MAX_BYTES'), 1024),
    messageMaxChars: int('KEFU_MESSAGE_MAX_CHARS', get('KEFU_MESSAGE_MAX_CHARS'), 100, 1_000_000),
    smtpPort: int('KEFU_SMTP_PORT', get('KEFU_SMTP_PORT'), 0, 65535),
    mailDomain: get('KEFU_MAIL_DOMAIN'),
    mailFrom: get('KEFU_MAIL_FROM'),
    smtpRelayUrl: env.KEFU_SMTP_RELAY_URL || null,
    ctiSecret: env.KEFU_CTI_SECRET || null,
  };
}
