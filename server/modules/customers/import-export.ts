import { parse as parseCsv } from 'csv-parse/sync';
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { DateTime } from 'luxon';
import type { Executor } from '../../db/client.ts';
import { newId } from '../../db/columns.ts';
import { SYSTEM_ACTOR, type Ctx } from '../../platform/context.ts';
import { defineErrors } from '../../platform/errors.ts';
import { declareEventTypes } from '../../platform/events/outbox.ts';
import { SHEET_CONTENT_TYPES, csvBytes, unguardFormula, type SheetFormat } from '../../platform/files/sheets.ts';
import type { FileStore } from '../../platform/files/store.ts';
import { format, type Locale, type Messages } from '../../platform/i18n.ts';
import { scheduleJob, type JobRunner } from '../../platform/jobs/runner.ts';
import { maskEmail, maskPhone } from '../../platform/pii/mask.ts';
import { PHONE_PATTERN } from '../../platform/pii/validate.ts';
import { write, type Writer } from '../../platform/write.ts';
import type { PolicyDocument } from '../policy/document.ts';
import { currentPolicy } from '../policy/service.ts';
import { CUSTOMER_AUDIENCE } from './audience.ts';
import { orgZone } from './tiers.ts';
import { lockContacts, normaliseEmail, normalisePhone, startingTier } from './lookup.ts';
import { customerImports, customers, type Address } from './schema.ts';
import { contactOwners, contactsCount, customerConditions, type CustomerFilter } from './service.ts';
import { CustomerView, customerView, importView, type CustomerKind, type ImportMode, type ImportProblem, type ImportStatus, type ImportView } from './views.ts';

export const ImportError = defineErrors('customer_import', {
  not_found: [404, { 'zh-CN': '导入记录不存在', 'zh-TW': '匯入記錄不存在', en: 'Import not found' }],
  not_multipart: [415, { 'zh-CN': '请以 multipart/form-data 上传文件（字段 file）', 'zh-TW': '請以 multipart/form-data 上傳檔案（欄位 file）', en: 'Upload the file as multipart/form-data (field "file")' }],
  unsupported_file: [415, { 'zh-CN': '只支持 CSV 或 Excel（.xlsx）文件', 'zh-TW': '只支援 CSV 或 Excel（.xlsx）檔案', en: 'Only CSV or Excel (.xlsx) files are supported' }],
  unreadable_file: [400, { 'zh-CN': '文件无法读取，请确认是有效的 CSV 或 .xlsx 文件', 'zh-TW': '檔案無法讀取，請確認是有效的 CSV 或 .xlsx 檔案', en: 'The file cannot be read; is it a valid CSV or .xlsx file?' }],
  invalid_mode: [400, { 'zh-CN': '导入方式只能是 all_or_nothing 或 valid_only', 'zh-TW': '匯入方式只能是 all_or_nothing 或 valid_only', en: 'mode must be all_or_nothing or valid_only' }],
  unknown_columns: [400, { 'zh-CN': '无法识别的列：{columns}', 'zh-TW': '無法識別的欄：{columns}', en: 'Unknown columns: {columns}' }],
  missing_columns: [400, { 'zh-CN': '缺少必需的列：{columns}', 'zh-TW': '缺少必要的欄：{columns}', en: 'Required columns are missing: {columns}' }],
  duplicate_columns: [400, { 'zh-CN': '列重复：{columns}', 'zh-TW': '欄重複：{columns}', en: 'Columns appear twice: {columns}' }],
  empty_file: [400, { 'zh-CN': '文件中没有数据行', 'zh-TW': '檔案中沒有資料列', en: 'The file has no data rows' }],
  too_many_rows: [400, { 'zh-CN': '一次最多导入 {max} 行，文件有 {rows} 行', 'zh-TW': '一次最多匯入 {max} 列，檔案有 {rows} 列', en: 'At most {max} rows per import; the file has {rows}' }],
});

declareEventTypes({ 'customer_import.progress': '客户导入进度（仅推送给导入人）' });

export const IMPORT_JOB = 'customers.import';
/** Rows per transaction and per progress report; a file no larger than this is imported within the request. */
export const IMPORT_BATCH = 500;
export const MAX_IMPORT_ROWS = 50_000;
export const LIMITS = { phones: 10, emails: 10, addresses: 10, tags: 30, name: 100, title: 100, tag: 32, street: 200, externalId: 64, email: 200 } as const;

// ---------- columns ----------

type Field = 'name' | 'kind' | 'phones' | 'emails' | 'address' | 'tags' | 'organisation' | 'title' | 'externalId';

