import type { PolicyDocument, Seed } from '../modules/policy/document.ts';
import type { Role } from '../platform/rbac/permissions.ts';

export const STAFF_LEVELS = ['junior', 'intermediate', 'senior'] as const;
export type StaffLevel = (typeof STAFF_LEVELS)[number];
export const LEVEL_LABELS: Record<StaffLevel, string> = { junior: '初级', intermediate: '中级', senior: '高级' };

export interface DemoStaff {
  username: string;
  displayName: string;
  role: Role;
  department: string;
  team: string | null;
  level: StaffLevel | null;
  employeeNo: string;
  phone: string;
  email: string;
  idNumber: string;
  hiredOn: string;
}

export interface Preset {
  name: string;
  seed: Seed;
  /** Seed file name under server/presets/seeds. */
  seedFile: string;
  title: string;
  description: string;
  policy: PolicyDocument;
  /** Where each demo account sits in this organisation. */
  demoPlacement: Record<DemoUsername, { department: string; team: string | null }>;
}

/** One demo login per role (issue 2); every preset places them in its own departments. */
export const DEMO_USERNAMES = ['admin', 'manager1', 'lead1', 'agent1', 'agent2', 'qa1', 'trainer1', 'engineer1', 'partner1'] as const;
export type DemoUsername = (typeof DEMO_USERNAMES)[number];
