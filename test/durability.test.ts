import { afterAll, describe, expect, it } from 'vitest';
import { createPgDatabase, onPostgres } from './support/db.ts';
import { http, kefuEnv, killAll, loginOver, removeTempDirs, startKefu, tempDataDir, waitFor } from './support/process.ts';

afterAll(async () => {
  await killAll();
  removeTempDirs();
});

/**
 * X5: once the client has its 201 the row is committed to disk; a kill -9 right after the last
 * acknowledgement (no shutdown hook runs, nothing is flushed on exit) loses none of them.
 */
async function createThenKill(env: NodeJS.ProcessEnv): Promise<void> {
  const first = await startKefu(env);
  const token = await loginOver(first.url, 'admin', 'kefu-demo');
  const codes = Array.from({ length: 20 }, (_, i) => `durable_${i}`);
  for (const code of codes) {
    const res = await http(first.url, 'POST', '/api/departments', { token, body: { code, name: `持久部门 ${code}`, kind: 'customer_service' } });
    expect(res.status).toBe(201);
  }
  const exit = await first.kill('SIGKILL');
  expect(exit.signal).toBe('SIGKILL');

  const second = await startKefu(env);
  try {
    const again = await loginOver(second.url, 'admin', 'kefu-demo');
    const list = await http(second.url, 'GET', '/api/departments?limit=200', { token: again });
    expect(list.status).toBe(200);
    const present = new Set(list.body.data.map((d: { code: string }) => d.code));
    expect(codes.filter((c) => !present.has(c))).toEqual([]);
  } finally {
    await second.kill();
  }
}

/**
 * X5 under load: writes in flight when the process dies are all-or-nothing. Every acknowledged
 * department survives, and every department that survived has its audit entry (same transaction).
 */
async function killMidFlight(env: NodeJS.ProcessEnv): Promise<void> {
  const first = await startKefu(env);
  const token = await loginOver(first.url, 'admin', 'kefu-demo');
  const acknowledged: string[] = [];
  const attempts = Array.from({ length: 40 }, (_, i) => `inflight_${i}`).map(async (code) => {
    const res = await http(first.url, 'POST', '/api/departments', { token, body: { code, name: `在途 ${code}`, kind: 'quality' } }).catch(() => null);
    if (res?.status === 201) acknowledged.push(code);
  });
  await waitFor('ten acknowledged writes', () => acknowledged.length >= 10);
  const killed = [...acknowledged];
  await first.kill('SIGKILL');
  await Promise.all(attempts);

  const second = await startKefu(env);
  try {
    const again = await loginOver(second.url, 'admin', 'kefu-demo');
    const list = await http(second.url, 'GET', '/api/departments?limit=200', { token: again });
    const present = (list.body.data as Array<{ id: string; code: string }>).filter((d) => d.code.startsWith('inflight_'));
    expect(killed.filter((c) => !present.some((d) => d.code === c))).toEqual([]);
    for (const d of present) {
      const audit = await http(second.url, 'GET', `/api/audit?entityType=department&entityId=${d.id}`, { token: again });
      expect(audit.body.data.map((e: { action: string }) => e.action), d.code).toContain('create');
    }
  } finally {
    await second.kill();
  }
}

// Each test starts Kefu twice on PGlite (~25 s alone): the limit only guards against a hang on a busy machine.
describe('X5 nothing acknowledged is lost on kill -9: embedded PGlite', { timeout: 180_000 }, () => {
  it('X5: writes in flight at kill -9 are all-or-nothing and every acknowledged one survives (PGlite)', async () => {
    await killMidFlight(kefuEnv({ KEFU_DATA_DIR: tempDataDir() }));
  });

  it('X5: 20 departments acknowledged with 201 survive kill -9 on embedded PGlite', async () => {
    await createThenKill(kefuEnv({ KEFU_DATA_DIR: tempDataDir() }));
  });
});

describe.runIf(onPostgres)('X5 nothing acknowledged is lost on kill -9: PostgreSQL', { timeout: 180_000 }, () => {
  it('X5: 20 departments acknowledged with 201 survive kill -9 on PostgreSQL', async () => {
    const pgDb = await createPgDatabase();
    try {
      await createThenKill(kefuEnv({ DATABASE_URL: pgDb.url }));
    } finally {
      await pgDb.drop();
    }
  });

  it('X5: writes in flight at kill -9 are all-or-nothing and every acknowledged one survives (PostgreSQL)', async () => {
    const pgDb = await createPgDatabase();
    try {
      await killMidFlight(kefuEnv({ DATABASE_URL: pgDb.url }));
    } finally {
      await pgDb.drop();
    }
  });
});
