import { eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectError } from '../../../test/support/errors.ts';
import { createHarness, type Harness } from '../../../test/support/kefu.ts';
import { events } from '../../platform/events/schema.ts';
import { customerImports, customers } from './schema.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const HEADER = ['姓名', '类型(个人/企业)', '手机', '邮箱', '地址', '标签', '所属企业', '外部编号'];

function csv(rows: string[][]): string {
  return rows.map((r) => r.map((c) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\r\n') + '\r\n';
}

async function xlsx(rows: unknown[][]): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('客户');
  for (const r of rows) sheet.addRow(r);
  return Buffer.from(await book.xlsx.writeBuffer());
}

async function readXlsx(bytes: Buffer): Promise<string[][]> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(bytes as unknown as ArrayBuffer);
  const rows: string[][] = [];
  book.worksheets[0]!.eachRow((r) => rows.push((r.values as unknown[]).slice(1).map((v) => String(v ?? ''))));
  return rows;
}

function upload(fileName: string, bytes: Buffer | string, opts: { mode?: string; as?: string } = {}) {
  const form = new FormData();
  if (opts.mode) form.append('mode', opts.mode);
  form.append('file', new Blob([typeof bytes === 'string' ? bytes : new Uint8Array(bytes)]), fileName);
  return h.api('POST', '/api/customers/imports', { as: opts.as ?? 'lead1', body: form });
}

