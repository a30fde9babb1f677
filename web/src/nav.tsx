import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import { ApiOutlined, AuditOutlined, FileProtectOutlined, HomeOutlined, KeyOutlined } from '@ant-design/icons';
import { DashboardOutlined, FundOutlined, SafetyCertificateOutlined, WarningOutlined } from '@ant-design/icons';
import { ApartmentOutlined, TeamOutlined } from '@ant-design/icons';
import { MessageOutlined } from '@ant-design/icons';
import { ThunderboltOutlined } from '@ant-design/icons';
import { BookOutlined } from '@ant-design/icons';
import type { Me } from './api/client.ts';
import { allows, type Access } from './auth/session.tsx';
import type { zhCN } from './i18n/zh-CN.ts';

/**
 * The console's screens: each names the permission of the server's table (O2) it needs. The
 * navigation and the routes are both made from this one table, so a screen shows in the
 * navigation exactly when its route lets the user in.
 */
export interface Screen {
  /** Under /console. */
  path: string;
  label: Exclude<keyof typeof zhCN.nav, 'label'>;
  icon: ComponentType;
  access: Access;
  page: LazyExoticComponent<ComponentType>;
}

export const SCREENS: readonly Screen[] = [
  { path: '/', label: 'home', icon: HomeOutlined, access: 'authenticated', page: lazy(() => import('./pages/Home.tsx')) },
  // Issue 5 §3: the agent workspace; listing conversations (GET /api/conversations) is its main call.
  { path: '/workspace', label: 'workspace', icon: MessageOutlined, access: 'conversations.read', page: lazy(() => import('./pages/workspace/Workspace.tsx')) },
  // K1/K2: searching and reading the knowledge base is every service role's; writing, reviewing and gaps show inside by permission.
  { path: '/knowledge', label: 'knowledge', icon: BookOutlined, access: 'knowledge.read', page: lazy(() => import('./pages/knowledge/Knowledge.tsx')) },
  // C1/C5: the list and, with ?id=, a customer's profile.
  { path: '/customers', label: 'customers', icon: TeamOutlined, access: 'customers.read', page: lazy(() => import('./pages/customers/Customers.tsx')) },
  // O1/O2: administering the organisation; reading it (org.read, every staff member) is not this screen.
  { path: '/org', label: 'org', icon: ApartmentOutlined, access: 'org.manage', page: lazy(() => import('./pages/org/Org.tsx')) },
  { path: '/api-tokens', label: 'apiTokens', icon: KeyOutlined, access: 'api_tokens.manage', page: lazy(() => import('./pages/ApiTokens.tsx')) },
  // Drafting is the editor's main call; reading the policy alone (every staff member, E4) is not this screen.
  { path: '/policy', label: 'policy', icon: FileProtectOutlined, access: 'policy.draft', page: lazy(() => import('./pages/policy/PolicyPage.tsx')) },
  { path: '/audit', label: 'audit', icon: AuditOutlined, access: 'audit.read', page: lazy(() => import('./pages/audit/AuditPage.tsx')) },
  { path: '/webhooks', label: 'webhooks', icon: ApiOutlined, access: 'webhooks.manage', page: lazy(() => import('./pages/webhooks/WebhooksPage.tsx')) },
  // R1: the wallboard reads GET /api/wallboard, which supervisors (agents.status.manage) may call.
  { path: '/wallboard', label: 'wallboard', icon: DashboardOutlined, access: 'agents.status.manage', page: lazy(() => import('./pages/supervisor/Wallboard.tsx')) },
  { path: '/complaints', label: 'complaints', icon: WarningOutlined, access: 'complaints.read', page: lazy(() => import('./pages/complaints/Complaints.tsx')) },
  { path: '/complaint-approvals', label: 'complaintApprovals', icon: SafetyCertificateOutlined, access: 'complaints.approve', page: lazy(() => import('./pages/complaints/Approvals.tsx')) },
  // CH8: everyone who answers keeps their own canned replies here; the shared ones are kept by holders of canned_replies.manage_shared.
  { path: '/canned', label: 'canned', icon: ThunderboltOutlined, access: 'conversations.read', page: lazy(() => import('./pages/canned/CannedReplies.tsx')) },
  { path: '/kpi', label: 'kpi', icon: FundOutlined, access: 'kpi.read', page: lazy(() => import('./pages/kpi/Kpi.tsx')) },
];

/** The workspace's query parameter naming the open conversation; other screens link with conversationPath. */
export const CONVERSATION_PARAM = 'c';
export const conversationPath = (id: string): string => `/workspace?${CONVERSATION_PARAM}=${encodeURIComponent(id)}`;

export function screensFor(me: Me): Screen[] {
  return SCREENS.filter((s) => allows(me, s.access));
}
