import type { Reply } from '../../api/client.ts';

type Status = Reply<'get', '/api/complaints'>['data'][number]['status'];

export const STATUS_COLOURS: Record<Status, string> = {
  accepted: 'gold',
  investigating: 'orange',
  proposed: 'purple',
  approved: 'cyan',
  implementing: 'blue',
  revisiting: 'geekblue',
  closed: 'default',
};

type Channel = Reply<'get', '/api/complaints'>['data'][number]['channel'];
type Severity = Reply<'get', '/api/complaints'>['data'][number]['severity'];
export const CHANNELS: readonly Channel[] = ['phone', 'chat', 'email', 'form', 'api', 'in_person', 'letter', 'regulator', 'other'];
export const SEVERITIES: readonly Severity[] = ['normal', 'major', 'critical'];
