import ExcelJS from 'exceljs';
import { DateTime } from 'luxon';
import type { Ctx } from '../../platform/context.ts';
import { SHEET_CONTENT_TYPES, csvBytes, type CsvCell, type SheetFormat } from '../../platform/files/sheets.ts';
import { getStaff, getTeam } from '../org/service.ts';
import { currentPolicy } from '../policy/service.ts';
import { DIMENSION_LABELS, DIRECTION_LABELS, KPIS, PERIODS, UNIT_LABELS, kpiDefinition, type KpiDefinition, type Unit } from './registry.ts';
import { CHANNEL_LABELS, KpiError, kpiValues, type KpiFilters, type KpiValues } from './service.ts';

/**
 * R3: the KPI report for appraisals — several KPIs side by side, one row per group. Every figure is
 * a `kpiValues` answer (the same numbers, scoping and errors as GET /api/kpis/{code}/values); this
 * file only lays them out.
 */

/** Every KPI has these dimensions; the SLA target type belongs to SLA attainment alone. */
export const REPORT_DIMENSIONS = ['agent', 'team', 'channel', 'problem_type', ...PERIODS] as const;
export type ReportDimension = (typeof REPORT_DIMENSIONS)[number];

export interface ReportQuery extends Omit<KpiFilters, 'metric'> {
  groupBy: ReportDimension;
}

/** Shown precision: whole seconds and counts, percentages to 0.1, 1–5 scores to 0.01. */
const DECIMALS: Record<Unit, number> = { seconds: 0, percent: 1, score: 2, count: 0 };
const NUMBER_FORMATS: Record<Unit, string> = { seconds: '0', percent: '0.0', score: '0.00', count: '0' };
/** Short units for column headers (UNIT_LABELS reads 分（1–5）, too long after a name). */
const HEADER_UNITS: Record<Unit, string> = { seconds: '秒', percent: '%', score: '分', count: '个' };

const shown = (unit: Unit, value: number | null): number | null => {
  if (value === null) return null;
  const scale = 10 ** DECIMALS[unit];
  return Math.round(value * scale) / scale;
};

const headerOf = (def: KpiDefinition): string => `${def.name}（${HEADER_UNITS[def.unit]}）`;

/** A week reads with its dates, Monday to Sunday: 2026-W10（03-02 至 03-08）. */
function weekLabel(key: string): string {
  const monday = DateTime.fromISO(key);
  return `${key}（${monday.toFormat('MM-dd')} 至 ${monday.plus({ days: 6 }).toFormat('MM-dd')}）`;
}

function groupLabel(groupBy: ReportDimension, group: string | null, label: string | null): string {
  if (group === null) return groupBy === 'problem_type' ? '未分类' : '未分配';
  return groupBy === 'week' ? weekLabel(group) : (label ?? group);
}

interface ReportRow {
  label: string;
  values: Array<number | null>;
}

/** Groups of every KPI, merged: periods in order, names in Chinese collation, the unassigned last. */
function mergeRows(groupBy: ReportDimension, results: KpiValues[]): ReportRow[] {
  const labels = new Map<string | null, string>();
  for (const r of results) {
    for (const row of r.rows) if (!labels.has(row.group)) labels.set(row.group, groupLabel(groupBy, row.group, row.label));
  }
  const byKey = results.map((r) => new Map(r.rows.map((row) => [row.group, row.value])));
  const collator = new Intl.Collator('zh-Hans-CN', { numeric: true });
  const isPeriod = (PERIODS as readonly string[]).includes(groupBy);
  return [...labels]
    .sort(([ka, la], [kb, lb]) => {
      if (ka === null || kb === null) return ka === kb ? 0 : ka === null ? 1 : -1;
      return isPeriod ? ka.localeCompare(kb) : collator.compare(la, lb) || ka.localeCompare(kb);
    })
    .map(([key, label]) => ({ label, values: results.map((r, i) => shown(r.unit, byKey[i]!.get(key) ?? null)) }));
}

