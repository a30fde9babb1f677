import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { query } from '../../db/client.ts';
import { openTestDatabase, type TestDatabase } from '../../../test/support/db.ts';
import { normaliseText } from './normalise.ts';
import { MAX_QUERY_TERMS, highlightWords, toTsQuery } from './query.ts';
import { indexTerms, queryTerms } from './segment.ts';
import { snippet } from './snippet.ts';

describe('K2 Chinese text for search', () => {
  it('K2: domain words stay whole and filler words are dropped: 我想申请退换货，首问负责制是什么？', () => {
    const terms = queryTerms('我想申请退换货，首问负责制是什么？');
    expect(terms).toEqual(['申请', '退换货', '首问负责制']);
    expect(indexTerms('首问负责制')).toContain('首问负责');
    for (const filler of ['我', '想', '是', '什么', '，', '？']) expect(terms).not.toContain(filler);
  });

  it('K2: Traditional Chinese and full-width input read as Simplified: 退換貨 → 退换货, 軟體 → 软件, ＩＰＨＯＮＥ１５ → iphone15', () => {
    expect(normaliseText('退換貨 軟體 ＩＰＨＯＮＥ１５')).toBe('退换货 软件 iphone15');
    expect(queryTerms('退換貨')).toEqual(['退换货']);
    expect(queryTerms('滑鼠')).toEqual(['鼠标']);
  });

  it('K2: the index holds the words inside longer ones, so 换货 finds 退换货政策', () => {
    expect(indexTerms('退换货政策')).toEqual(expect.arrayContaining(['换货', '退换货', '政策']));
  });

  it('K2: tsquery operators, quotes and SQL characters never reach the query as syntax', () => {
    const terms = queryTerms(`退货' OR 1=1; -- !&|():* <-> "drop table"`);
    for (const t of terms) expect(t).toMatch(/^[\p{L}\p{N}]+$/u);
    expect(terms).toEqual(expect.arrayContaining(['退货', '1', 'drop', 'table']));
    expect(toTsQuery(queryTerms('!&|():*<->'), 'all')).toBeNull();
  });

  it('K2: a synonym group widens each term: 退货 also finds 退换货; all terms are ANDed, any ORed', () => {
    expect(toTsQuery(['退货', '快递'], 'all')).toBe('(退货 | 退换货) & (快递 | 物流 | 配送)');
    expect(toTsQuery(['退货', '发票'], 'any')).toBe('退货 | 退换货 | 发票 | 开票');
    expect(toTsQuery([], 'any')).toBeNull();
  });

  it('K2: a 10,000-character query is cut to the first terms, not refused', () => {
    const terms = queryTerms('蓝牙耳机配对失败怎么办'.repeat(1000));
    const many = Array.from({ length: 100 }, (_, i) => `词${i}`);
    expect(terms.length).toBeGreaterThan(0);
    expect(toTsQuery(many, 'all')!.split(' & ')).toHaveLength(MAX_QUERY_TERMS);
  });

  it('K2: the presets\' product and service words are kept whole: 扫地机器人, 短剧, 柴油机, 以旧换新', () => {
    expect(queryTerms('扫地机器人不回充')).toContain('扫地机器人');
    expect(queryTerms('短剧会员自动续费怎么取消')).toEqual(expect.arrayContaining(['短剧', '自动续费']));
    expect(queryTerms('柴油机冒黑烟')).toContain('柴油机');
    expect(queryTerms('以旧换新怎么算')).toContain('以旧换新');
  });

  it('K2: a snippet shows the densest place of the hits, marked as parts, not HTML', () => {
    const body = `${'开头的介绍文字。'.repeat(20)}申请退换货前请确认商品完好，<b>退换货</b>需在七天内提出。${'结尾。'.repeat(30)}`;
    const parts = snippet(body, highlightWords(queryTerms('退换货')), 60);
    expect(parts[0]!.text.startsWith('…')).toBe(true);
    expect(parts.filter((p) => p.hit).map((p) => p.text)).toEqual(['退换货', '退换货']);
    expect(parts.map((p) => p.text).join('')).toContain('<b>');
    expect(parts.at(-1)!.text.endsWith('…')).toBe(true);
    expect(parts.reduce((n, p) => n + p.text.length, 0)).toBeLessThanOrEqual(62);
  });

  it('K2: a snippet marks Traditional text found by a Simplified query', () => {
    const parts = snippet('如何辦理退換貨手續', ['退换货']);
    expect(parts).toEqual([
      { text: '如何辦理', hit: false },
      { text: '退換貨', hit: true },
      { text: '手續', hit: false },
    ]);
  });
});

describe('K2 the same search SQL on PGlite and PostgreSQL', () => {
  let tdb: TestDatabase;
  beforeAll(async () => {
    tdb = await openTestDatabase();
  });
  afterAll(async () => tdb.close());

  const ARTICLES = [
    { id: 1, title: '退换货政策', body: '商品签收后七天内可申请退货，需保持包装完好。' },
    { id: 2, title: '发票开具说明', body: '电子发票在订单完成后开具；如需退货，发票一并退回。' },
    { id: 3, title: '蓝牙耳机配对', body: '长按电源键五秒进入配对模式。' },
  ];

  async function search(q: string, mode: 'all' | 'any' = 'all') {
    const tsquery = toTsQuery(queryTerms(q), mode);
    if (!tsquery) return [];
    const docs = ARTICLES.map((a) => ({ id: a.id, title: indexTerms(a.title).join(' '), body: indexTerms(a.body).join(' ') }));
    const rows = await query<{ id: number }>(
      tdb.database.db,
      sql`with d as (select * from json_to_recordset(${JSON.stringify(docs)}::json) as x(id int, title text, body text)),
            v as (select id, setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B') as doc from d)
          select id from v where doc @@ to_tsquery('simple', ${tsquery})
          order by ts_rank(doc, to_tsquery('simple', ${tsquery})) desc, id`,
    );
    return rows.map((r) => r.id);
  }

  it('K2: 退貨 (Traditional) finds both articles about returns, the one titled so first', async () => {
    expect(await search('退貨')).toEqual([1, 2]);
  });

  it('K2: every term must match by default; the any mode finds what shares one', async () => {
    expect(await search('退货 蓝牙')).toEqual([]);
    expect(await search('退货 蓝牙', 'any')).toEqual(expect.arrayContaining([1, 2, 3]));
  });

  it('K2: a query made of operators and SQL characters runs and finds nothing, not an error', async () => {
    expect(await search(`'); drop table audit_log; -- & | ! <-> :*`)).toEqual([]);
    expect(await search('配对')).toEqual([3]);
  });
});
