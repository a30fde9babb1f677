import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import { buildKefu, VERSION } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { DatabaseLockedError, migrate, openDatabase, type Database } from './db/client.ts';
import { staff } from './modules/org/schema.ts';
import { passwordMatches } from './platform/auth/service.ts';
import { AppError } from './platform/errors.ts';
import { ROLE_LABELS, type Role } from './platform/rbac/permissions.ts';
import { DEMO_USERNAMES } from './presets/types.ts';
import { PRESETS, PRESET_NAMES } from './presets/index.ts';
import { PresetError, initOrganisation, organisationState, type InitResult } from './presets/load.ts';
import { systemClock } from './platform/clock.ts';
import { ensureConsoleBuilt } from './platform/console/build.ts';

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

/** Refuses an unknown preset before a database is created or touched for it. */
function assertPreset(name: string): void {
  if (!PRESETS[name]) throw PresetError('unknown', { field: 'preset', params: { name, names: PRESET_NAMES.join(', ') } });
}

/**
 * The demo password is fixed when the demo data is loaded; a later start may run with another
 * KEFU_DEMO_PASSWORD (or none), so the banner shows it only if it still opens the demo accounts.
 */
function demoPasswordWorks(database: Database, password: string): Promise<boolean> {
  return passwordMatches(database.db, 'admin', password);
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
    `  控制台 Console  ${url}/console/`,
    `  接口文档 API    ${url}/api/docs`,
    `  在线客服演示    ${url}/demo/chat`,
    `  数据库 DB       ${database.kind === 'pglite' ? `PGlite（嵌入式） ${database.location}` : `PostgreSQL ${database.location}`}`,
    `  预设 Preset     ${preset ? `${preset.name} — ${preset.title}` : '（未初始化）'}`,
  ];
  if (config.smtpPort > 0) lines.push(`  邮件接收 SMTP   ${config.host}:${config.smtpPort}（收件域 @${config.mailDomain}）`);
  if (org?.demo) {
    const demo = await database.db.select({ username: staff.username, displayName: staff.displayName, role: staff.role }).from(staff).where(eq(staff.isDemo, true));
    const order = (u: string) => (DEMO_USERNAMES as readonly string[]).indexOf(u);
    demo.sort((a, b) => order(a.username) - order(b.username));
    const password = (await demoPasswordWorks(database, config.demoPassword))
      ? config.demoPassword
      : '首次启动时设定的密码 the one set on first start (KEFU_DEMO_PASSWORD)';
    lines.push('', `  演示账号 Demo accounts（仅供体验，勿用于生产；密码 password: ${password}）`);
    for (const d of demo) lines.push(`    ${d.username.padEnd(11)} ${ROLE_LABELS[d.role as Role].padEnd(6, '　')} ${d.displayName}`);
  }
  return lines.join('\n') + '\n';
}

async function start(config: Config): Promise<void> {
  assertPreset(config.preset);
  // A fresh clone or an update brings console sources without their build: `npm start` makes it.
  await ensureConsoleBuilt((line) => console.log(line));
  const database = await openMigrated(config);
  if (!(await organisationState(database.db))) {
    try {
      printInit(await initOrganisation(database.db, systemClock, initOptions(config, config.preset, config.demo)));
    } catch (err) {
      // Nodes started together on an empty PostgreSQL race to load the preset; one wins, the others go on.
      if (!(await organisationState(database.db))) throw err;
    }
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

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: { preset: { type: 'string' }, 'no-demo': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${USAGE}`);
  }
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parse(argv);
  const command = positionals[0] ?? 'start';
  if (positionals.length > 1) throw new UsageError(`多余的参数 Unexpected argument: ${positionals.slice(1).join(' ')}\n\n${USAGE}`);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (command === 'presets') {
    for (const p of Object.values(PRESETS)) console.log(`${p.name.padEnd(22)} ${p.seed}  ${p.title}`);
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
      assertPreset(values.preset);
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
    default:
      throw new UsageError(`未知命令 ${command}\n\n${USAGE}`);
  }
}

/** Failures of the surroundings rather than of Kefu: one line saying what to fix, no stack trace. */
const ENVIRONMENT_HINTS: Record<string, string> = {
  EADDRINUSE: '端口已被占用，请换一个 PORT',
  EADDRNOTAVAIL: 'HOST 不是本机的地址',
  EACCES: '没有权限（端口或数据目录）',
  ECONNREFUSED: '无法连接数据库，请检查 DATABASE_URL',
  ENOTFOUND: '找不到数据库主机，请检查 DATABASE_URL',
  '28P01': '数据库拒绝了用户名或密码，请检查 DATABASE_URL',
  '3D000': '数据库不存在，请先创建（createdb）',
};

function environmentProblem(err: unknown): string | null {
  const e = err as { code?: unknown; message?: string; errors?: Array<{ message: string }> };
  const hint = typeof e?.code === 'string' ? ENVIRONMENT_HINTS[e.code] : undefined;
  if (!hint) return null;
  // A refused connection to every address of a host arrives as an AggregateError without a message of its own.
  const detail = e.message || e.errors?.map((x) => x.message).join('; ') || e.code;
  return `${hint}: ${detail}`;
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof AppError) console.error(`错误 ${err.code}: ${err.body('zh-CN').error.message}`);
  else if (err instanceof ConfigError || err instanceof UsageError || err instanceof DatabaseLockedError) console.error(err.message);
  else console.error(environmentProblem(err) ?? err);
  process.exit(1);
});
