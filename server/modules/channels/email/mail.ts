import { createHash } from 'node:crypto';
import { simpleParser, type HeaderValue, type ParsedMail } from 'mailparser';
import { maskEmail } from '../../../platform/pii/mask.ts';

/** One inbound mail, decoded and cleaned, before it is matched to a conversation. */
export interface InboundMail {
  /** auto_reply: out-of-office and other automatic answers; bounce: a delivery failure report. */
  kind: 'mail' | 'auto_reply' | 'bounce';
  /** With angle brackets; synthesised from the content when the mail has none (or an unusable one). */
  messageId: string;
  inReplyTo: string | null;
  /** Oldest first. */
  references: string[];
  fromAddress: string | null;
  fromName: string | null;
  /** One line, no control characters; '' when the mail has none. */
  subject: string;
  /** The whole text (the text part, or the HTML part converted), quoted history included. */
  text: string;
  attachments: Array<{ fileName: string; bytes: Buffer }>;
  bounce: BounceReport | null;
}

export interface BounceReport {
  /** Message-IDs of the returned message, as quoted in the report. */
  originalMessageIds: string[];
  recipient: string | null;
  status: string | null;
  diagnostic: string | null;
}

/** A mail refused with a permanent SMTP error; `enhanced` is the RFC 3463 status code. */
export class MailRejected extends Error {
  constructor(
    readonly responseCode: number,
    readonly enhanced: string,
    message: string,
  ) {
    super(message);
  }
}

/** Room for base64 (4/3) and the headers and text around the largest allowed attachment. */
export function maxMailBytes(attachmentMaxBytes: number): number {
  return Math.ceil(attachmentMaxBytes * 1.4) + 1024 * 1024;
}

const MAX_ID_LENGTH = 250;
const MAX_REFERENCES = 50;
const MAX_SUBJECT = 300;

/** `<id>` from a header value, or null when there is no usable one. */
export function normaliseMessageId(value: string | null | undefined): string | null {
  if (!value) return null;
  const m = value.match(/<([^<>\s]+)>/) ?? value.trim().match(/^([^<>\s]+)$/);
  if (!m) return null;
  // The unique index cannot hold an id of any length; an overlong one is replaced by a stable stand-in.
  return m[1]!.length > MAX_ID_LENGTH ? `<long.${sha256(m[1]!).slice(0, 40)}@kefu.invalid>` : `<${m[1]}>`;
}

function idList(value: string | string[] | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(' ') : (value ?? '');
  const ids = (joined.match(/<[^<>\s]+>/g) ?? []).map((v) => normaliseMessageId(v)!).filter((v) => v.length <= MAX_ID_LENGTH + 2);
  return [...new Set(ids)].slice(-MAX_REFERENCES);
}

function sha256(s: string | Buffer): string {
  return createHash('sha256').update(s).digest('hex');
}

/** PostgreSQL text holds no NUL; other control characters are noise in a message (tabs and newlines stay). */
export function cleanText(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .replace(/[ \t]+$/gm, '')
    .trim();
}

/** One line: a CR or LF smuggled into a subject or name must never become a header of a reply. */
export function cleanLine(s: string, max = MAX_SUBJECT): string {
  return [...s.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim()].slice(0, max).join('');
}

/** Delivery errors and notes are shown and pushed unmasked, so the addresses in them are masked (a***@example.com). */
export function maskAddresses(s: string): string {
  return s.replace(/[^\s<>"'();,:\[\]]+@[^\s<>"'();,:\[\]]+/g, (a) => maskEmail(a));
}

function headerString(v: HeaderValue | undefined): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && 'value' in v && typeof v.value === 'string') return v.value;
  return String(v);
}