/** The filters the caller chose, in words, for the explanation sheet. */
async function filterText(ctx: Ctx, q: ReportQuery): Promise<string> {
  const parts: string[] = [];
  if (q.agentId) parts.push(`坐席：${(await getStaff(ctx, q.agentId)).displayName}`);
  if (q.teamId) parts.push(`班组：${(await getTeam(ctx, q.teamId)).name}`);
  if (q.channel) parts.push(`渠道：${CHANNEL_LABELS[q.channel] ?? q.channel}`);
  if (q.problemType) {
    const type = (await currentPolicy(ctx.db)).problemTypes.find((pt) => pt.code === q.problemType);
    parts.push(`问题类型：${type?.name ?? q.problemType}`);
  }
  return parts.length ? parts.join('；') : '无';
}

export interface ReportFile {
  body: Buffer;
  fileName: string;
  /** The same name in ASCII, for clients that cannot read the Chinese one. */
  asciiName: string;
  contentType: string;
}

/**
 * The report of `codes` (default: every KPI) grouped by `groupBy`, as CSV or .xlsx. An unknown code
 * is refused before anything is computed.
 */
export async function exportKpiReport(ctx: Ctx, codes: readonly string[] | undefined, q: ReportQuery, fileFormat: SheetFormat): Promise<ReportFile> {
  const defs = [...new Set(codes ?? KPIS.map((d) => d.code))].map((code) => {
    const def = kpiDefinition(code);
    if (!def) throw KpiError('not_found', { field: 'codes', params: { code } });
    return def;
  });
  const results: KpiValues[] = [];
  // One KPI at a time: each is a reporting transaction, and an export should not take the whole pool.
  for (const def of defs) results.push(await kpiValues(ctx, def.code, q));
  const { from, to, timezone } = results[0]!;
  const rows = mergeRows(q.groupBy, results);
  const header = [DIMENSION_LABELS[q.groupBy], ...defs.map(headerOf)];
  const total = ['合计', ...results.map((r) => shown(r.unit, r.total.value))];
  const names = {
    fileName: `KPI报表_按${DIMENSION_LABELS[q.groupBy]}_${from}至${to}.${fileFormat}`,
    asciiName: `kpi-report_${q.groupBy}_${from}_${to}.${fileFormat}`,
    contentType: SHEET_CONTENT_TYPES[fileFormat],
  };
  if (fileFormat === 'csv') return { ...names, body: csvBytes([header, ...rows.map((r): CsvCell[] => [r.label, ...r.values]), total]) };

  const book = new ExcelJS.Workbook();
  book.created = ctx.clock.now();
  const sheet = book.addWorksheet('KPI报表', { views: [{ state: 'frozen', xSplit: 1, ySplit: 1 }] });
  // Text cells stay text in .xlsx (a name starting with "=" is never a formula); figures are numbers in the shown precision.
  sheet.columns = [{ width: 28 }, ...defs.map((d) => ({ width: 16, style: { numFmt: NUMBER_FORMATS[d.unit] } }))];
  sheet.addRow(header).font = { bold: true };
  for (const r of rows) sheet.addRow([r.label, ...r.values]);
  sheet.addRow(total).font = { bold: true };

  const notes = book.addWorksheet('口径说明');
  notes.columns = [{ width: 22 }, { width: 30 }, { width: 90, style: { alignment: { wrapText: true, vertical: 'top' } } }, { width: 12 }, { width: 10 }, { width: 10 }];
  notes.addRow(['代码', '名称', '公式', '单位', '方向', '政策目标']).font = { bold: true };
  defs.forEach((d, i) => notes.addRow([d.code, d.name, d.formula, UNIT_LABELS[d.unit], DIRECTION_LABELS[d.direction], results[i]!.target]));
  notes.addRow([]);
  const stamp = DateTime.fromJSDate(ctx.clock.now(), { zone: timezone }).toFormat('yyyy-MM-dd HH:mm');
  for (const line of [
    ['统计期间', `${from} 至 ${to}（${timezone}）`],
    ['分组方式', DIMENSION_LABELS[q.groupBy]],
    ['筛选条件', await filterText(ctx, q)],
    ['数值', '与 GET /api/kpis/{code}/values 相同；百分比保留 1 位小数，时长取整秒，评分保留 2 位小数；空白表示无可计的记录（分母为 0）；合计按全部记录计算，不是各行的平均'],
    ['导出', `${ctx.actor.name ?? ''} ${stamp}`.trim()],
  ]) {
    notes.addRow(line).getCell(1).font = { bold: true };
  }
  return { ...names, body: Buffer.from(await book.xlsx.writeBuffer()) };
}
