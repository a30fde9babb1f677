import { eq, inArray } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectError } from '../../../test/support/errors.ts';
import { createHarness, type Harness } from '../../../test/support/kefu.ts';
import { newId } from '../../db/columns.ts';
import { callRecords } from '../channels/schema.ts';
import { conversationReopens, conversations } from '../conversations/schema.ts';
import { customers } from '../customers/schema.ts';
import { staff, teams } from '../org/schema.ts';
import { surveys } from '../surveys/schema.ts';
import { KPIS, UNIT_LABELS, kpiDefinition } from './registry.ts';

/**
 * R3: the KPI report (GET /api/kpis/exports) lays out the figures of GET /api/kpis/{code}/values and
 * nothing else. A small March 2026 dataset (Asia/Shanghai, call-center preset): agent1 (A1) in
 * hotline_1 (T1, led by lead1), agent2 (A2) in hotline_2 (T2); c5 is A2's work for T1; c6 is an
 * abandoned call nobody answered.
 */

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const ids = { A1: '', A2: '', T1: '', T2: '' };
const t = (local: string) => new Date(`2026-${local}+08:00`);
const later = (d: Date, seconds: number) => new Date(d.getTime() + seconds * 1000);

// [key, channel, agent, team, problem type, customer, created, first response (s), resolved, handling (s), transfers, reopened]
type Row = [string, string, 'A1' | 'A2' | null, 'T1' | 'T2' | null, string | null, string, string, number | null, string | null, number, number, string | null];
const CONVERSATIONS: Row[] = [
  ['c1', 'chat', 'A1', 'T1', 'consultation', 'K1', '03-02T10:00:00', 30, '03-02T10:20:00', 600, 0, null],
  ['c2', 'email', 'A1', 'T1', 'business', 'K2', '03-03T09:00:00', 3600, '03-03T12:00:00', 900, 1, null],
  ['c3', 'chat', 'A2', 'T2', 'consultation', 'K3', '03-10T10:00:00', 45, '03-10T10:30:00', 500, 0, null],
  ['c4', 'phone', 'A2', 'T2', 'technical_support', 'K4', '03-11T14:00:00', 10, '03-11T14:10:00', 480, 0, '03-12T09:00:00'],
  ['c5', 'email', 'A2', 'T1', 'business', 'K1', '03-25T09:00:00', 7200, '03-26T09:00:00', 1000, 0, null],
  ['c6', 'phone', null, null, null, 'K2', '03-13T09:00:00', null, null, 0, 0, null],
];

