import fs from 'node:fs';
import { normaliseText } from './normalise.ts';

/** K2: each word to every word of the groups it is in (itself included), from dict/synonyms.txt. */
function load(): Map<string, string[]> {
  const groups = fs
    .readFileSync(new URL('./dict/synonyms.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(/\s+/).map(normaliseText));
  const byWord = new Map<string, Set<string>>();
  for (const group of groups) for (const word of group) byWord.set(word, new Set([...(byWord.get(word) ?? []), ...group]));
  return new Map([...byWord].map(([w, all]) => [w, [...all]]));
}

let synonyms: Map<string, string[]> | undefined;

/** The term and its synonyms. */
export function withSynonyms(term: string): string[] {
  synonyms ??= load();
  return synonyms.get(term) ?? [term];
}
