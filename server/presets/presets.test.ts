import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { PolicyDocument, type SourceRef } from '../modules/policy/document.ts';
import { checkPolicy } from '../modules/policy/service.ts';
import { PRESETS } from './index.ts';
import { DEMO_USERNAMES } from './types.ts';

const seedText = (file: string) => readFileSync(new URL(`./seeds/${file}`, import.meta.url), 'utf8');

/** Every `{ value, source }` and `source` in a document, with its path. */
function sources(node: unknown, path: string[] = []): Array<{ path: string; source: SourceRef }> {
  if (Array.isArray(node)) return node.flatMap((n, i) => sources(n, [...path, String(i)]));
  if (node === null || typeof node !== 'object') return [];
  const obj = node as Record<string, unknown>;
  const own = 'source' in obj ? [{ path: path.join('.'), source: obj.source as SourceRef }] : [];
  return [...own, ...Object.entries(obj).filter(([k]) => k !== 'source').flatMap(([k, v]) => sources(v, [...path, k]))];
}

describe('PR1 presets', () => {
  it('PR1: there is one preset per seed regulation, under the names the spec gives', () => {
    expect(Object.fromEntries(Object.values(PRESETS).map((p) => [p.name, p.seed]))).toEqual({
      'consumer-electronics': '000',
      'short-drama': '001',
      'call-center': '002',
      ecommerce: '003',
      'manufacturing-b2b': '004',
    });
  });

  for (const preset of Object.values(PRESETS)) {
    describe(preset.name, () => {
      it(`PR1: ${preset.name} is a valid policy document`, () => {
        expect([...Value.Errors(PolicyDocument, preset.policy)].map((e) => `${e.path}: ${e.message}`)).toEqual([]);
        expect(checkPolicy(preset.policy)).toEqual([]);
        expect(preset.policy.meta.seed).toBe(preset.seed);
      });

      it(`PR1: every quoted source of ${preset.name} appears verbatim in seed ${preset.seed}`, () => {
        const text = seedText(preset.seedFile);
        const cited = sources(preset.policy).filter((s) => s.source !== 'default');
        expect(cited.length).toBeGreaterThan(5);
        const wrong = cited.filter((s) => {
          const src = s.source as Exclude<SourceRef, 'default'>;
          return src.seed !== preset.seed || !text.includes(src.quote);
        });
        expect(wrong.map((w) => `${w.path}: ${JSON.stringify(w.source)}`)).toEqual([]);
      });

      it(`PR1: ${preset.name} places every demo account in one of its departments`, () => {
        const depts = new Map(preset.policy.organisation.departments.map((d) => [d.code, d]));
        for (const username of DEMO_USERNAMES) {
          const place = preset.demoPlacement[username];
          const dept = depts.get(place.department);
          expect(dept, `${username} → ${place.department}`).toBeDefined();
          if (place.team) expect(dept!.teams.map((t) => t.code)).toContain(place.team);
        }
        const partner = depts.get(preset.demoPlacement.partner1.department)!;
        expect(['sales', 'production', 'finance', 'logistics']).toContain(partner.kind);
      });
    });
  }

  it('PR1: the call-center preset carries the hard numbers of 002 with their clauses', () => {
    const p = PRESETS['call-center']!.policy;
    expect(p.sla.phone.greetingSeconds).toMatchObject({ value: 30, source: { seed: '002', clause: '1.4.3' } });
    expect(p.sla.phone.problemUnderstoodSeconds).toMatchObject({ value: 60, source: { clause: '1.4.3' } });
    expect(p.callbacks.withinHours).toMatchObject({ value: 24, source: { clause: '1.4.6' } });
    expect(p.targets.csatPercent.value).toBe(90);
    expect(p.targets.fcrPercent.value).toBe(85);
    expect(p.quality.samplingRate.value).toBe(0.1);
    expect(p.targets.systemUptimePercent.value).toBe(99.9);
    expect(p.targets.faultFixMinutes.value).toBe(30);
    // The seed says nothing about ring counts: the value is ours and says so.
    expect(p.sla.phone.answerWithinRings.source).toBe('default');
  });

  it('PR1: the ecommerce preset carries the fines ledger rules of 003', () => {
    const fines = Object.fromEntries(PRESETS.ecommerce!.policy.fines.rules.map((r) => [r.amountYuan.value, r]));
    expect(fines[50]).toMatchObject({ escalation: 'double_each_repeat', period: 'calendar_month', dismissalReviewAt: { value: 3 } });
    expect(fines[20]).toBeDefined();
    expect(fines[100]).toBeDefined();
    expect(PRESETS.ecommerce!.policy.fines.fund.value).toBe('department_fund');
  });

  it('PR1: a preset whose weights do not add up to 100 is rejected', () => {
    const broken = structuredClone(PRESETS['call-center']!.policy);
    broken.kpi.weights[0]!.weight.value += 1;
    expect(checkPolicy(broken)).toEqual([expect.objectContaining({ field: 'kpi.weights' })]);
  });
});