async function seed(): Promise<void> {
  const db = h.kefu.database.db;
  const people = await db.select().from(staff).where(inArray(staff.username, ['agent1', 'agent2']));
  const groups = await db.select().from(teams).where(inArray(teams.code, ['hotline_1', 'hotline_2']));
  ids.A1 = people.find((p) => p.username === 'agent1')!.id;
  ids.A2 = people.find((p) => p.username === 'agent2')!.id;
  ids.T1 = groups.find((g) => g.code === 'hotline_1')!.id;
  ids.T2 = groups.find((g) => g.code === 'hotline_2')!.id;
  await db.update(staff).set({ teamId: ids.T2 }).where(eq(staff.id, ids.A2));
  const now = h.clock.now();
  const customerIds = new Map<string, string>();
  for (const k of ['K1', 'K2', 'K3', 'K4']) {
    customerIds.set(k, newId());
    await db.insert(customers).values({ id: customerIds.get(k)!, kind: 'person', name: `客户${k}`, phones: [], emails: [], addresses: [], tags: [], createdAt: now, updatedAt: now });
  }
  const conv = new Map<string, string>();
  for (const [key, channel, agent, team, problemType, customer, created, firstResponse, resolved, handling, transfers, reopened] of CONVERSATIONS) {
    const id = newId();
    conv.set(key, id);
    const at = t(created);
    const closed = resolved && !reopened && key !== 'c5';
    await db.insert(conversations).values({
      ...{ id, channel, status: resolved ? (closed ? 'closed' : 'resolved') : 'new', priority: 'normal', customerId: customerIds.get(customer)! },
      ...{ assigneeId: agent && ids[agent], teamId: team && ids[team], tags: [], supportLevel: 1, problemType, intake: {}, leftMessage: false },
      ...{ createdAt: at, updatedAt: at, firstResponseAt: firstResponse === null ? null : later(at, firstResponse) },
      ...{ resolvedAt: resolved ? t(resolved) : null, closedAt: closed ? t(resolved) : null, reopenCount: reopened ? 1 : 0, transferCount: transfers, escalationCount: 0, handlingMs: handling * 1000 },
    });
    if (reopened) await db.insert(conversationReopens).values({ id: newId(), conversationId: id, fromStatus: 'resolved', source: 'customer_message', at: t(reopened) });
  }
  // k1 answered by A2 after 10 s; k2 abandoned after 25 s.
  for (const [c, agent, ringing, answered, status] of [
    ['c4', ids.A2, '03-11T14:00:00', '03-11T14:00:10', 'ended'],
    ['c6', null, '03-13T09:00:00', null, 'abandoned'],
  ] as const) {
    await db.insert(callRecords).values({
      ...{ id: newId(), conversationId: conv.get(c)!, callId: `call-${c}`, direction: 'inbound', fromNumber: '13800001111', toNumber: '4008001234', agentId: agent, status },
      ...{ ringingAt: t(ringing), answeredAt: answered ? t(answered) : null, endedAt: later(t(ringing), 300), holdSeconds: 0, events: [], createdAt: t(ringing), updatedAt: t(ringing) },
    });
  }
  // Counted ratings: c1 5 (NPS 10), c2 4, c3 3 (NPS 3, a detractor), c5 4.
  for (const [c, agent, team, csat, nps] of [
    ['c1', ids.A1, ids.T1, 5, 10],
    ['c2', ids.A1, ids.T1, 4, null],
    ['c3', ids.A2, ids.T2, 3, 3],
    ['c5', ids.A2, ids.T1, 4, null],
  ] as const) {
    const source = CONVERSATIONS.find((r) => r[0] === c)!;
    const invited = t(source[8]!);
    await db.insert(surveys).values({
      ...{ id: newId(), conversationId: conv.get(c)!, customerId: customerIds.get(source[5])!, agentId: agent, teamId: team, channel: source[1], problemType: source[4] },
      ...{ cycle: 0, via: 'chat', invitedAt: invited, expiresAt: later(invited, 7 * 86400), respondedAt: later(invited, 60), csat, nps, solved: null, satisfied: null },
      ...{ counted: true, ratingDay: source[8]!.slice(0, 5), createdAt: invited, updatedAt: invited },
    });
  }
  h.clock.set('2026-04-20T12:00:00+08:00');
}

beforeEach(async () => {
  await h.reset();
  await seed();
});

const MARCH = 'from=2026-03-01&to=2026-03-31';

/** Raw bytes of a download (h.api would decode them as text). */
async function download(query: string, as: string) {
  const res = await h.kefu.app.inject({ method: 'GET', url: `/api/kpis/exports?${query}`, headers: { authorization: `Bearer ${await h.login(as)}` } });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
  return { headers: res.headers, bytes: res.rawPayload };
}

type Cell = string | number | null;
interface Table {
  header: string[];
  rows: Cell[][];
}

function readCsv(bytes: Buffer): Table {
  const [header, ...rows] = parse(bytes.toString('utf8'), { bom: true }) as string[][];
  return { header: header!, rows: rows.map(([label, ...cells]) => [label!, ...cells.map((c) => (c === '' ? null : Number(c)))]) };
}

async function readXlsx(bytes: Buffer, name = 'KPI报表'): Promise<Table> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(bytes as unknown as ArrayBuffer);
  const rows: Cell[][] = [];
  const sheet = book.getWorksheet(name)!;
  sheet.eachRow((r) => rows.push(Array.from({ length: sheet.columnCount }, (_, i) => (r.getCell(i + 1).value ?? null) as Cell)));
  const [header, ...rest] = rows;
  return { header: header as string[], rows: rest };
}

