import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import type { Clock } from '../platform/clock.ts';
import { systemCtx } from '../platform/context.ts';
import { defineErrors } from '../platform/errors.ts';
import { write } from '../platform/write.ts';
import { organisation, departments, teams } from '../modules/org/schema.ts';
import { insertDepartment, insertStaff, insertTeam } from '../modules/org/service.ts';
import { insertPublished } from '../modules/policy/service.ts';
import { insertQueue } from '../modules/conversations/routing.ts';
import { preparePassword } from '../platform/auth/service.ts';
import { demoStaff } from './demo.ts';
import { PRESETS, PRESET_NAMES } from './index.ts';

export const PresetError = defineErrors('preset', {
  unknown: [400, { 'zh-CN': '未知预设 {name}，可用预设：{names}', 'zh-TW': '未知預設 {name}，可用預設：{names}', en: 'Unknown preset {name}; available presets: {names}' }],
  already_initialised: [409, { 'zh-CN': '本系统已按预设 {current} 初始化，不能再加载 {name}；请使用新的数据目录或数据库', 'zh-TW': '本系統已按預設 {current} 初始化，不能再載入 {name}；請使用新的資料目錄或資料庫', en: 'Already initialised with preset {current}; use a fresh data directory or database to load {name}' }],
});

export interface InitOptions {
  preset: string;
  demo: boolean;
  demoPassword: string;
  /** Password of `admin` without demo data; generated when null. */
  adminPassword: string | null;
}

export interface InitResult {
  /** False when the organisation was already set up with this preset: nothing was written. */
  created: boolean;
  preset: string;
  demo: boolean;
  /** Set only when a password was generated for `admin`; shown once. */
  generatedAdminPassword: string | null;
}

export async function organisationState(db: Db) {
  const [row] = await db.select().from(organisation).where(eq(organisation.id, 1)).limit(1);
  return row ?? null;
}

/** Loads a preset into an empty database; running it again with the same preset changes nothing. */
export async function initOrganisation(db: Db, clock: Clock, opts: InitOptions): Promise<InitResult> {
  const preset = PRESETS[opts.preset];
  if (!preset) throw PresetError('unknown', { field: 'preset', params: { name: opts.preset, names: PRESET_NAMES.join(', ') } });
  const existing = await organisationState(db);
  if (existing) {
    if (existing.preset !== preset.name) throw PresetError('already_initialised', { params: { current: existing.preset, name: preset.name } });
    return { created: false, preset: existing.preset, demo: existing.demo, generatedAdminPassword: null };
  }
  const generated = !opts.demo && !opts.adminPassword ? randomBytes(12).toString('base64url') : null;
  const people = opts.demo ? demoStaff(preset) : [];
  // argon2 runs before the transaction, which stays short.
  const hashes = opts.demo
    ? await Promise.all(people.map(() => preparePassword(opts.demoPassword)))
    : [await preparePassword(opts.adminPassword ?? generated!)];
  await write(systemCtx(db, clock), async (w) => {
    // The singleton row first: a concurrent second init fails on its primary key and rolls back whole.
    await w.tx.insert(organisation).values({
      id: 1,
      name: preset.policy.meta.organisation,
      preset: preset.name,
      timezone: preset.policy.organisation.timezone.value,
      demo: opts.demo,
      initializedAt: w.now,
    });
    const deptIds = new Map<string, string>();
    const teamIds = new Map<string, string>();
    for (const d of preset.policy.organisation.departments) {
      const dept = await insertDepartment(w, { code: d.code, name: d.name, kind: d.kind, description: d.duties });
      deptIds.set(d.code, dept.id);
      for (const t of d.teams) {
        const team = await insertTeam(w, { code: t.code, name: t.name, departmentId: dept.id, timezone: preset.policy.organisation.timezone.value });
        teamIds.set(t.code, team.id);
      }
    }
    const servingIds: string[] = [];
    let frontTeam: string | null = null;
    if (opts.demo) {
      for (const [i, s] of people.entries()) {
        const created = await insertStaff(w, {
          ...s,
          departmentId: deptIds.get(s.department) ?? null,
          teamId: s.team ? (teamIds.get(s.team) ?? null) : null,
          passwordHash: hashes[i]!,
          isDemo: true,
        });
        // The demo manager runs the front-line department and the demo lead their team.
        if (s.username === 'manager1' && created.departmentId) {
          await w.tx.update(departments).set({ managerId: created.id }).where(eq(departments.id, created.departmentId));
        }
        if (s.username === 'lead1' && created.teamId) {
          await w.tx.update(teams).set({ leadId: created.id }).where(eq(teams.id, created.teamId));
          frontTeam = created.teamId;
        }
        if (s.role === 'agent' || s.role === 'team_lead') servingIds.push(created.id);
      }
    } else {
      await insertStaff(w, { username: 'admin', displayName: '系统管理员', role: 'admin', passwordHash: hashes[0]! });
    }
    await insertPublished(w, preset.name, preset.policy, `预设 ${preset.name}（${preset.title}）初始版本`);
    // One queue per kind of contact, and a priority line for the top customer tier (CH6, C2).
    const tiers = preset.policy.customerTiers.tiers;
    const queues = [
      { code: 'online', name: '在线客服', channels: ['chat', 'form', 'api'], strategy: 'round_robin', priority: 0 },
      { code: 'email', name: '邮件客服', channels: ['email'], strategy: 'least_busy', priority: 0 },
      { code: 'hotline', name: '热线电话', channels: ['phone'], strategy: 'round_robin', priority: 0 },
      ...(tiers.length > 1 ? [{ code: 'priority_line', name: `${tiers[0]!.name}专席`, channels: ['chat', 'email', 'phone'], tiers: [tiers[0]!.code], strategy: 'least_busy', priority: 10 }] : []),
    ];
    for (const q of queues) await insertQueue(w, { ...q, teamId: frontTeam, memberIds: servingIds });
  });
  return { created: true, preset: preset.name, demo: opts.demo, generatedAdminPassword: generated };
}
