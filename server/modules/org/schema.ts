import { boolean, date, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { at, id } from '../../db/columns.ts';

/** The one organisation this installation serves; a singleton row (id = 1). */
export const organisation = pgTable('organisation', {
  id: integer().primaryKey(),
  name: text().notNull(),
  preset: text().notNull(),
  timezone: text().notNull(),
  demo: boolean().notNull(),
  initializedAt: at().notNull(),
  /** Signs links that need no login (survey invitations); made on first use, shared by every node. */
  signingKey: text(),
});

export const departments = pgTable(
  'departments',
  {
    id: id(),
    code: text().notNull(),
    name: text().notNull(),
    kind: text().notNull(),
    managerId: uuid(),
    description: text(),
    createdAt: at().notNull(),
    updatedAt: at().notNull(),
  },
  (t) => [uniqueIndex('departments_code_key').on(t.code)],
);

export const teams = pgTable(
  'teams',
  {
    id: id(),
    code: text().notNull(),
    departmentId: uuid()
      .notNull()
      .references(() => departments.id),
    name: text().notNull(),
    leadId: uuid(),
    timezone: text().notNull(),
    createdAt: at().notNull(),
    updatedAt: at().notNull(),
  },
  (t) => [uniqueIndex('teams_code_key').on(t.code), index('teams_department_idx').on(t.departmentId)],
);

/** A staff member; the login credentials live beside it in the auth platform's `credentials`. */
export const staff = pgTable(
  'staff',
  {
    id: id(),
    username: text().notNull(),
    displayName: text().notNull(),
    role: text().notNull(),
    departmentId: uuid().references(() => departments.id),
    teamId: uuid().references(() => teams.id),
    level: text(),
    employeeNo: text(),
    phone: text(),
    email: text(),
    idNumber: text(),
    hiredOn: date({ mode: 'string' }),
    status: text().notNull(),
    locale: text().notNull(),
    isDemo: boolean().notNull(),
    createdAt: at().notNull(),
    updatedAt: at().notNull(),
  },
  (t) => [
    uniqueIndex('staff_username_key').on(t.username),
    index('staff_department_idx').on(t.departmentId),
    index('staff_team_idx').on(t.teamId),
  ],
);

/** O3: promotion history. */
export const staffLevelChanges = pgTable(
  'staff_level_changes',
  {
    id: id(),
    staffId: uuid()
      .notNull()
      .references(() => staff.id),
    fromLevel: text(),
    toLevel: text().notNull(),
    reason: text().notNull(),
    changedBy: uuid(),
    changedAt: at().notNull(),
  },
  (t) => [index('staff_level_changes_staff_idx').on(t.staffId, t.changedAt)],
);