const DECIMALS = { seconds: 0, percent: 1, score: 2, count: 0 } as const;
const UNIT = { seconds: '秒', percent: '%', score: '分', count: '个' } as const;
const headerOf = (code: string) => `${kpiDefinition(code)!.name}（${UNIT[kpiDefinition(code)!.unit]}）`;

/**
 * Each figure of the sheet is the /values figure of the same query, rounded for display: within half
 * a unit of its last decimal and with no more decimals. Rows are the union of the groups of every
 * KPI, in the order given, each once, and the total row last.
 */
async function expectFiguresOfValues(table: Table, codes: string[], query: string, as: string, labelOf = (group: string | null, label: string | null) => (group === null ? '未分配' : label!)) {
  const defs = codes.map((c) => kpiDefinition(c)!);
  expect(table.header.slice(1)).toEqual(codes.map(headerOf));
  const expected = new Map<string, Array<number | null>>();
  const totals: Array<number | null> = [];
  for (const [i, d] of defs.entries()) {
    const res = await h.api('GET', `/api/kpis/${d.code}/values?${query}`, { as });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    for (const r of res.body.rows as Array<{ group: string | null; label: string | null; value: number | null }>) {
      const label = labelOf(r.group, r.label);
      if (!expected.has(label)) expected.set(label, defs.map(() => null));
      expected.get(label)![i] = r.value;
    }
    totals.push(res.body.total.value);
  }
  const body = table.rows.slice(0, -1);
  expect(body.map((r) => r[0]).sort()).toEqual([...expected.keys()].sort());
  expect(table.rows.at(-1)![0]).toBe('合计');
  const close = (cell: Cell, value: number | null, where: string, unit: keyof typeof DECIMALS) => {
    if (value === null) return expect(cell, where).toBeNull();
    expect(typeof cell, where).toBe('number');
    expect(Math.abs((cell as number) - value), `${where}: ${cell} for ${value}`).toBeLessThanOrEqual(0.5 * 10 ** -DECIMALS[unit] + 1e-9);
    expect(String(cell).split('.')[1]?.length ?? 0, where).toBeLessThanOrEqual(DECIMALS[unit]);
  };
  for (const row of body) defs.forEach((d, i) => close(row[i + 1]!, expected.get(row[0] as string)![i]!, `${row[0]} ${d.code}`, d.unit));
  defs.forEach((d, i) => close(table.rows.at(-1)![i + 1]!, totals[i]!, `合计 ${d.code}`, d.unit));
}

const ALL = KPIS.map((k) => k.code);

