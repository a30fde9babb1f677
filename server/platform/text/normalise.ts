import { Converter } from 'opencc-js/t2cn';

/** Taiwan phrases as well as characters (軟體 → 软件, 滑鼠 → 鼠标), so a Traditional query finds Simplified text. */
const toSimplified = Converter({ from: 'twp', to: 'cn' });

/**
 * The one form text is compared in (K2): full-width letters and digits folded (NFKC), lower case,
 * Traditional Chinese to Simplified. Indexing and querying both go through it.
 */
export function normaliseText(text: string): string {
  return toSimplified(text.normalize('NFKC').toLowerCase());
}
