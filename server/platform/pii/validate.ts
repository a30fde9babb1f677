/** ISO 7064 MOD 11-2 check character of an 18-digit resident ID number. */
export function idCheckChar(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * weights[i]!, 0);
  return '10X98765432'[sum % 11]!;
}

/** 18 digits with a valid check character, or the old 15-digit format. */
export function isValidIdNumber(value: string): boolean {
  if (/^\d{15}$/.test(value)) return true;
  if (!/^\d{17}[\dX]$/i.test(value)) return false;
  return idCheckChar(value.slice(0, 17)) === value[17]!.toUpperCase();
}

/** A mobile or landline number: digits with optional +, spaces, hyphens and an extension. */
export const PHONE_PATTERN = '^\\+?[0-9][0-9 \\-]{4,18}[0-9]((转|ext\\.?)[0-9]{1,6})?$';
