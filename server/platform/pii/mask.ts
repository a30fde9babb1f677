/**
 * The one masking module (C4). Every personal value that leaves the server goes through here.
 * Formats follow common Chinese practice: 138****3836, 110105********002X, a***@example.com.
 */
export const PII_KINDS = ['mobile', 'landline', 'phone', 'id_card', 'email', 'address', 'name'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

const STAR = '*';

function keepEnds(s: string, head: number, tail: number, stars?: number): string {
  const chars = [...s];
  if (chars.length <= head + tail) return STAR.repeat(Math.max(chars.length, 1));
  const middle = stars ?? chars.length - head - tail;
  return chars.slice(0, head).join('') + STAR.repeat(middle) + chars.slice(chars.length - tail).join('');
}

/** 13812343836 → 138****3836; +86 138 1234 3836 → +86 138****3836; (+86)13812343836 → (+86)138****3836. */
export function maskMobile(value: string): string {
  const m = /^((?:\(\+?\d{1,3}\)|(?:\+|00)?\d{1,3})[\s-]?)?(1\d{2})[\s-]?(\d{4})[\s-]?(\d{4})$/.exec(value.trim());
  if (m) return `${m[1] ?? ''}${m[2]}****${m[4]}`;
  const digits = value.replace(/\D/g, '');
  return digits.length >= 7 ? keepEnds(digits, 3, 4, 4) : keepEnds(digits, 1, 1);
}

/** 010-12345678 → 010-****5678; +86-10-12345678 → +86-10-****5678; 87654321 → ****4321. */
export function maskLandline(value: string): string {
  // Stored without separators (as normalised archives keep them): area code 01x/02x is three digits, others four.
  const bare = /^(0[12]\d|0[3-9]\d{2})(\d{7,8})$/.exec(value.trim());
  if (bare) return `${bare[1]}****${bare[2]!.slice(-4)}`;
  const m = /^((?:(?:\+|00)86[\s-]?)?(?:\(0?\d{2,3}\)|0?\d{2,3})[\s-]?)?(\d{3,4}[\s-]?\d{4})(?:(?:[\s-]|转|ext\.?)\d{1,6})?$/i.exec(value.trim());
  if (m) return `${m[1] ?? ''}****${m[2]!.slice(-4)}`;
  return maskMobile(value);
}

export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  return /^(0086|86)?1\d{10}$/.test(digits) ? maskMobile(value) : maskLandline(value);
}

/** 18-digit resident ID 11010519900101002X → 110105********002X; 15-digit old format keeps 6 + 4. */
export function maskIdCard(value: string): string {
  const v = value.trim();
  if (/^\d{17}[\dXx]$/.test(v) || /^\d{15}$/.test(v)) return keepEnds(v, 6, 4);
  return keepEnds(v, 1, 1);
}

/** alice@example.com → a***@example.com */
export function maskEmail(value: string): string {
  const at = value.lastIndexOf('@');
  if (at < 1) return keepEnds(value, 1, 0, 3);
  return `${[...value][0]}***${value.slice(at)}`;
}

// Names of provinces, cities and districts hold no digits, street words or another level's suffix,
// so a street such as 文三路电子市场区 cannot pass for a city or a district.
const DIVISION_NAME = '[^\\d０-９\\s省市区县旗路街道巷弄号楼栋室村镇乡]';
const DIVISIONS = new RegExp(
  `^(?:${DIVISION_NAME}{1,7}(?:省|自治区|特别行政区))?(?:${DIVISION_NAME}{1,10}?(?:市|自治州|地区|盟))?${DIVISION_NAME}{1,15}?(?:区|县|旗|市)`,
);

/**
 * Keeps province, city and district (区/县/旗 or county-level 市) and hides the rest:
 * 北京市朝阳区建国路88号 → 北京市朝阳区****.
 */
export function maskAddress(value: string): string {
  const v = value.trim();
  const kept = DIVISIONS.exec(v)?.[0] ?? '';
  if (!kept || kept.length >= v.length) {
    // No recognisable district: keep the first third at most.
    const chars = [...v];
    return chars.slice(0, Math.min(6, Math.floor(chars.length / 3))).join('') + '****';
  }
  return `${kept}****`;
}

/** 张三丰 → 张**; Alice Smith → A**** */
export function maskName(value: string): string {
  const chars = [...value.trim()];
  if (chars.length === 0) return '';
  return chars[0] + STAR.repeat(Math.max(1, Math.min(chars.length - 1, 4)));
}

const MASKERS: Record<PiiKind, (v: string) => string> = {
  mobile: maskMobile,
  landline: maskLandline,
  phone: maskPhone,
  id_card: maskIdCard,
  email: maskEmail,
  address: maskAddress,
  name: maskName,
};

export function mask(kind: PiiKind, value: string): string {
  return value === '' ? '' : MASKERS[kind](value);
}
