import { idCheckChar } from '../platform/pii/validate.ts';
import type { Role } from '../platform/rbac/permissions.ts';
import type { DemoStaff, DemoUsername, Preset, StaffLevel } from './types.ts';


function idNumber(region: string, birth: string, seq: string): string {
  const body = `${region}${birth}${seq}`;
  return body + idCheckChar(body);
}

const PEOPLE: Record<DemoUsername, { name: string; role: Role; level: StaffLevel | null; pinyin: string; region: string; birth: string }> = {
  admin: { name: '系统管理员', role: 'admin', level: null, pinyin: 'admin', region: '110105', birth: '19850312' },
  manager1: { name: '王芳', role: 'manager', level: null, pinyin: 'wangfang', region: '310104', birth: '19820709' },
  lead1: { name: '李强', role: 'team_lead', level: 'senior', pinyin: 'liqiang', region: '440305', birth: '19880214' },
  agent1: { name: '张伟', role: 'agent', level: 'intermediate', pinyin: 'zhangwei', region: '330106', birth: '19950521' },
  agent2: { name: '刘洋', role: 'agent', level: 'junior', pinyin: 'liuyang', region: '510107', birth: '19990930' },
  qa1: { name: '陈静', role: 'qa', level: null, pinyin: 'chenjing', region: '420106', birth: '19910817' },
  trainer1: { name: '杨帆', role: 'trainer', level: null, pinyin: 'yangfan', region: '320102', birth: '19871103' },
  engineer1: { name: '赵磊', role: 'engineer', level: null, pinyin: 'zhaolei', region: '370102', birth: '19900426' },
  partner1: { name: '孙丽', role: 'partner', level: null, pinyin: 'sunli', region: '120101', birth: '19930618' },
};

/** The demo accounts of a preset, with plausible (fictional) personal data to exercise masking. */
export function demoStaff(preset: Preset): DemoStaff[] {
  return (Object.keys(PEOPLE) as DemoUsername[]).map((username, i) => {
    const p = PEOPLE[username];
    const place = preset.demoPlacement[username];
    const n = String(i + 1).padStart(2, '0');
    return {
      username,
      displayName: p.name,
      role: p.role,
      department: place.department,
      team: place.team,
      level: p.level,
      employeeNo: `KF${n.padStart(4, '0')}`,
      phone: `1380013${String(8000 + i).padStart(4, '0')}`,
      email: `${p.pinyin}@example.com`,
      idNumber: idNumber(p.region, p.birth, `${String(100 + i * 7).padStart(3, '0')}`),
      hiredOn: `20${String(18 + (i % 6)).padStart(2, '0')}-0${(i % 9) + 1}-01`,
    };
  });
}