/** Export order; the first name is the header written on export, the others are accepted on import. */
const COLUMNS: Array<{ field: Field; names: string[] }> = [
  { field: 'name', names: ['姓名', '名称', '客户名称', 'name'] },
  { field: 'kind', names: ['类型(个人/企业)', '类型', 'kind', 'type'] },
  { field: 'phones', names: ['手机', '手机号', '电话', 'phones', 'phone'] },
  { field: 'emails', names: ['邮箱', '电子邮箱', 'emails', 'email'] },
  { field: 'address', names: ['地址', 'address', 'addresses'] },
  { field: 'tags', names: ['标签', 'tags'] },
  { field: 'organisation', names: ['所属企业', '企业', 'organisation', 'organization', 'company'] },
  { field: 'title', names: ['职务', 'title'] },
  { field: 'externalId', names: ['外部编号', 'externalid', 'external_id', 'external id'] },
];
const REQUIRED: Field[] = ['name'];

/** Full-width brackets, case and spaces do not matter in a header. */
const headerKey = (h: string): string => h.normalize('NFKC').replace(/\s+/g, '').toLowerCase();
const FIELD_BY_HEADER = new Map(COLUMNS.flatMap((c) => c.names.map((n) => [headerKey(n), c.field] as const)));
const headerOf = (field: Field): string => COLUMNS.find((c) => c.field === field)!.names[0]!;

// ---------- reading files ----------

export interface Sheet {
  format: SheetFormat;
  headers: string[];
  /** Data rows with their number as Excel shows it (the header is row 1); blank rows are left out. */
  rows: Array<{ row: number; cells: string[] }>;
}

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0]);

export function detectFormat(fileName: string, bytes: Buffer): SheetFormat {
  if (bytes.subarray(0, 4).equals(ZIP_MAGIC)) return 'xlsx';
  // Old binary .xls and other binary files: exceljs reads only .xlsx.
  if (bytes.subarray(0, 4).equals(OLE_MAGIC) || bytes.subarray(0, 8192).includes(0)) throw ImportError('unsupported_file', { field: 'file' });
  if (/\.(xlsx|xls|xlsm|numbers|pdf|docx?)$/i.test(fileName)) throw ImportError('unsupported_file', { field: 'file' });
  return 'csv';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 (with or without BOM); anything else is taken as GB18030, a superset of the GBK Chinese Excel saves. */
export function decodeText(bytes: Buffer): string {
  try {
    return utf8.decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return iconv.decode(bytes, 'gb18030');
  }
}

function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? v.toFixed(0) : String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if ('richText' in v) return v.richText.map((r) => r.text).join('');
  if ('hyperlink' in v) return typeof v.text === 'string' ? v.text : cellText(v.text as ExcelJS.CellValue);
  if ('formula' in v || 'sharedFormula' in v) return cellText((v as ExcelJS.CellFormulaValue).result as ExcelJS.CellValue);
  return '';
}

export async function readSheet(fileName: string, bytes: Buffer): Promise<Sheet> {
  const fileFormat = detectFormat(fileName, bytes);
  let table: Array<{ row: number; cells: string[] }>;
  try {
    if (fileFormat === 'csv') {
      const records = parseCsv(decodeText(bytes), { relax_column_count: true, skip_empty_lines: false }) as string[][];
      table = records.map((cells, i) => ({ row: i + 1, cells }));
    } else {
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(bytes as unknown as ArrayBuffer);
      const sheet = book.worksheets[0];
      table = [];
      sheet?.eachRow({ includeEmpty: false }, (r, n) => {
        const cells: string[] = [];
        r.eachCell({ includeEmpty: true }, (c, col) => (cells[col - 1] = cellText(c.value)));
        table.push({ row: n, cells: Array.from(cells, (c) => c ?? '') });
      });
    }
  } catch (cause) {
    throw ImportError('unreadable_file', { field: 'file', cause });
  }
  const [head, ...rest] = table;
  if (!head || head.row !== 1) throw ImportError('missing_columns', { field: 'file', params: { columns: REQUIRED.map(headerOf).join('、') } });
  const rows = rest.filter((r) => r.cells.some((c) => c.trim() !== ''));
  return { format: fileFormat, headers: head.cells.map((h) => h.trim()), rows };
}

interface Layout {
  /** Column index → field; undefined for an ignored blank column. */
  fields: Array<Field | undefined>;
  /** The header as the file spells it, for the report. */
  label: Map<Field, string>;
}

