import { withSynonyms } from './synonyms.ts';

/** Past this, more words only slow the query down: a search box asks for a handful. */
export const MAX_QUERY_TERMS = 32;

/**
 * A tsquery for PostgreSQL's `to_tsquery('simple', …)` from query terms (queryTerms): each term
 * or one of its synonyms; `all` wants every term, `any` one of them. Terms hold only letters and
 * digits (segment.ts), so user input never becomes tsquery syntax. Null when nothing is left.
 */
export function toTsQuery(terms: readonly string[], mode: 'all' | 'any'): string | null {
  const groups = terms.slice(0, MAX_QUERY_TERMS).map((t) => withSynonyms(t));
  if (groups.length === 0) return null;
  if (mode === 'any') return [...new Set(groups.flat())].join(' | ');
  return groups.map((g) => (g.length === 1 ? g[0] : `(${g.join(' | ')})`)).join(' & ');
}

/** Every word a result may show for the query (terms and their synonyms), longest first for highlighting. */
export function highlightWords(terms: readonly string[]): string[] {
  return [...new Set(terms.slice(0, MAX_QUERY_TERMS).flatMap((t) => withSynonyms(t)))].sort((a, b) => b.length - a.length);
}
