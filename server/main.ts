import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { buildKefu, VERSION } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { DatabaseLockedError, migrate, openDatabase, type Database } from './db/client.ts';
import { staff } from './modules/org/schema.ts';
import { AppError } from './platform/errors.ts';
import { ROLE_LABELS, type Role } from './platform/rbac/permissions.ts';
import { DEMO_USERNAMES } from './presets/types.ts';
import { PRESETS, PRESET_NAMES } from './presets/index.ts';
import { initOrganisation, organisationState, type InitResult } from './presets/load.ts';
import { systemClock } from './platform/clock.ts';

const USAGE = `用法 Usage: kefu <command> [options]

命令 Commands:
  start                    启动服务（默认）；首次启动时加载 KEFU_PRESET 预设与演示数据
  migrate                  只执行数据库迁移
  init --preset NAME       加载预设（部门、角色、演示员工、制度）；重复执行不会改变数据
       [--no-demo]         不加载演示账号，只创建 admin（密码取自 KEFU_ADMIN_PASSWORD 或自动生成）
  presets                  列出可用预设

环境变量见 README.md。`;

class UsageError extends Error {}

async function openMigrated(config: Config): Promise<Database> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize });
  try {
    await migrate(database);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

function initOptions(config: Config, preset: string, demo: boolean) {
  return { preset, demo, demoPassword: config.demoPassword, adminPassword: config.adminPassword };
}

function printInit(result: InitResult): void {
  if (result.generatedAdminPassword) {
    console.log(`\n  管理员账号 admin 的初始密码（只显示这一次，请登录后修改）：${result.generatedAdminPassword}\n`);
  }
}

async function banner(database: Database, config: Config, url: string): Promise<string> {
  const org = await organisationState(database.db);
  const preset = org ? PRESETS[org.preset] : undefined;
  const lines = [
    '',
    `  Kefu 客服 v${VERSION} 已启动`,
    `  地址 URL        ${url}`,
    `  接口文档 API    ${url}/api/docs`,
    `  数据库 DB       ${database.kind === 'pglite' ? `PGlite（嵌入式） ${database.location}` : `PostgreSQL ${database.location}`}`,
    `  预设 Preset     ${preset ? `${preset.name} — ${preset.title}` : '（未初始化）'}`,
  ];
  if (org?.demo) {
    const demo = await database.db.select({ username: staff.username, displayName: staff.displayName, role: staff.role }).from(staff).where(eq(staff.isDemo, true));
    const order = (u: string) => (DEMO_USERNAMES as readonly string[]).indexOf(u);
    demo.sort((a, b) => order(a.username) - order(b.username));
    const password = process.env.KEFU_DEMO_PASSWORD ? '首次启动时 KEFU_DEMO_PASSWORD 设定的密码' : config.demoPassword;
    lines.push('', `  演示账号 Demo accounts（仅供体验，勿用于生产；密码 password: ${password}）`);
    for (const d of demo) lines.push(`    ${d.username.padEnd(11)} ${ROLE_LABELS[d.role as Role].padEnd(6, '　')} ${d.displayName}`);
  }
  return lines.join('\n') + '\n';
}

async function start(config: Config): Promise<void> {
  const database = await openMigrated(config);
  if (!(await organisationState(database.db))) {
    printInit(await initOrganisation(database.db, systemClock, initOptions(config, config.preset, config.demo)));
  }
  const kefu = await buildKefu({ config, database });
  const shutdown = async (signal: string) => {
    kefu.app.log.info({ signal }, 'shutting down');
    await kefu.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  await kefu.app.listen({ port: config.port, host: config.host });
  await kefu.startWorkers();
  const address = kefu.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = process.env.KEFU_PUBLIC_URL ? config.publicUrl : `http://localhost:${port}`;
  console.log(await banner(database, config, url));
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { preset: { type: 'string' }, 'no-demo': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0] ?? 'start';
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const config = loadConfig();
  switch (command) {
    case 'start':
      return start(config);
    case 'migrate': {
      const database = await openMigrated(config);
      await database.close();
      console.log('数据库迁移完成 Migrations applied.');
      return;
    }
    case 'init': {
      if (!values.preset) throw new UsageError(`init 需要 --preset NAME；可用预设：${PRESET_NAMES.join(', ')}`);
      const database = await openMigrated(config);
      try {
        const result = await initOrganisation(database.db, systemClock, initOptions(config, values.preset, !values['no-demo']));
        if (result.created) console.log(`已加载预设 ${result.preset}${result.demo ? '（含演示数据）' : ''}。`);
        else console.log(`预设 ${result.preset} 已加载，无需变更。Nothing to do.`);
        printInit(result);
      } finally {
        await database.close();
      }
      return;
    }
    case 'presets':
      for (const p of Object.values(PRESETS)) console.log(`${p.name.padEnd(22)} ${p.seed}  ${p.title}`);
      return;
    default:
      throw new UsageError(`未知命令 ${command}\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof AppError) console.error(`错误 ${err.code}: ${err.body('zh-CN').error.message}`);
  else if (err instanceof ConfigError || err instanceof UsageError || err instanceof DatabaseLockedError) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