/** Maps headers to fields; any unknown, doubled or missing column refuses the whole file. */
export function layoutOf(sheet: Sheet): Layout {
  const fields: Array<Field | undefined> = [];
  const label = new Map<Field, string>();
  const unknown: string[] = [];
  const doubled: string[] = [];
  const width = Math.max(sheet.headers.length, ...sheet.rows.map((r) => r.cells.length));
  for (let i = 0; i < width; i++) {
    const header = sheet.headers[i] ?? '';
    if (header === '') {
      if (sheet.rows.some((r) => (r.cells[i] ?? '').trim() !== '')) unknown.push(`#${i + 1}`);
      fields.push(undefined);
      continue;
    }
    const field = FIELD_BY_HEADER.get(headerKey(header));
    if (!field) unknown.push(header);
    else if (label.has(field)) doubled.push(header);
    else label.set(field, header);
    fields.push(field);
  }
  if (unknown.length) throw ImportError('unknown_columns', { field: 'file', params: { columns: unknown.join('、') } });
  if (doubled.length) throw ImportError('duplicate_columns', { field: 'file', params: { columns: doubled.join('、') } });
  const missing = REQUIRED.filter((f) => !label.has(f));
  if (missing.length) throw ImportError('missing_columns', { field: 'file', params: { columns: missing.map(headerOf).join('、') } });
  return { fields, label };
}

// ---------- checking rows ----------

const REASONS = {
  required: { 'zh-CN': '必填', 'zh-TW': '必填', en: 'Required' },
  too_long: { 'zh-CN': '不能超过 {max} 个字符', 'zh-TW': '不能超過 {max} 個字元', en: 'At most {max} characters' },
  too_many: { 'zh-CN': '最多 {max} 个', 'zh-TW': '最多 {max} 個', en: 'At most {max} values' },
  invalid_text: { 'zh-CN': '含有无法保存的字符', 'zh-TW': '含有無法儲存的字元', en: 'Contains characters that cannot be stored' },
  invalid_kind: { 'zh-CN': '“{value}”不是有效类型，请填“个人”或“企业”', 'zh-TW': '「{value}」不是有效類型，請填「個人」或「企業」', en: '"{value}" is not a kind; use 个人 (person) or 企业 (organisation)' },
  invalid_phone: { 'zh-CN': '第 {index} 个手机号格式不正确', 'zh-TW': '第 {index} 個手機號碼格式不正確', en: 'Phone number {index} is malformed' },
  invalid_email: { 'zh-CN': '第 {index} 个邮箱格式不正确', 'zh-TW': '第 {index} 個電子郵件格式不正確', en: 'Email {index} is malformed' },
  phone_taken: { 'zh-CN': '手机号 {value} 已属于其他客户档案', 'zh-TW': '手機號碼 {value} 已屬於其他客戶檔案', en: 'Phone {value} already belongs to another customer' },
  email_taken: { 'zh-CN': '邮箱 {value} 已属于其他客户档案', 'zh-TW': '電子郵件 {value} 已屬於其他客戶檔案', en: 'Email {value} already belongs to another customer' },
  phone_repeated: { 'zh-CN': '手机号 {value} 与第 {row} 行重复', 'zh-TW': '手機號碼 {value} 與第 {row} 列重複', en: 'Phone {value} repeats row {row}' },
  email_repeated: { 'zh-CN': '邮箱 {value} 与第 {row} 行重复', 'zh-TW': '電子郵件 {value} 與第 {row} 列重複', en: 'Email {value} repeats row {row}' },
  external_id_repeated: { 'zh-CN': '外部编号与第 {row} 行重复', 'zh-TW': '外部編號與第 {row} 列重複', en: 'The external id repeats row {row}' },
  organisation_repeated: { 'zh-CN': '企业“{name}”与第 {row} 行重复', 'zh-TW': '企業「{name}」與第 {row} 列重複', en: 'Organisation "{name}" repeats row {row}' },
  organisation_for_organisation: { 'zh-CN': '企业档案不能再填写所属企业', 'zh-TW': '企業檔案不能再填寫所屬企業', en: 'An organisation cannot belong to another organisation' },
  has_contacts: { 'zh-CN': '该企业下还有 {count} 位联系人，不能改为个人', 'zh-TW': '該企業下還有 {count} 位聯絡人，不能改為個人', en: 'The organisation has {count} contacts; it cannot become a person' },
} satisfies Record<string, Messages>;
type Reason = keyof typeof REASONS;

const PHONE = new RegExp(PHONE_PATTERN);
/** The shape Ajv's `email` format accepts, so a file is held to what the API accepts. */
const EMAIL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LIST_SEPARATORS = /[;；,，、\n]+/;
const ADDRESS_SEPARATORS = /[;；\n]+/;