/** 休假 only as a marker (休假中, 休假通知, 【休假】): a customer may well write about a holiday. */
const AUTO_SUBJECT = /^\s*(自动回复|自動回覆|自动答复|auto[- ]?reply|automatic reply|autoreply|out of (the )?office|休假(中|通知|自动回复)|[【\[]\s*休假)|(自动回复|自動回覆|auto[- ]?reply)\s*[:：]/i;

/** RFC 3834 and the de-facto headers of out-of-office replies and list mail. */
function isAutoReply(mail: ParsedMail): boolean {
  const h = mail.headers;
  const submitted = headerString(h.get('auto-submitted')).trim().toLowerCase();
  if (submitted && !submitted.startsWith('no')) return true;
  if (h.has('x-autoreply') || h.has('x-autorespond') || h.has('x-autoresponse')) return true;
  if (/^(bulk|junk|auto_reply)$/i.test(headerString(h.get('precedence')).trim())) return true;
  return AUTO_SUBJECT.test(mail.subject ?? '');
}

function isReport(mail: ParsedMail): boolean {
  const ct = mail.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
  return ct?.value === 'multipart/report' && /delivery-status/i.test(ct.params?.['report-type'] ?? '');
}

/**
 * What a delivery report says about the returned message. The report's parts are read as text
 * from the raw mail: mailparser folds the machine-readable part into `text` and keeps the
 * returned headers as an attachment, so the raw source is the one place they are all found.
 */
function readBounce(raw: Buffer, mail: ParsedMail): BounceReport {
  const source = raw.subarray(0, 2 * 1024 * 1024).toString('latin1');
  const bodyStart = source.search(/\r?\n\r?\n/);
  const body = bodyStart >= 0 ? source.slice(bodyStart) : '';
  const ids = [...body.matchAll(/^(?:Original-)?Message-ID[ \t]*:\s*(<[^<>\s]+>)/gim)].map((m) => normaliseMessageId(m[1])!);
  const recipient =
    body.match(/^(?:Final|Original)-Recipient[ \t]*:[^;\n]*;\s*<?([^\s<>]+@[^\s<>]+)>?/im)?.[1] ?? headerString(mail.headers.get('x-failed-recipients')).split(',')[0]!.trim();
  const status = body.match(/^Status[ \t]*:\s*([245]\.\d{1,3}\.\d{1,3})/im)?.[1] ?? null;
  const diagnostic = body.match(/^Diagnostic-Code[ \t]*:\s*(?:[^;\n]*;)?\s*(.+(?:\r?\n[ \t]+.+)*)/im)?.[1] ?? null;
  return {
    originalMessageIds: [...new Set(ids)].slice(0, 20),
    recipient: recipient ? cleanLine(recipient, 200).toLowerCase() : null,
    status,
    diagnostic: diagnostic ? cleanLine(diagnostic, 300) : null,
  };
}

function kindOf(mail: ParsedMail, fromAddress: string | null, envelopeFrom: string | null): InboundMail['kind'] {
  if (isReport(mail)) return 'bounce';
  // Auto-replies are often sent with an empty return path too (RFC 3834), so they are told apart first.
  if (isAutoReply(mail)) return 'auto_reply';
  if (!envelopeFrom || /^(mailer-daemon|postmaster)@/i.test(fromAddress ?? '') || mail.headers.has('x-failed-recipients')) return 'bounce';
  return 'mail';
}

/**
 * Decodes a raw mail (any charset mailparser knows, base64 or quoted-printable) into an
 * InboundMail. Mails the parser cannot take apart are refused with 554.
 */
export async function parseMail(raw: Buffer, envelopeFrom: string | null): Promise<InboundMail> {
  let mail: ParsedMail;
  try {
    mail = await simpleParser(raw, { skipImageLinks: true, skipTextLinks: true, skipTextToHtml: true });
  } catch (err) {
    throw new MailRejected(554, '5.6.0', `Malformed message: ${cleanLine(err instanceof Error ? err.message : String(err), 200)}`);
  }
  const from = mail.from?.value.find((a) => a.address && a.address.includes('@'));
  const fromAddress = (from?.address ? cleanLine(from.address, 254) : envelopeFrom?.includes('@') ? cleanLine(envelopeFrom, 254) : '').toLowerCase() || null;
  const fromName = from?.name ? cleanLine(from.name, 100) || null : null;
  const kind = kindOf(mail, fromAddress, envelopeFrom);
  const subject = cleanLine(mail.subject ?? '');
  const text = cleanText(mail.text ?? '');
  const messageId =
    normaliseMessageId(mail.messageId) ??
    // The same mail delivered twice still gets the same stand-in, so it is stored once.
    `<missing.${sha256([fromAddress, subject, mail.headerLines.find((l) => l.key === 'date')?.line ?? '', text].join('\n')).slice(0, 40)}@kefu.invalid>`;
  return {
    kind,
    messageId,
    inReplyTo: idList(mail.inReplyTo)[0] ?? null,
    references: idList(mail.references),
    fromAddress,
    fromName,
    subject,
    text,
    attachments: kind === 'mail' ? mail.attachments.map((a, i) => ({ fileName: cleanLine(a.filename ?? '', 200) || `附件${i + 1}`, bytes: a.content })) : [],
    bounce: kind === 'bounce' ? readBounce(raw, mail) : null,
  };
}
