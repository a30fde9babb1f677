/**
 * K3: personal data taken out of free text before it is shared (a solved case becoming an article):
 * the person's known values, then anything shaped like a mobile, landline, ID number or email.
 * Placeholders say what was there, so the text still reads.
 */
export interface KnownPersonalData {
  names: string[];
  phones: string[];
  emails: string[];
  /** Street parts of addresses: province and city alone say nothing about a person. */
  streets: string[];
}

const PLACEHOLDER = { name: '【客户】', phone: '【电话】', email: '【邮箱】', street: '【地址】', idCard: '【证件号】' } as const;

/** Digits with the separators people type between them (138-1234-5678, 138 1234 5678). */
const SEP = '[\\s-]?';
const PATTERNS: Array<[RegExp, string]> = [
  [/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, PLACEHOLDER.email],
  // Checked before phones: an ID number holds runs that look like a mobile.
  [/(?<![\dA-Za-z])\d{6}(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])/g, PLACEHOLDER.idCard],
  [new RegExp(`(?<!\\d)(\\+?86${SEP})?1[3-9]\\d${SEP}\\d{4}${SEP}\\d{4}(?!\\d)`, 'g'), PLACEHOLDER.phone],
  [new RegExp(`(?<!\\d)0\\d{2,3}${SEP}\\d{7,8}(?!\\d)`, 'g'), PLACEHOLDER.phone],
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A stored phone is digits only; in text it may carry separators between any digits. */
const loosePhone = (digits: string) => new RegExp(`(?<!\\d)${[...digits.replace(/\D/g, '')].map(escape).join(SEP)}(?!\\d)`, 'g');

export function scrubText(text: string, known: KnownPersonalData): string {
  let out = text;
  const literal = (values: string[], placeholder: string) => {
    // Longest first, so 张三丰 is replaced before a value 张三 could split it.
    for (const v of [...new Set(values.map((x) => x.trim()).filter((x) => x.length >= 2))].sort((a, b) => b.length - a.length)) {
      out = out.replace(new RegExp(escape(v), 'gi'), placeholder);
    }
  };
  literal(known.emails, PLACEHOLDER.email);
  for (const phone of known.phones) if (phone.replace(/\D/g, '').length >= 5) out = out.replace(loosePhone(phone), PLACEHOLDER.phone);
  literal(known.streets, PLACEHOLDER.street);
  literal(known.names, PLACEHOLDER.name);
  for (const [pattern, placeholder] of PATTERNS) out = out.replace(pattern, placeholder);
  return out;
}