/** One row as read from the file; a field is undefined when its column is absent (an update leaves it alone). */
interface RowInput {
  row: number;
  name: string;
  kind?: CustomerKind;
  phones?: string[];
  emails?: string[];
  addresses?: Address[];
  tags?: string[];
  organisation?: string | null;
  title?: string | null;
  externalId?: string | null;
}

interface Checked {
  row: number;
  input: RowInput | null;
  problems: ImportProblem[];
}

class Reporter {
  constructor(
    private readonly locale: Locale,
    private readonly layout: Layout,
  ) {}
  problem(row: number, field: Field | null, reason: Reason, params: Record<string, unknown> = {}): ImportProblem {
    return { row, field: field ? this.layout.label.get(field)! : null, reason: format(REASONS[reason][this.locale], params) };
  }
}

/** Checks what a row can say on its own: formats, lengths, counts. */
function checkRow(r: { row: number; cells: string[] }, layout: Layout, rep: Reporter): Checked {
  const problems: ImportProblem[] = [];
  const raw = new Map<Field, string>();
  layout.fields.forEach((f, i) => f && raw.set(f, unguardFormula((r.cells[i] ?? '').trim())));
  for (const [f, v] of raw) if (UNSTORABLE.test(v)) problems.push(rep.problem(r.row, f, 'invalid_text'));
  if (problems.length) return { row: r.row, input: null, problems };
  const bad = (f: Field, reason: Reason, params?: Record<string, unknown>) => problems.push(rep.problem(r.row, f, reason, params));
  const text = (f: Field, max: number): string | null | undefined => {
    const v = raw.get(f);
    if (v === undefined) return undefined;
    if ([...v].length > max) bad(f, 'too_long', { max });
    return v === '' ? null : v;
  };
  const list = (f: Field, sep: RegExp, max: number): string[] | undefined => {
    const v = raw.get(f);
    if (v === undefined) return undefined;
    const items = v.split(sep).map((s) => s.trim()).filter(Boolean);
    if (items.length > max) bad(f, 'too_many', { max });
    return items;
  };

  const name = text('name', LIMITS.name);
  if (!name) bad('name', 'required');
  let kind: CustomerKind | undefined;
  const kindText = raw.get('kind');
  if (kindText) {
    if (/^(个人|個人|person|individual)$/i.test(kindText)) kind = 'person';
    else if (/^(企业|企業|公司|organi[sz]ation|company)$/i.test(kindText)) kind = 'organisation';
    else bad('kind', 'invalid_kind', { value: kindText.slice(0, 20) });
  }
  const phones = list('phones', LIST_SEPARATORS, LIMITS.phones);
  phones?.forEach((p, i) => PHONE.test(p) || bad('phones', 'invalid_phone', { index: i + 1 }));
  const emails = list('emails', LIST_SEPARATORS, LIMITS.emails);
  emails?.forEach((e, i) => (EMAIL.test(e) && e.length <= LIMITS.email) || bad('emails', 'invalid_email', { index: i + 1 }));
  const addresses = list('address', ADDRESS_SEPARATORS, LIMITS.addresses);
  if (addresses?.some((a) => [...a].length > LIMITS.street)) bad('address', 'too_long', { max: LIMITS.street });
  const tags = list('tags', LIST_SEPARATORS, LIMITS.tags);
  if (tags?.some((t) => [...t].length > LIMITS.tag)) bad('tags', 'too_long', { max: LIMITS.tag });
  const organisation = text('organisation', LIMITS.name);
  if (organisation && kind === 'organisation') bad('organisation', 'organisation_for_organisation');
  const title = text('title', LIMITS.title);
  const externalId = text('externalId', LIMITS.externalId);
  if (problems.length) return { row: r.row, input: null, problems };
  return {
    row: r.row,
    problems,
    input: {
      row: r.row,
      name: name!,
      kind,
      phones: phones && [...new Set(phones.map(normalisePhone))],
      emails: emails && [...new Set(emails.map(normaliseEmail))],
      addresses: addresses?.map((street) => ({ label: null, province: null, city: null, district: null, street, postcode: null })),
      tags: tags && [...new Set(tags)],
      organisation,
      title,
      externalId,
    },
  };
}

/** What earlier rows of the same file claimed: phones, emails, external ids, organisations by name. */
class Memo {
  phones = new Map<string, number>();
  emails = new Map<string, number>();
  externalIds = new Map<string, number>();
  organisationRows = new Map<string, number>();
  /** Organisation archives by name, found or created during this import. */
  organisations = new Map<string, string>();
}

