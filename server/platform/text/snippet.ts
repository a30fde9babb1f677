import { normaliseText } from './normalise.ts';

/** A piece of a snippet; `hit` pieces are the query's words, for the client to mark. */
export interface SnippetPart {
  text: string;
  hit: boolean;
}

/** Characters shown before the first hit, so the hit is read in context. */
const LEAD = 20;

/**
 * Text positions match the original's: normalising the whole text keeps them when its length is
 * unchanged (the usual case); otherwise each character is normalised alone.
 */
function comparable(text: string): string {
  const whole = normaliseText(text);
  if (whole.length === text.length) return whole;
  return Array.from(text, (c) => {
    const n = normaliseText(c);
    return n.length === c.length ? n : c;
  }).join('');
}

/**
 * K2: a window of at most `length` characters around the place where the query's words are
 * densest, split into plain and hit parts. Structured, not HTML, so no text can inject markup.
 */
export function snippet(text: string, words: readonly string[], length = 120): SnippetPart[] {
  const flat = text.replace(/\s+/g, ' ').trim();
  const haystack = comparable(flat);
  const longestFirst = [...words].filter(Boolean).sort((a, b) => b.length - a.length);
  const hits: Array<[number, number]> = [];
  const taken = new Uint8Array(haystack.length);
  for (const word of longestFirst) {
    for (let at = haystack.indexOf(word); at !== -1; at = haystack.indexOf(word, at + word.length)) {
      if (taken.subarray(at, at + word.length).some(Boolean)) continue;
      taken.fill(1, at, at + word.length);
      hits.push([at, at + word.length]);
    }
  }
  hits.sort((a, b) => a[0] - b[0]);

  let start = 0;
  if (hits.length > 0) {
    let best = -1;
    for (const [from] of hits) {
      const windowStart = Math.max(0, from - LEAD);
      const count = hits.filter(([s, e]) => s >= windowStart && e <= windowStart + length).length;
      if (count > best) [best, start] = [count, windowStart];
    }
  }
  const end = Math.min(flat.length, start + length);
  const parts: SnippetPart[] = [];
  const push = (s: string, hit: boolean) => {
    if (!s) return;
    const last = parts.at(-1);
    if (last && last.hit === hit) last.text += s;
    else parts.push({ text: s, hit });
  };
  if (start > 0) push('…', false);
  let at = start;
  for (const [s, e] of hits) {
    if (e <= start || s >= end) continue;
    if (s < at || e > end) continue;
    push(flat.slice(at, s), false);
    push(flat.slice(s, e), true);
    at = e;
  }
  push(flat.slice(at, end), false);
  if (end < flat.length) push('…', false);
  return parts;
}