describe('R3 the KPI report export', () => {
  it('R3: the CSV of every KPI by agent carries the /values figures, with a total row, BOM, CRLF and a Chinese file name', async () => {
    const { headers, bytes } = await download(`${MARCH}&groupBy=agent`, 'qa1');
    expect(String(headers['content-type'])).toMatch(/^text\/csv; charset=utf-8/);
    expect(String(headers['content-disposition'])).toBe(
      `attachment; filename="kpi-report_agent_2026-03-01_2026-03-31.csv"; filename*=UTF-8''${encodeURIComponent('KPI报表_按坐席_2026-03-01至2026-03-31.csv')}`,
    );
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8').split('\r\n')[0]).toBe(`\uFEFF坐席,${ALL.map(headerOf).join(',')}`);
    const table = readCsv(bytes);
    await expectFiguresOfValues(table, ALL, `${MARCH}&groupBy=agent`, 'qa1');
    // By hand. FCR: A1 (张伟) c1 of c1, c2 (transferred) → 50; A2 (刘洋) c3, c5 of c3, c4 (reopened the next day), c5 → 66.7.
    // CSAT: A1 (5 + 4) / 2, A2 (3 + 4) / 2. Names in pinyin order, the abandoned call's unassigned row last.
    const col = (code: string) => 1 + ALL.indexOf(code);
    expect(table.rows.map((r) => [r[0], r[col('fcr')], r[col('csat')], r[col('workload')], r[col('abandonment_rate')]])).toEqual([
      ['刘洋', 66.7, 3.5, 3, 0],
      ['张伟', 50, 4.5, 2, null],
      ['未分配', null, null, null, 100],
      ['合计', 60, 4, 5, 50],
    ]);
  });

  it('R3: the xlsx of chosen KPIs by team equals /values, with number formats and an explanation sheet of formulas and targets', async () => {
    const codes = ['fcr', 'csat', 'workload', 'answer_delay'];
    const { headers, bytes } = await download(`${MARCH}&groupBy=team&format=xlsx&codes=${codes.join(',%20')}&channel=email`, 'qa1');
    expect(String(headers['content-type'])).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(decodeURIComponent(String(headers['content-disposition']).split("UTF-8''")[1]!)).toBe('KPI报表_按班组_2026-03-01至2026-03-31.xlsx');
    const table = await readXlsx(bytes);
    expect(table.header[0]).toBe('班组');
    await expectFiguresOfValues(table, codes, `${MARCH}&groupBy=team&channel=email`, 'qa1');
    // Email only: c2 (A1, T1) and c5 (A2 for T1); no email calls, so ASA is blank.
    expect(table.rows).toEqual([
      ['热线一组', 50, 4, 2, null],
      ['合计', 50, 4, 2, null],
    ]);

    const book = new ExcelJS.Workbook();
    await book.xlsx.load(bytes as unknown as ArrayBuffer);
    expect(book.worksheets.map((s) => s.name)).toEqual(['KPI报表', '口径说明']);
    expect(book.getWorksheet('KPI报表')!.getCell('B2').numFmt).toBe('0.0');
    expect(book.getWorksheet('KPI报表')!.getCell('C2').numFmt).toBe('0.00');
    const notes = await readXlsx(bytes, '口径说明');
    expect(notes.header).toEqual(['代码', '名称', '公式', '单位', '方向', '政策目标']);
    expect(notes.rows.slice(0, 4)).toEqual(
      codes.map((c) => {
        const d = kpiDefinition(c)!;
        return [d.code, d.name, d.formula, UNIT_LABELS[d.unit], d.direction === 'higher_better' ? '越高越好' : '越低越好', c === 'fcr' ? 85 : null];
      }),
    );
    // After the KPIs (and a blank row, which eachRow passes over): the period and filters.
    const meta = new Map(notes.rows.slice(codes.length).map((r) => [r[0], r[1]]));
    expect(meta.get('统计期间')).toBe('2026-03-01 至 2026-03-31（Asia/Shanghai）');
    expect(meta.get('分组方式')).toBe('班组');
    expect(meta.get('筛选条件')).toBe('渠道：邮件');
  });

  it('R3: periods group by ISO week with their dates, in order', async () => {
    const { bytes } = await download(`${MARCH}&groupBy=week&codes=workload,aht`, 'qa1');
    const table = readCsv(bytes);
    const week = (key: string, mon: string, sun: string) => `${key}（${mon} 至 ${sun}）`;
    await expectFiguresOfValues(table, ['workload', 'aht'], `${MARCH}&groupBy=week`, 'qa1', (group) => {
      const labels: Record<string, string> = { '2026-W10': week('2026-W10', '03-02', '03-08'), '2026-W11': week('2026-W11', '03-09', '03-15'), '2026-W13': week('2026-W13', '03-23', '03-29') };
      return labels[group!]!;
    });
    expect(table.rows.map((r) => r[0])).toEqual([week('2026-W10', '03-02', '03-08'), week('2026-W11', '03-09', '03-15'), week('2026-W13', '03-23', '03-29'), '合计']);
  });
});

