import type { Me, Reply } from '../../api/client.ts';
// One way to tell a cancelled load and to turn any failure into an ApiError, shared with every screen.
export { asApiError, isAbort } from '../../api/useLoad.tsx';

import { currentLanguage } from '../../i18n/index.ts';

export type Conversation = Reply<'get', '/api/conversations/{id}'>;
export type Message = Reply<'get', '/api/conversations/{id}/messages'>['data'][number];
export type Counts = Reply<'get', '/api/conversations/counts'>;
export type Queue = Reply<'get', '/api/queues'>[number];
export type Status = Conversation['status'];
export type Channel = Conversation['channel'];
export type Priority = Conversation['priority'];
export type SlaTarget = Reply<'get', '/api/conversations/{id}/sla-targets'>['data'][number];
export type Customer = Reply<'get', '/api/customers/{id}'>;
export type Policy = Reply<'get', '/api/policies/current'>['document'];
export type ProblemType = Policy['problemTypes'][number];
export type IntakeField = ProblemType['requiredFields'][number];

export const STATUSES: readonly Status[] = ['new', 'open', 'pending_customer', 'pending_internal', 'resolved', 'closed'];
export const ACTIVE: readonly Status[] = ['new', 'open', 'pending_customer', 'pending_internal'];
export const CHANNELS: readonly Channel[] = ['chat', 'email', 'phone', 'form', 'api'];
export const PRIORITIES: readonly Priority[] = ['urgent', 'high', 'normal', 'low'];
export const INTAKE_FIELDS: readonly IntakeField[] = ['orderNumber', 'productModel', 'serialNumber', 'problemDescription', 'contact'];

export const STATUS_COLOURS: Record<Status, string> = {
  new: 'blue',
  open: 'green',
  pending_customer: 'gold',
  pending_internal: 'orange',
  resolved: 'default',
  closed: 'default',
};
export const PRIORITY_COLOURS: Record<Priority, string> = { urgent: 'red', high: 'volcano', normal: 'default', low: 'default' };

/** The organisation's time zone: times read the same wherever the agent's browser is. */
const ORG_ZONE = 'Asia/Shanghai';

export function formatTime(iso: string | null | undefined, style: 'short' | 'full' = 'short'): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const sameDay = new Intl.DateTimeFormat('en-CA', { timeZone: ORG_ZONE }).format(d) === new Intl.DateTimeFormat('en-CA', { timeZone: ORG_ZONE }).format(new Date());
  const opts: Intl.DateTimeFormatOptions =
    style === 'short' && sameDay ? { timeStyle: 'short', timeZone: ORG_ZONE } : { dateStyle: style === 'short' ? 'short' : 'medium', timeStyle: 'short', timeZone: ORG_ZONE };
  return new Intl.DateTimeFormat(currentLanguage(), opts).format(d);
}

/** 3725 → "1:02:05", -90 → "-1:30": countdowns read like a clock. */
export function formatDuration(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  const s = Math.abs(Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${sign}${h}:${String(m).padStart(2, '0')}:${ss}` : `${sign}${m}:${ss}`;
}


/**
 * Whether the server's list for these filters would hold the conversation, judged from its view,
 * so realtime events keep a loaded list right without reloading it. A search can not be judged
 * here: while one is active, only rows already listed are updated.
 */
export interface InboxFilter {
  view: InboxView;
  status: Status[];
  channel: Channel | null;
  priority: Priority | null;
  problemType: string | null;
  /** One queue's conversations (from the inbox's list of queues). */
  queueId: string | null;
  q: string;
}
export const VIEWS = ['mine', 'unassigned', 'pending', 'active', 'followUps', 'done'] as const;
export type InboxView = (typeof VIEWS)[number];

/** What each view asks the server for. */
export function viewQuery(view: InboxView): { assignee?: 'me' | 'none'; status?: Status[]; flagged?: boolean } {
  switch (view) {
    case 'mine':
      return { assignee: 'me', status: [...ACTIVE] };
    case 'unassigned':
      return { assignee: 'none', status: [...ACTIVE] };
    case 'pending':
      return { assignee: 'me', status: ['pending_customer', 'pending_internal'] };
    case 'active':
      return { status: [...ACTIVE] };
    case 'followUps':
      return { assignee: 'me', status: [...ACTIVE], flagged: true };
    case 'done':
      return { assignee: 'me', status: ['resolved', 'closed'] };
  }
}

export function matchesFilter(me: Me, f: InboxFilter, c: Conversation): boolean {
  const v = viewQuery(f.view);
  const status = f.status.length ? f.status.filter((s) => !v.status || v.status.includes(s)) : v.status;
  if (status && !status.includes(c.status)) return false;
  if (v.assignee === 'me' && c.assigneeId !== me.id) return false;
  if (v.assignee === 'none' && c.assigneeId !== null) return false;
  if (v.flagged && !c.followUpDueAt) return false;
  if (f.channel && c.channel !== f.channel) return false;
  if (f.priority && c.priority !== f.priority) return false;
  if (f.problemType && c.problemType !== f.problemType) return false;
  if (f.queueId && c.queueId !== f.queueId) return false;
  return mayStillSee(me, c);
}

/**
 * An agent sees their own and waiting work; team events also tell them of colleagues' cases, and
 * a transfer tells them of the case they just gave away, which the server no longer shows them.
 */
export function mayStillSee(me: Me, c: Conversation): boolean {
  const seesOthers = me.permissions.includes('conversations.read_all') || me.role === 'team_lead';
  return seesOthers || c.assigneeId === me.id || c.assigneeId === null;
}

/** Ids are time-ordered: the server lists newest first by id, and so does the console. */
export const byIdDesc = (a: { id: string }, b: { id: string }) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/** True when a key press happens inside something the user types into. */
export function typingTarget(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) || el.getAttribute('role') === 'combobox';
}
