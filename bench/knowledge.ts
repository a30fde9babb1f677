/**
 * bench/knowledge.ts — K2 search over generated Chinese articles, on PostgreSQL and on PGlite:
 * indexing rate (jieba terms + tsvector write) and search latency through the search service (terms,
 * synonyms, ranking, snippets, the search log), against a bare GIN match of the same query's first
 * term measured in the same run.
 *
 *   npx tsx bench/knowledge.ts [--articles 100000] [--queries 300] [--pglite-articles 100000] [--skip-pglite]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { migrate, openDatabase, query, type Database } from '../server/db/client.ts';
import { newId } from '../server/db/columns.ts';
import { ManualClock } from '../server/platform/clock.ts';
import { systemCtx } from '../server/platform/context.ts';
import { queryTerms } from '../server/platform/text/segment.ts';
import { kbArticleVersions, kbArticles } from '../server/modules/knowledge/schema.ts';
import { searchArticles } from '../server/modules/knowledge/search.ts';
import { searchColumns } from '../server/modules/knowledge/service.ts';
import { freshPostgres } from './support.ts';

const { values } = parseArgs({
  options: {
    articles: { type: 'string', default: '100000' },
    'pglite-articles': { type: 'string', default: '100000' },
    queries: { type: 'string', default: '300' },
    'skip-pglite': { type: 'boolean', default: false },
  },
});
const QUERIES = Number(values.queries);
const BATCH = 500;

/** Deterministic, so two runs index and ask the same things. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PRODUCTS = ['蓝牙耳机', '智能手表', '扫地机器人', '空气净化器', '电动牙刷', '路由器', '平板电脑', '投影仪', '电饭煲', '净水器', '充电宝', '智能音箱'];
const PROBLEMS = ['无法开机', '无法配对', '充电很慢', '自动关机', '连接断开', '屏幕不亮', '声音很小', '异响', '漏水', '发热严重', '固件升级失败', '遥控失灵'];
const TOPICS = ['退换货', '保修政策', '发票开具', '物流查询', '会员积分', '以旧换新', '价格保护', '安装预约', '维修进度', '优惠券使用'];
const STEPS = [
  '请先确认设备电量充足，长按电源键十秒后重试。',
  '在手机设置中删除旧的配对记录，再重新搜索设备。',
  '登录官方应用，进入“我的设备”检查固件版本并升级。',
  '如问题仍未解决，请携带购买凭证前往就近维修点检测。',
  '签收后七天内可申请无理由退货，商品须保持完好。',
  '保修期内非人为损坏免费维修，保修期外按标准收费。',
  '电子发票在订单完成后二十四小时内发送至预留邮箱。',
  '可在订单详情页查看物流进度，超过三天未更新请联系客服。',
  '积分每年十二月三十一日清零，请在到期前兑换。',
  '请勿使用非原装充电器，以免损坏电池。',
  '客服热线工作时间为每天九点至二十一点。',
  '首问负责：第一位接待的客服跟进到问题解决为止。',
];

function article(random: () => number) {
  const pick = <T,>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const product = pick(PRODUCTS);
  const title = random() < 0.6 ? `${product}${pick(PROBLEMS)}怎么办` : `${pick(TOPICS)}说明（${product}）`;
  const body = Array.from({ length: 4 + Math.floor(random() * 6) }, () => pick(STEPS)).join('') + `适用产品：${product}。`;
  return { title, body };
}

function askedQuestion(random: () => number): string {
  const pick = <T,>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const forms = [
    () => `${pick(PRODUCTS)}${pick(PROBLEMS)}`,
    () => `我的${pick(PRODUCTS)}${pick(PROBLEMS)}了怎么办`,
    () => pick(TOPICS),
    () => `請問${pick(['退換貨', '保修', '發票', '物流'])}怎麼辦理`,
    () => `${pick(TOPICS)} ${pick(PRODUCTS)}`,
  ];
  return pick(forms)();
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

async function run(label: string, database: Database, count: number) {
  await migrate(database);
  const clock = new ManualClock('2026-03-02T09:00:00+08:00');
  const random = prng(42);
  const started = performance.now();
  for (let done = 0; done < count; done += BATCH) {
    const n = Math.min(BATCH, count - done);
    const rows = Array.from({ length: n }, () => ({ ...article(random), id: newId(), versionId: newId() }));
    const at = new Date(clock.now().getTime() - Math.floor(random() * 730) * 86_400_000);
    await database.db.transaction(async (tx) => {
      await tx.insert(kbArticleVersions).values(
        rows.map((r) => ({ id: r.versionId, articleId: r.id, version: 1, status: 'published', title: r.title, body: r.body, createdAt: at, updatedAt: at, publishedAt: at })),
      );
      await tx.insert(kbArticles).values(
        rows.map((r) => ({
          id: r.id,
          type: 'article',
          visibility: random() < 0.5 ? 'public' : 'internal',
          status: 'published',
          title: r.title,
          publishedVersionId: r.versionId,
          publishedAt: at,
          ...searchColumns(r.title, r.body),
          createdAt: at,
          updatedAt: at,
        })),
      );
    });
  }
  const indexSeconds = (performance.now() - started) / 1000;
  if (database.kind === 'postgres') await database.db.execute(sql`vacuum analyze kb_articles`);

  const ctx = systemCtx(database.db, clock);
  const questions = Array.from({ length: QUERIES }, () => askedQuestion(random));
  const timed = async (fn: (q: string) => Promise<unknown>) => {
    await fn(questions[0]!);
    const samples: number[] = [];
    for (const q of questions) {
      const t = performance.now();
      await fn(q);
      samples.push(performance.now() - t);
    }
    return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
  };
  const baseline = await timed((q) => query(database.db, sql`select count(*) from kb_articles where search @@ to_tsquery('simple', ${queryTerms(q)[0] ?? 'x'})`));
  const search = await timed((q) => searchArticles(ctx, { q, audience: 'staff', source: 'api', limit: 10 }));
  return { label, count, rate: count / indexSeconds, baseline, search };
}

const results = [];
const pg = await freshPostgres();
if (pg) {
  const database = await openDatabase({ databaseUrl: pg.url });
  try {
    results.push(await run('PostgreSQL', database, Number(values.articles)));
  } finally {
    await database.close();
    await pg.drop();
  }
} else console.log('PostgreSQL not reachable (BENCH_DATABASE_URL): skipped');
if (!values['skip-pglite']) {
  const database = await openDatabase({ databaseUrl: null });
  try {
    results.push(await run('PGlite (in memory)', database, Number(values['pglite-articles'])));
  } finally {
    await database.close();
  }
}

console.log(`\n${QUERIES} questions each; ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}\n`);
console.log('| database | articles | indexing (articles/s) | baseline p50 / p99 ms | search p50 / p99 ms | search p99 vs baseline p99 |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${r.label} | ${r.count} | ${r.rate.toFixed(0)} | ${r.baseline.p50.toFixed(1)} / ${r.baseline.p99.toFixed(1)} | ${r.search.p50.toFixed(1)} / ${r.search.p99.toFixed(1)} | ${(r.search.p99 / r.baseline.p99).toFixed(1)}× |`,
  );
}