describe('R3 the export is scoped like /values', () => {
  /** Every KPI as `as` sees them, checked against /values as `as` sees them. */
  async function sheetOf(groupBy: string, as: string): Promise<Table> {
    const table = readCsv((await download(`${MARCH}&groupBy=${groupBy}`, as)).bytes);
    await expectFiguresOfValues(table, ALL, `${MARCH}&groupBy=${groupBy}`, as);
    return table;
  }

  it('R3: a team lead gets only their team, including the work others did for it; another team is refused', async () => {
    const table = await sheetOf('agent', 'lead1');
    expect(table.rows.map((r) => r[0])).toEqual(['刘洋', '张伟', '合计']);
    // T1 resolved c1, c2 and c5; everyone resolved five.
    expect(table.rows.at(-1)![1 + ALL.indexOf('workload')]).toBe(3);
    expectError(await h.api('GET', `/api/kpis/exports?groupBy=agent&teamId=${ids.T2}`, { as: 'lead1' }), 403, 'kpi.out_of_scope');
  });

  it('R3: an agent gets only themselves; another agent is refused', async () => {
    const table = await sheetOf('channel', 'agent1');
    expect(table.rows.map((r) => r[0])).toEqual(['邮件', '在线', '合计']);
    expect(table.rows.at(-1)![1 + ALL.indexOf('workload')]).toBe(2);
    const own = readCsv((await download(`${MARCH}&groupBy=agent&codes=workload`, 'agent1')).bytes);
    expect(own.rows).toHaveLength(2);
    expect(own.rows[0]![1]).toBe(2);
    expectError(await h.api('GET', `/api/kpis/exports?groupBy=agent&agentId=${ids.A2}`, { as: 'agent1' }), 403, 'kpi.out_of_scope');
  });
});

describe('R3 export errors and formula injection', () => {
  it('R3: an unknown KPI code answers 404 with field codes; a bad or missing groupBy 400', async () => {
    const unknown = expectError(await h.api('GET', `/api/kpis/exports?groupBy=agent&codes=fcr,nps_magic`, { as: 'qa1' }), 404, 'kpi.not_found');
    expect(unknown.field).toBe('codes');
    expect(unknown.message).toContain('nps_magic');
    for (const [query, field] of [
      ['groupBy=queue', 'groupBy'],
      ['groupBy=metric&codes=sla_attainment', 'groupBy'],
      ['codes=fcr', 'groupBy'],
      ['groupBy=agent&codes=fcr,,aht', 'codes'],
      ['groupBy=agent&format=pdf', 'format'],
    ]) {
      expect(expectError(await h.api('GET', `/api/kpis/exports?${query}`, { as: 'qa1' }), 400, 'request.invalid').field, query).toBe(field);
    }
    expectError(await h.api('GET', `/api/kpis/exports?groupBy=agent&from=2026-03-31&to=2026-03-01`, { as: 'qa1' }), 400, 'kpi.invalid_period');
  });

  it('R3: a formula-like name is neutralised: guarded text in CSV, a text cell in xlsx; negative figures stay numbers', async () => {
    const evil = '=HYPERLINK("http://evil.example","点我")';
    await h.kefu.database.db.update(staff).set({ displayName: evil }).where(eq(staff.id, ids.A2));
    const query = `${MARCH}&groupBy=agent&codes=nps,workload`;
    const csv = await download(query, 'qa1');
    const lines = csv.bytes.toString('utf8').split('\r\n');
    expect(lines).toContain(`"'${evil.replace(/"/g, '""')}",-100,3`);
    const table = readCsv(csv.bytes);
    expect(table.rows.map((r) => r[0])).toContain(`'${evil}`);

    const xlsx = await download(`${query}&format=xlsx`, 'qa1');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.bytes as unknown as ArrayBuffer);
    const sheet = book.getWorksheet('KPI报表')!;
    const cells = sheet.getColumn(1).values.filter(Boolean);
    expect(cells).toContain(evil);
    sheet.eachRow((row) => {
      expect(row.getCell(1).type).toBe(ExcelJS.ValueType.String);
      expect(row.getCell(1).formula).toBeUndefined();
    });
  });
});
