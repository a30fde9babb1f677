import { stringify } from 'csv-stringify/sync';

/** The spreadsheet files the server reads and writes: CSV, and .xlsx through exceljs. */
export type SheetFormat = 'csv' | 'xlsx';

export const SHEET_CONTENT_TYPES: Record<SheetFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** Excel runs a CSV cell starting with these as a formula (CSV injection); a leading apostrophe keeps it text. */
export const guardFormula = (v: string): string => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);

/** The guard is not data: a file read back drops it. */
export const unguardFormula = (v: string): string => (/^'[=+\-@\t\r]/.test(v) ? v.slice(1) : v);

export type CsvCell = string | number | null;

/**
 * A CSV file as Excel on a Chinese Windows opens it: UTF-8 with a BOM, CRLF line ends. Text cells
 * are guarded; numbers are written as numbers (a negative one is not a formula); null is empty.
 */
export function csvBytes(rows: CsvCell[][]): Buffer {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'string' ? guardFormula(c) : (c ?? ''))));
  return Buffer.from(stringify(cells, { bom: true, record_delimiter: 'windows' }), 'utf8');
}