type CustomerRow = typeof customers.$inferSelect;

/**
 * Checks a batch against the database and the rows before it; with `apply`, writes every row
 * without a problem. Returns the problems and how many rows were written.
 */
async function importBatch(w: Writer, batch: Checked[], memo: Memo, rep: Reporter, policy: PolicyDocument, apply: boolean) {
  const problems: ImportProblem[] = batch.flatMap((c) => c.problems);
  const inputs = batch.flatMap((c) => (c.input ? [c.input] : []));
  const phones = [...new Set(inputs.flatMap((i) => i.phones ?? []))];
  const emails = [...new Set(inputs.flatMap((i) => i.emails ?? []))];
  const externalIds = [...new Set(inputs.flatMap((i) => (i.externalId ? [i.externalId] : [])))];
  const orgNames = [...new Set(inputs.flatMap((i) => [i.organisation ?? '', i.kind === 'organisation' ? i.name : '']).filter(Boolean))];

  const owners = await contactOwners(w.tx, phones, emails, null);
  const byExternalId = new Map<string, CustomerRow>();
  if (externalIds.length) for (const c of await w.tx.select().from(customers).where(inArray(customers.externalId, externalIds))) byExternalId.set(c.externalId!, c);
  const orgByName = new Map<string, CustomerRow>();
  if (orgNames.length) {
    const found = await w.tx
      .select()
      .from(customers)
      .where(and(eq(customers.kind, 'organisation'), inArray(customers.name, orgNames)))
      .orderBy(asc(customers.id));
    for (const o of found) if (!orgByName.has(o.name)) orgByName.set(o.name, o);
  }

  let imported = 0;
  for (const input of inputs) {
    const found: ImportProblem[] = [];
    const bad = (f: Field | null, reason: Reason, params?: Record<string, unknown>) => found.push(rep.problem(input.row, f, reason, params));
    const byName = !input.externalId && input.kind === 'organisation';
    let target: CustomerRow | undefined = input.externalId ? byExternalId.get(input.externalId) : byName ? orgByName.get(input.name) : undefined;
    if (target && apply) [target] = await w.tx.select().from(customers).where(eq(customers.id, target.id)).for('update');

    if (input.externalId) {
      const earlier = memo.externalIds.get(input.externalId);
      if (earlier) bad('externalId', 'external_id_repeated', { row: earlier });
    } else if (byName) {
      const earlier = memo.organisationRows.get(input.name);
      if (earlier) bad('name', 'organisation_repeated', { name: input.name, row: earlier });
    }
    for (const p of input.phones ?? []) {
      const earlier = memo.phones.get(p);
      const owner = owners.find((o) => o.phones.includes(p));
      if (earlier) bad('phones', 'phone_repeated', { value: maskPhone(p), row: earlier });
      else if (owner && owner.id !== target?.id) bad('phones', 'phone_taken', { value: maskPhone(p) });
    }
    for (const e of input.emails ?? []) {
      const earlier = memo.emails.get(e);
      const owner = owners.find((o) => o.emails.includes(e));
      if (earlier) bad('emails', 'email_repeated', { value: maskEmail(e), row: earlier });
      else if (owner && owner.id !== target?.id) bad('emails', 'email_taken', { value: maskEmail(e) });
    }
    if (target?.kind === 'organisation' && input.kind === 'person') {
      const n = await contactsCount(w.tx, target.id);
      if (n > 0) bad('kind', 'has_contacts', { count: n });
    }
    if (found.length) {
      problems.push(...found);
      continue;
    }
    for (const p of input.phones ?? []) memo.phones.set(p, input.row);
    for (const e of input.emails ?? []) memo.emails.set(e, input.row);
    if (input.externalId) memo.externalIds.set(input.externalId, input.row);
    else if (byName) memo.organisationRows.set(input.name, input.row);
    if (!apply) continue;

    const saved = await saveRow(w, input, target, orgByName, memo, policy);
    if (saved.kind === 'organisation') orgByName.set(saved.name, saved);
    imported++;
  }
  return { problems: problems.sort((a, b) => a.row - b.row), imported };
}

async function insertArchive(w: Writer, values: Omit<typeof customers.$inferInsert, 'id' | 'createdAt' | 'updatedAt' | 'tier' | 'tierComputedAt' | 'source'>, policy: PolicyDocument) {
  const [row] = await w.tx
    .insert(customers)
    .values({ ...values, id: newId(), tier: startingTier(policy, w.now), tierComputedAt: w.now, source: 'import', createdAt: w.now, updatedAt: w.now })
    .returning();
  const after = customerView(row!);
  await w.changed({ entityType: 'customer', entityId: after.id, schema: CustomerView, before: null, after, event: 'customer.created', audience: CUSTOMER_AUDIENCE });
  return row!;
}