/** Raw bytes of a download (h.api would decode them as text). */
async function download(url: string, as: string) {
  const res = await h.kefu.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${await h.login(as)}` } });
  return { status: res.statusCode, headers: res.headers, bytes: res.rawPayload, json: () => res.json() };
}

const all = () => h.kefu.database.db.select().from(customers);
const byName = async (name: string) => (await all()).find((c) => c.name === name);

describe('C5 import', () => {
  it('C5: a UTF-8 CSV with BOM and Chinese headers imports every row, organisations and contacts linked', async () => {
    const text = csv([
      HEADER,
      ['华东精密机械有限公司', '企业', '021-55556666', 'service@hdjm.example.com', '上海市闵行区莘庄工业区', '制造业；重点客户', '', 'ERP-0001'],
      ['陈经理', '个人', '13812343836；13900001111', 'chen@hdjm.example.com', '', '采购', '华东精密机械有限公司', 'ERP-0002'],
      ['刘工', '', '+86 137 0000 2222', '', '', '设备,维修', '华南电子有限公司', ''],
    ]);
    const res = await upload('客户名单.csv', `\uFEFF${text}`);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ fileName: '客户名单.csv', format: 'csv', mode: 'all_or_nothing', status: 'completed', totalRows: 3, processedRows: 3, importedRows: 3, report: [] });

    const org = (await byName('华东精密机械有限公司'))!;
    expect(org).toMatchObject({ kind: 'organisation', phones: ['02155556666'], tags: ['制造业', '重点客户'], externalId: 'ERP-0001', source: 'import', tier: 'basic' });
    expect(org.addresses).toEqual([{ label: null, province: null, city: null, district: null, street: '上海市闵行区莘庄工业区', postcode: null }]);
    expect(await byName('陈经理')).toMatchObject({ kind: 'person', organisationId: org.id, phones: ['13812343836', '13900001111'], tags: ['采购'] });
    // An organisation named but not yet on file is created.
    const south = (await byName('华南电子有限公司'))!;
    expect(south.kind).toBe('organisation');
    expect(await byName('刘工')).toMatchObject({ organisationId: south.id, phones: ['13700002222'], tags: ['设备', '维修'] });
    const detail = await h.api('GET', `/api/customers/${org.id}`, { as: 'agent1' });
    expect(detail.body.contactsCount).toBe(1);
  });

  it('C5: a GBK CSV saved by Excel imports with Chinese names intact', async () => {
    const text = csv([HEADER, ['欧阳娜娜', '个人', '13812343836', '', '广东省深圳市南山区科技园', '老客户', '', ''], ['諸葛亮', '个人', '', '', '', '', '', '']]);
    const gbk = iconv.encode(text, 'gbk');
    expect(gbk.toString('utf8')).not.toContain('欧阳');
    const res = await upload('客户.csv', gbk);
    expect(res.body).toMatchObject({ status: 'completed', importedRows: 2 });
    expect(await byName('欧阳娜娜')).toMatchObject({ tags: ['老客户'], phones: ['13812343836'] });
    expect(await byName('諸葛亮')).toBeDefined();
  });

  it('C5: an XLSX with English headers imports; numeric phones and hyperlinked emails read as text', async () => {
    const rows: unknown[][] = [['name', 'kind', 'phones', 'emails', 'tags', 'externalId'], ['Alice Wang', 'person', 13812343836, { text: 'Alice@Example.com', hyperlink: 'mailto:Alice@Example.com' }, 'vip;en', 1001]];
    const res = await upload('customers.xlsx', await xlsx(rows), { mode: 'valid_only' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ format: 'xlsx', mode: 'valid_only', status: 'completed', importedRows: 1 });
    expect(await byName('Alice Wang')).toMatchObject({ phones: ['13812343836'], emails: ['alice@example.com'], tags: ['vip', 'en'], externalId: '1001' });
  });

  it('C5: all-or-nothing writes nothing when row 3 has a bad phone, and reports the row as Excel numbers it', async () => {
    const before = (await all()).length;
    const text = csv([HEADER, ['甲', '个人', '13812343836', '', '', '', '新公司', ''], ['乙', '个人', '12ab', 'bad-email', '', '', '', ''], ['丙', '机器人', '', '', '', '', '', '']]);
    const res = await upload('c.csv', text, { mode: 'all_or_nothing' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'rejected', importedRows: 0, processedRows: 3 });
    expect(res.body.report).toEqual([
      { row: 3, field: '手机', reason: '第 1 个手机号格式不正确' },
      { row: 3, field: '邮箱', reason: '第 1 个邮箱格式不正确' },
      { row: 4, field: '类型(个人/企业)', reason: '“机器人”不是有效类型，请填“个人”或“企业”' },
    ]);
    expect((await all()).length).toBe(before);
    const state = await h.api('GET', `/api/customers/imports/${res.body.id}`, { as: 'manager1' });
    expect(state.body.report).toHaveLength(3);
  });

  it('C5: valid-only imports the good rows and reports the bad ones, in the language of the request', async () => {
    await h.api('POST', '/api/customers', { as: 'agent1', body: { name: '老客户', phones: ['13900001111'] } });
    const text = csv([
      ['Name', 'Phones', 'Emails'],
      ['Good One', '13812340001', 'one@example.com'],
      ['', '13812340002', ''],
      ['Taken', '139 0000 1111', ''],
      ['Twin', '13812340001', 'ONE@example.com'],
      ['Good Two', '', ''],
    ]);
    const form = new FormData();
    form.append('mode', 'valid_only');
    form.append('file', new Blob([text]), 'c.csv');
    const res = await h.api('POST', '/api/customers/imports', { as: 'lead1', body: form, headers: { 'accept-language': 'en' } });
    expect(res.body).toMatchObject({ status: 'completed', totalRows: 5, importedRows: 2 });
    expect(res.body.report).toEqual([
      { row: 3, field: 'Name', reason: 'Required' },
      { row: 4, field: 'Phones', reason: 'Phone 139****1111 already belongs to another customer' },
      { row: 5, field: 'Phones', reason: 'Phone 138****0001 repeats row 2' },
      { row: 5, field: 'Emails', reason: 'Email o***@example.com repeats row 2' },
    ]);
    expect((await all()).map((c) => c.name).sort()).toEqual(['Good One', 'Good Two', '老客户'].sort());
  });

  it('C5: unknown or missing columns refuse the file with 400 naming them; nothing is written', async () => {
    const unknown = expectError(await upload('c.csv', csv([['姓名', '生日', '手机', 'wechat'], ['甲', '1990-01-01', '', '']])), 400, 'customer_import.unknown_columns');
    expect(unknown.message).toBe('无法识别的列：生日、wechat');
    expect(unknown.field).toBe('file');
    expect(expectError(await upload('c.csv', csv([['手机', '邮箱'], ['13812343836', '']])), 400, 'customer_import.missing_columns').message).toBe('缺少必需的列：姓名');
    expectError(await upload('c.csv', csv([['姓名', 'name'], ['甲', '甲']])), 400, 'customer_import.duplicate_columns');
    expectError(await upload('c.csv', csv([HEADER])), 400, 'customer_import.empty_file');
    expectError(await upload('c.xls', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0])), 415, 'customer_import.unsupported_file');
    expectError(await upload('c.xlsx', Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3])), 400, 'customer_import.unreadable_file');
    expect((await all()).length).toBe(0);
    expect(await h.kefu.database.db.select().from(customerImports)).toEqual([]);
  });

  it('C5: an upload that is not multipart, has no file, an unknown field or a bad mode is 4xx', async () => {
    expectError(await h.api('POST', '/api/customers/imports', { as: 'lead1', body: { file: 'x' } }), 415, 'customer_import.not_multipart');
    const noFile = new FormData();
    noFile.append('mode', 'valid_only');
    expectError(await h.api('POST', '/api/customers/imports', { as: 'lead1', body: noFile }), 400, 'file.missing');
    const extra = new FormData();
    extra.append('colour', 'red');
    expect(expectError(await h.api('POST', '/api/customers/imports', { as: 'lead1', body: extra }), 400, 'request.unknown_field').field).toBe('colour');
    expect(expectError(await upload('c.csv', csv([HEADER, ['甲']]), { mode: 'some' }), 400, 'customer_import.invalid_mode').field).toBe('mode');
    expectError(await upload('c.csv', csv([HEADER, ['甲']]), { as: 'agent1' }), 403, 'auth.forbidden');
  });

  it('C5: a row with an external id updates that archive; columns absent from the file stay as they were', async () => {
    await upload('a.csv', csv([HEADER, ['孙悟空', '个人', '13812343836', 'sun@example.com', '花果山', '新客', '', 'CRM-7']]));
    const first = (await byName('孙悟空'))!;
    const res = await upload('b.csv', csv([['外部编号', '姓名', '标签'], ['CRM-7', '孙行者', '老客户;重点']]));
    expect(res.body).toMatchObject({ status: 'completed', importedRows: 1 });
    const after = await all();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: first.id, name: '孙行者', tags: ['老客户', '重点'], phones: ['13812343836'], emails: ['sun@example.com'] });
    expect(after[0]!.addresses[0]!.street).toBe('花果山');
    // The same phone under the same archive is no conflict; in another row it would be.
    const again = await upload('c.csv', csv([['外部编号', '姓名', '手机'], ['CRM-7', '孙行者', '138 1234 3836'], ['CRM-8', '猪八戒', '13812343836']]), { mode: 'valid_only' });
    expect(again.body.report).toEqual([{ row: 3, field: '手机', reason: '手机号 138****3836 与第 2 行重复' }]);
    const audit = await h.api('GET', `/api/audit?entityType=customer&entityId=${first.id}&action=update`, { as: 'manager1' });
    expect(audit.body.data.length).toBeGreaterThan(0);
  });

  it('C5: a large file is imported in the background in batches, with progress sent to the importer only', async () => {
    const rows = [['姓名', '手机', '标签']];
    for (let i = 1; i <= 1200; i++) rows.push([`客户${i}`, i === 700 ? '12345' : `138${String(i).padStart(8, '0')}`, '批量']);
    const res = await upload('big.csv', csv(rows), { mode: 'valid_only' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'queued', totalRows: 1200, processedRows: 0 });
    await h.kefu.jobs.runDue();
    const state = await h.api('GET', `/api/customers/imports/${res.body.id}`, { as: 'lead1' });
    expect(state.body).toMatchObject({ status: 'completed', processedRows: 1200, importedRows: 1199, report: [{ row: 701, field: '手机', reason: '第 1 个手机号格式不正确' }] });
    expect((await all()).length).toBe(1199);

    const progress = await h.kefu.database.db.select().from(events).where(eq(events.type, 'customer_import.progress'));
    const lead = (await h.api('GET', '/api/staff?q=lead1', { as: 'admin' })).body.data[0].id;
    expect(progress.map((e) => (e.data as { processedRows: number }).processedRows)).toEqual([0, 500, 1000, 1200, 1200]);
    expect(progress.every((e) => JSON.stringify(e.audience) === JSON.stringify({ staffIds: [lead] }))).toBe(true);
    // Rows written by the job are in the importer's name.
    const audit = await h.api('GET', `/api/audit?entityType=customer&actorId=${lead}&limit=1`, { as: 'manager1' });
    expect(audit.body.data).toHaveLength(1);
  });

  it('C5: a large all-or-nothing import with one bad row writes nothing, after checking every row', async () => {
    const rows = [['姓名', '邮箱']];
    for (let i = 1; i <= 1100; i++) rows.push([`客户${i}`, i === 1050 ? 'no-at-sign' : `c${i}@example.com`]);
    const res = await upload('big.csv', csv(rows));
    expect(res.status).toBe(202);
    await h.kefu.jobs.runDue();
    const state = await h.api('GET', `/api/customers/imports/${res.body.id}`, { as: 'lead1' });
    expect(state.body).toMatchObject({ status: 'rejected', processedRows: 1100, importedRows: 0, report: [{ row: 1051, field: '邮箱' }] });
    expect((await all()).length).toBe(0);
  });
});

describe('C5 export', () => {
  async function sample() {
    const org = (await h.api('POST', '/api/customers', { as: 'agent1', body: { kind: 'organisation', name: '华东精密机械有限公司', phones: ['021-55556666'], externalId: 'ERP-1' } })).body.id;
    await h.api('POST', '/api/customers', {
      as: 'agent1',
      body: { name: '陈经理', organisationId: org, title: '采购经理', phones: ['13812343836', '+44 20 7946 0958'], emails: ['chen@example.com'], addresses: [{ street: '上海市闵行区莘庄工业区 1 号' }, { street: '北京市朝阳区建国路88号' }], tags: ['采购', '重点'] },
    });
    await h.api('POST', '/api/customers', { as: 'agent1', body: { name: '=HYPERLINK("http://evil.example","点我")', tags: ['可疑'] } });
  }

  it('C5: export is refused to an agent and a team lead, and audited for a manager with reason, filters and row count', async () => {
    await sample();
    const url = `/api/customers/exports?format=csv&tag=${encodeURIComponent('采购')}&reason=${encodeURIComponent('年度客户回访')}`;
    for (const as of ['agent1', 'lead1']) expectError(await h.api('GET', url, { as }), 403, 'auth.forbidden');
    expect(expectError(await h.api('GET', '/api/customers/exports?format=csv', { as: 'manager1' }), 400, 'request.invalid').field).toBe('reason');

    const res = await download(url, 'manager1');
    expect(res.status).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^text\/csv/);
    expect(String(res.headers['content-disposition'])).toMatch(/^attachment; filename="customers-20260302-\d{6}\.csv"$/);
    expect([...res.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = res.bytes.toString('utf8').slice(1);
    expect(text.split('\r\n')[0]).toBe('姓名,类型(个人/企业),手机,邮箱,地址,标签,所属企业,职务,外部编号');
    expect(text).toContain('陈经理,个人,13812343836;+442079460958,chen@example.com,上海市闵行区莘庄工业区 1 号;北京市朝阳区建国路88号,采购;重点,华东精密机械有限公司,采购经理,');
    expect(text.trim().split('\r\n')).toHaveLength(2);

    const audit = await h.api('GET', '/api/audit?action=export', { as: 'manager1' });
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0]).toMatchObject({ entityType: 'customer', reason: '年度客户回访', after: { format: 'csv', rows: 1, filters: { tag: '采购' } } });
  });

  it('C5: an exported XLSX imports back into an empty archive unchanged', async () => {
    await sample();
    const first = await download(`/api/customers/exports?format=xlsx&reason=${encodeURIComponent('迁移到新系统')}`, 'admin');
    expect(String(first.headers['content-type'])).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const before = await readXlsx(first.bytes);
    expect(before).toHaveLength(4);

    await h.reset();
    const res = await upload('export.xlsx', first.bytes);
    expect(res.body, JSON.stringify(res.body)).toMatchObject({ status: 'completed', importedRows: 3 });
    const second = await download(`/api/customers/exports?format=xlsx&reason=${encodeURIComponent('核对导入结果')}`, 'admin');
    const sort = (rows: string[][]) => [rows[0], ...rows.slice(1).sort((a, b) => a[0]!.localeCompare(b[0]!))];
    expect(sort(await readXlsx(second.bytes))).toEqual(sort(before));
  });

  it('C5: a CSV export guards cells Excel would run as formulas, and the guard is dropped on import', async () => {
    await sample();
    const res = await download(`/api/customers/exports?reason=${encodeURIComponent('安全检查')}&q=HYPERLINK`, 'manager1');
    const line = res.bytes.toString('utf8').split('\r\n')[1]!;
    expect(line.startsWith(`"'=HYPERLINK(`)).toBe(true);
    await h.reset();
    expect((await upload('back.csv', res.bytes)).body.status).toBe('completed');
    expect((await all())[0]!.name).toBe('=HYPERLINK("http://evil.example","点我")');
  });
});
