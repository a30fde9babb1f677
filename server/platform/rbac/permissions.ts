/**
 * The one permission table (O2). Each route names one permission (or `public` /
 * `authenticated`) in its config; this table says which roles hold it. Nothing else grants access.
 */
export const ROLES = [
  'agent',
  'team_lead',
  'qa',
  'trainer',
  'engineer',
  'manager',
  'general_manager',
  'admin',
  'partner',
] as const;
export type Role = (typeof ROLES)[number];

/** Everyone on the service side; partner-department staff see only what is handed to them. */
const SERVICE_STAFF = ROLES.filter((r) => r !== 'partner');
const MANAGEMENT = ['manager', 'general_manager', 'admin'] as const satisfies readonly Role[];
/** Who serves customers: QA and trainers read conversations but do not answer them. */
const FRONT_LINE = ['agent', 'team_lead', 'engineer', ...MANAGEMENT] as const satisfies readonly Role[];

export const PERMISSIONS = {
  'org.read': SERVICE_STAFF,
  'org.manage': ['general_manager', 'admin'],
  'staff.level.manage': MANAGEMENT,
  'staff.password.reset': ['admin'],
  'sessions.manage': ['admin'],
  'api_tokens.manage': ['admin'],
  'audit.read': MANAGEMENT,
  'pii.reveal': ['team_lead', ...MANAGEMENT],
  'policy.read': SERVICE_STAFF,
  'policy.draft': MANAGEMENT,
  'policy.approve': ['general_manager', 'admin'],
  'policy.publish': ['general_manager', 'admin'],
  'presets.read': ['general_manager', 'admin'],
  'webhooks.manage': ['admin'],
  'customers.read': SERVICE_STAFF,
  'customers.manage': FRONT_LINE,
  'customers.import': ['team_lead', ...MANAGEMENT],
  // C4: an export carries personal data in clear; only management may take it out, and each export is audited.
  'customers.export': MANAGEMENT,
  // Scoped in the conversations service: an agent sees their own, their team's and their queues' work.
  'conversations.read': SERVICE_STAFF,
  'conversations.read_all': ['qa', 'trainer', ...MANAGEMENT],
  'conversations.handle': FRONT_LINE,
  'conversations.assign': ['team_lead', ...MANAGEMENT],
  'queues.manage': ['team_lead', ...MANAGEMENT],
  'agents.status.manage': ['team_lead', ...MANAGEMENT],
  'canned_replies.manage_shared': ['team_lead', 'trainer', ...MANAGEMENT],
  // Partners see only tasks handed to their department (CH7).
  'tasks.read': ROLES,
  // S4: who may record a customer's rating given on a callback (the customer rates themselves without login).
  'surveys.record': FRONT_LINE,
  'surveys.read': SERVICE_STAFF,
  // CP: every service staff member may look a complaint up; the front line accepts and works them.
  'complaints.read': SERVICE_STAFF,
  'complaints.manage': FRONT_LINE,
  // CP3: approval is scoped in the service to the department of the pending step, so partners hold it too.
  'complaints.approve': ROLES,
  'complaints.analyse': ['team_lead', 'qa', ...MANAGEMENT],
  // R3: scoped in the KPI service — an agent sees their own numbers, a team lead their team's.
  'kpi.read': SERVICE_STAFF,
  'kpi.read_all': ['qa', 'trainer', ...MANAGEMENT],
  // K1: everyone on the service side reads and drafts; reviewers publish, organise and archive.
  'knowledge.read': SERVICE_STAFF,
  'knowledge.write': SERVICE_STAFF,
  'knowledge.review': ['team_lead', 'qa', 'trainer', ...MANAGEMENT],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

/** What a route requires: a permission, any signed-in caller, or nobody at all. */
export type Access = Permission | 'authenticated' | 'public';

const byRole = new Map<Role, ReadonlySet<Permission>>(
  ROLES.map((role) => [
    role,
    new Set(
      (Object.keys(PERMISSIONS) as Permission[]).filter((p) => (PERMISSIONS[p] as readonly Role[]).includes(role)),
    ),
  ]),
);

export function permissionsOf(role: Role): ReadonlySet<Permission> {
  return byRole.get(role) ?? new Set();
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: string): value is Permission {
  return value in PERMISSIONS;
}

/** Chinese first; the console translates with its own catalogue. */
export const ROLE_LABELS: Record<Role, string> = {
  agent: '客服专员',
  team_lead: '主管',
  qa: '质检专员',
  trainer: '培训师',
  engineer: '技术工程师',
  manager: '经理',
  general_manager: '总经理',
  admin: '系统管理员',
  partner: '协同部门',
};