/** The organisation a contact row names: an existing archive of that name, or a new one. */
async function organisationFor(w: Writer, name: string, orgByName: Map<string, CustomerRow>, memo: Memo, policy: PolicyDocument): Promise<string> {
  const known = orgByName.get(name)?.id ?? memo.organisations.get(name);
  if (known) return known;
  const org = await insertArchive(w, { kind: 'organisation', name, organisationId: null, title: null, phones: [], emails: [], addresses: [], tags: [], externalId: null }, policy);
  orgByName.set(name, org);
  memo.organisations.set(name, org.id);
  return org.id;
}

async function saveRow(w: Writer, input: RowInput, target: CustomerRow | undefined, orgByName: Map<string, CustomerRow>, memo: Memo, policy: PolicyDocument): Promise<CustomerRow> {
  const kind = input.kind ?? (target?.kind as CustomerKind | undefined) ?? 'person';
  let organisationId: string | null | undefined;
  if (kind === 'organisation') organisationId = null;
  else if (input.organisation !== undefined) organisationId = input.organisation ? await organisationFor(w, input.organisation, orgByName, memo, policy) : null;
  if (!target) {
    const row = await insertArchive(
      w,
      {
        kind,
        name: input.name,
        organisationId: organisationId ?? null,
        title: input.title ?? null,
        phones: input.phones ?? [],
        emails: input.emails ?? [],
        addresses: input.addresses ?? [],
        tags: input.tags ?? [],
        externalId: input.externalId ?? null,
      },
      policy,
    );
    if (kind === 'organisation') memo.organisations.set(row.name, row.id);
    return row;
  }
  const set: Partial<CustomerRow> = { kind, name: input.name, updatedAt: w.now };
  if (organisationId !== undefined) set.organisationId = organisationId;
  for (const key of ['phones', 'emails', 'addresses', 'tags', 'title'] as const) if (input[key] !== undefined) Object.assign(set, { [key]: input[key] });
  const [updated] = await w.tx.update(customers).set(set).where(eq(customers.id, target.id)).returning();
  await w.changed({
    entityType: 'customer',
    entityId: target.id,
    schema: CustomerView,
    before: customerView(target),
    after: customerView(updated!),
    event: 'customer.updated',
    audience: CUSTOMER_AUDIENCE,
  });
  return updated!;
}

// ---------- running an import ----------

const FINISHED: ImportStatus[] = ['completed', 'rejected', 'failed'];

async function findImport(db: Executor, id: string) {
  const [row] = await db.select().from(customerImports).where(eq(customerImports.id, id)).limit(1);
  if (!row) throw ImportError('not_found');
  return row;
}

export async function getImport(ctx: Ctx, id: string): Promise<ImportView> {
  return importView(await findImport(ctx.db, id));
}

/** Records progress and tells the importer, in the transaction of the rows it reports. */
async function progress(w: Writer, id: string, set: Partial<typeof customerImports.$inferInsert>, addProblems: ImportProblem[] = []): Promise<ImportView> {
  const values = { ...set, ...(addProblems.length ? { report: sql`${customerImports.report} || ${JSON.stringify(addProblems)}::jsonb` } : {}) };
  const [row] = Object.keys(values).length
    ? await w.tx.update(customerImports).set(values).where(eq(customerImports.id, id)).returning()
    : await w.tx.select().from(customerImports).where(eq(customerImports.id, id));
  const v = importView(row!);
  await w.emit({
    type: 'customer_import.progress',
    entityType: 'customer_import',
    entityId: id,
    data: { id, status: v.status, totalRows: v.totalRows, processedRows: v.processedRows, importedRows: v.importedRows, problems: v.report.length },
    audience: row!.createdBy ? { staffIds: [row!.createdBy] } : {},
  });
  return v;
}

class Rejected extends Error {
  constructor(readonly problems: ImportProblem[]) {
    super('import rejected');
  }
}

const batches = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/**
 * Runs an import to its end. valid_only commits batch by batch, each with its progress, so a run
 * that stopped resumes after the last committed batch. all_or_nothing first checks every row
 * (reporting progress), then writes everything in one transaction that checks again.
 */
