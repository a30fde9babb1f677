import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_VARS } from '../server/config.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README contract', () => {
  it('the README shows the two commands a new user runs', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
  });

  it('every environment variable Kefu reads is in the README table, with its default', () => {
    const rows = new Map([...readme.matchAll(/^\| `([A-Z_]+)` \| (.+?) \|/gm)].map((m) => [m[1]!, m[2]!]));
    for (const [name, v] of Object.entries(ENV_VARS)) {
      expect(rows.has(name), `${name} missing from README`).toBe(true);
      expect(rows.get(name)).toBe(v.default === '' ? '—' : `\`${v.default}\``);
    }
    const documented = [...rows.keys()].filter((k) => k === 'PORT' || k === 'HOST' || k === 'DATABASE_URL' || k.startsWith('KEFU_'));
    expect(documented.sort()).toEqual(Object.keys(ENV_VARS).sort());
  });

  it('the README lists one demo login per role', () => {
    for (const u of ['admin', 'manager1', 'lead1', 'agent1', 'agent2', 'qa1', 'trainer1', 'engineer1', 'partner1']) expect(readme).toContain(`\`${u}\``);
  });
});
