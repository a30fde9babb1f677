import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Jieba } from '@node-rs/jieba';
import { dict } from '@node-rs/jieba/dict.js';
import { normaliseText } from './normalise.ts';

const DICT_DIR = new URL('./dict/', import.meta.url);

/**
 * Words that carry no meaning for search; dropping them keeps "我想申请退货" about 退货. Short
 * on purpose: a word missing here only costs ranking, a word wrongly here makes text unfindable.
 */
const STOPWORDS = new Set(
  '的 了 是 我 你 您 他 她 它 们 吗 呢 吧 啊 呀 哦 和 与 及 或 在 有 也 都 就 想 要 请 把 被 让 给 这 那 个 一个 这个 那个 什么 怎么 怎么办 怎么样 怎样 咋办 如何 为什么 可以 能 能否 是否 请问 一下 我们 你们 他们 还是 如果 因为 所以 但是 a an the of to and or is are be in on for with how what why do does can i you'.split(' '),
);

let segmenter: Jieba | undefined;

/** Raise when indexTerms changes its output for the same dictionary (a new rule, not a new word). */
const TERMS_FORMAT = 1;

/**
 * What the terms of a text depend on: the domain dictionary, the stop words, the segmenter and
 * converter versions and the rules here. Articles indexed under another fingerprint are re-indexed
 * (knowledge/reindex.ts), so a word added to kefu.txt reaches articles published before it.
 */
export const TERMS_FINGERPRINT: string = (() => {
  const { dependencies } = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
  return createHash('sha256')
    .update(JSON.stringify([TERMS_FORMAT, dependencies['@node-rs/jieba'], dependencies['opencc-js'], [...STOPWORDS], fs.readFileSync(new URL('kefu.txt', DICT_DIR), 'utf8')]))
    .digest('hex')
    .slice(0, 16);
})();

/**
 * jieba's dictionary (≈200 ms to load) plus the domain dictionary kept in the repo (service words and
 * the presets' products), once per process. A word added there applies to text indexed after it.
 */
function jieba(): Jieba {
  if (!segmenter) {
    segmenter = Jieba.withDict(dict);
    segmenter.loadDict(fs.readFileSync(new URL('kefu.txt', DICT_DIR)));
  }
  return segmenter;
}

/**
 * A token as PostgreSQL's `simple` parser will keep it: letters and digits only. Anything else
 * (punctuation, tsquery operators, quotes) splits it, so a term can never be read as syntax.
 */
const TERM_PART = /[\p{L}\p{N}]+/gu;
function terms(tokens: string[]): string[] {
  const out: string[] = [];
  for (const token of tokens) for (const part of token.match(TERM_PART) ?? []) if (!STOPWORDS.has(part)) out.push(part);
  return out;
}

/**
 * Terms to index (K2): the precise cut plus every dictionary word inside a longer one
 * (首问负责制 → 首问, 首问负责, 负责, 负责制), so a query for a part finds the whole. jieba's search
 * mode stops at three-character parts, which would lose 首问负责.
 */
export function indexTerms(text: string): string[] {
  const segmenter = jieba();
  const tokens: string[] = [];
  for (const token of segmenter.cut(normaliseText(text), false)) {
    tokens.push(token);
    if (token.length > 2) for (const part of segmenter.cutAll(token)) if (part.length > 1 && part !== token) tokens.push(part);
  }
  return terms(tokens);
}

/** Terms of a query, in order, once each: the precise cut, whose words the index holds whole. */
export function queryTerms(text: string): string[] {
  return [...new Set(terms(jieba().cut(normaliseText(text), false)))];
}