async function runImport(ctx: Ctx, id: string, sheet: Sheet): Promise<ImportView> {
  const imp = await findImport(ctx.db, id);
  if (FINISHED.includes(imp.status as ImportStatus)) return importView(imp);
  const layout = layoutOf(sheet);
  const rep = new Reporter(ctx.locale, layout);
  const checked = sheet.rows.map((r) => checkRow(r, layout, rep));
  const policy = await currentPolicy(ctx.db);
  const memo = new Memo();

  if ((imp.mode as ImportMode) === 'valid_only') {
    let { processedRows, importedRows } = imp;
    for (const batch of batches(checked.slice(processedRows), IMPORT_BATCH)) {
      await write(ctx, async (w) => {
        await lockContacts(w, batch.flatMap((c) => [...(c.input?.phones ?? []), ...(c.input?.emails ?? [])]));
        const { problems, imported } = await importBatch(w, batch, memo, rep, policy, true);
        await progress(w, id, { status: 'running', processedRows: processedRows + batch.length, importedRows: importedRows + imported }, problems);
        processedRows += batch.length;
        importedRows += imported;
      });
    }
    return write(ctx, (w) => progress(w, id, { status: 'completed', finishedAt: w.now }));
  }

  const problems: ImportProblem[] = [];
  let processed = 0;
  for (const batch of batches(checked, IMPORT_BATCH)) {
    await write(ctx, async (w) => {
      problems.push(...(await importBatch(w, batch, memo, rep, policy, false)).problems);
      processed += batch.length;
      await progress(w, id, { status: 'validating', processedRows: processed });
    });
  }
  if (problems.length) return write(ctx, (w) => progress(w, id, { status: 'rejected', finishedAt: w.now }, problems));
  try {
    return await write(ctx, async (w) => {
      await lockContacts(w, checked.flatMap((c) => [...(c.input?.phones ?? []), ...(c.input?.emails ?? [])]));
      const fresh = new Memo();
      let imported = 0;
      for (const batch of batches(checked, IMPORT_BATCH)) {
        const result = await importBatch(w, batch, fresh, rep, policy, true);
        // Someone else took a phone or an id since the check: nothing of this import is kept.
        if (result.problems.length) throw new Rejected(result.problems);
        imported += result.imported;
      }
      return progress(w, id, { status: 'completed', importedRows: imported, finishedAt: w.now });
    });
  } catch (err) {
    if (!(err instanceof Rejected)) throw err;
    return write(ctx, (w) => progress(w, id, { status: 'rejected', finishedAt: w.now }, err.problems));
  }
}

/** Text files of any encoding and .xlsx (a zip) are accepted for storage; readSheet decides what they hold. */
const IMPORT_FILE_TYPES = [/^text\/plain$/, /^application\/octet-stream$/, /^application\/zip$/, /^application\/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet$/];

export interface ImportDeps {
  files: FileStore;
}

/**
 * C5: reads and checks the file's columns (a bad file is refused before anything is written),
 * records the import, and runs it here when it fits one batch — 201 with the result — or as a
 * background job — 202, progress over /api/realtime and GET /api/customers/imports/:id.
 */
export async function startImport(ctx: Ctx, deps: ImportDeps, file: { fileName: string; bytes: Buffer }, mode: ImportMode): Promise<{ status: 201 | 202; view: ImportView }> {
  const sheet = await readSheet(file.fileName, file.bytes);
  layoutOf(sheet);
  if (sheet.rows.length === 0) throw ImportError('empty_file', { field: 'file' });
  if (sheet.rows.length > MAX_IMPORT_ROWS) throw ImportError('too_many_rows', { field: 'file', params: { max: MAX_IMPORT_ROWS, rows: sheet.rows.length } });
  const inline = sheet.rows.length <= IMPORT_BATCH;
  const stored = inline ? null : await deps.files.put(file.bytes, IMPORT_FILE_TYPES);
  const id = newId();
  await write(ctx, async (w) => {
    await w.tx.insert(customerImports).values({
      id,
      fileName: file.fileName.slice(0, 255),
      format: sheet.format,
      mode,
      status: 'queued',
      totalRows: sheet.rows.length,
      processedRows: 0,
      importedRows: 0,
      report: [],
      createdBy: ctx.actor.id,
      createdAt: w.now,
    });
    await w.audit({ action: 'create', entityType: 'customer_import', entityId: id, after: { fileName: file.fileName, format: sheet.format, mode, totalRows: sheet.rows.length } });
    if (stored) {
      await scheduleJob(w, {
        kind: IMPORT_JOB,
        payload: { importId: id, storageKey: stored.storageKey, actorId: ctx.actor.id, actorName: ctx.actor.name, locale: ctx.locale },
        maxAttempts: 3,
      });
    }
    await progress(w, id, {});
  });
  if (!inline) return { status: 202, view: await getImport(ctx, id) };
  try {
    return { status: 201, view: await runImport(ctx, id, sheet) };
  } catch (err) {
    // The rows' own transaction rolled back; the import must not stay "queued" for ever.
    await write(ctx, (w) => progress(w, id, { status: 'failed', finishedAt: w.now }));
    throw err;
  }
}

export function installImportJob(jobs: JobRunner, deps: ImportDeps): void {
  jobs.register(
    IMPORT_JOB,
    async (payload, jc) => {
      const p = payload as { importId: string; storageKey: string; actorId: string | null; actorName: string | null; locale: Locale };
      // Rows are written in the importer's name, as if the request had done them.
      const ctx: Ctx = { ...jc.ctx, locale: p.locale, actor: { ...SYSTEM_ACTOR, type: 'staff', id: p.actorId, name: p.actorName } };
      const imp = await findImport(ctx.db, p.importId);
      try {
        await runImport(ctx, p.importId, await readSheet(imp.fileName, await deps.files.read(p.storageKey)));
      } catch (err) {
        if (jc.job.attempts < jc.job.maxAttempts) throw err;
        await write(ctx, (w) => progress(w, p.importId, { status: 'failed', finishedAt: w.now }));
      }
    },
    { backoffMs: 5_000 },
  );
}

// ---------- export ----------

const KIND_LABEL: Record<CustomerKind, string> = { person: '个人', organisation: '企业' };
const formatAddress = (a: Address): string => [a.province, a.city, a.district, a.street].filter(Boolean).join('');

const EXPORT_PAGE = 1000;

async function exportPage(db: Executor, filter: CustomerFilter, after: string | null) {
  const cond = customerConditions(filter);
  if (after) cond.push(gt(customers.id, after));
  const rows = await db.select().from(customers).where(and(...cond)).orderBy(asc(customers.id)).limit(EXPORT_PAGE);
  const orgIds = [...new Set(rows.flatMap((r) => (r.organisationId ? [r.organisationId] : [])))];
  const orgs = orgIds.length ? await db.select({ id: customers.id, name: customers.name }).from(customers).where(inArray(customers.id, orgIds)) : [];
  const nameOf = new Map(orgs.map((o) => [o.id, o.name]));
  return rows.map((r) => ({ ...r, organisation: r.organisationId ? (nameOf.get(r.organisationId) ?? null) : null }));
}

/**
 * C5/C4: every matching archive in clear, in the import's columns, so the file imports back.
 * The export and its reason, filters and row count are audited in the transaction that read the rows.
 */
export async function exportCustomers(ctx: Ctx, filter: CustomerFilter, fileFormat: SheetFormat, reason: string) {
  const header = COLUMNS.map((c) => c.names[0]!);
  const table: string[][] = [];
  let zone = 'UTC';
  await write(ctx, async (w) => {
    for (let after: string | null = null; ; ) {
      const rows = await exportPage(w.tx, filter, after);
      for (const { organisation, ...c } of rows) {
        table.push([
          c.name,
          KIND_LABEL[c.kind as CustomerKind],
          c.phones.join(';'),
          c.emails.join(';'),
          c.addresses.map(formatAddress).join(';'),
          c.tags.join(';'),
          organisation ?? '',
          c.title ?? '',
          c.externalId ?? '',
        ]);
      }
      if (rows.length < EXPORT_PAGE) break;
      after = rows[rows.length - 1]!.id;
    }
    await w.audit({ action: 'export', entityType: 'customer', entityId: null, after: { format: fileFormat, filters: { ...filter }, rows: table.length }, reason });
    zone = orgZone(await currentPolicy(w.tx));
  });
  const stamp = DateTime.fromJSDate(ctx.clock.now(), { zone }).toFormat('yyyyLLdd-HHmmss');
  const fileName = `customers-${stamp}.${fileFormat}`;
  if (fileFormat === 'csv') {
    return { body: csvBytes([header, ...table]), fileName, contentType: SHEET_CONTENT_TYPES.csv, rows: table.length };
  }
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('客户档案');
  sheet.addRow(header).font = { bold: true };
  // Text cells: a phone stays "13812343836", never 1.38E+10.
  for (const r of table) sheet.addRow(r);
  sheet.columns.forEach((c) => (c.width = 18));
  const body = Buffer.from(await book.xlsx.writeBuffer());
  return { body, fileName, contentType: SHEET_CONTENT_TYPES.xlsx, rows: table.length };
}

