import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import { systemClock, type Clock } from './platform/clock.ts';
import { RequestError, ServerError } from './platform/errors.ts';
import { installAuth, type RouteInfo } from './platform/auth/hook.ts';
import { authRoutes } from './platform/auth/routes.ts';
import { auditRoutes } from './platform/audit/routes.ts';
import { EventBus } from './platform/events/bus.ts';
import type { App } from './platform/http/app-types.ts';
import { frameworkErrors, installErrorHandling } from './platform/http/errors.ts';
import { installOpenApi } from './platform/http/openapi.ts';
import { installValidation } from './platform/http/validation.ts';
import { FileStore } from './platform/files/store.ts';
import { JobRunner } from './platform/jobs/runner.ts';
import { revealRoutes } from './platform/pii/reveal.ts';
import { installResponseMasking } from './platform/pii/response.ts';
import { RealtimeHub, realtimeRoutes } from './platform/realtime/hub.ts';
import { installWebhooks } from './platform/webhooks/service.ts';
import { consoleRoutes } from './platform/console/routes.ts';
import { webhookRoutes } from './platform/webhooks/routes.ts';
import { orgRoutes } from './modules/org/routes.ts';
import { customerRoutes } from './modules/customers/routes.ts';
import { policyRoutes } from './modules/policy/routes.ts';
import { conversationRoutes } from './modules/conversations/routes.ts';
import { registerTaskJobs } from './modules/conversations/tasks.ts';
import { phoneRoutes } from './modules/channels/phone/routes.ts';
import { ChatGateway } from './modules/channels/chat/gateway.ts';
import { chatRoutes } from './modules/channels/chat/routes.ts';
import { startEmailReceiver, type EmailReceiver } from './modules/channels/email/receiver.ts';
import { emailRoutes } from './modules/channels/email/routes.ts';
// Conversation hooks run in import order: SLA clocks first, so surveys and callbacks see their due times.
import { slaRoutes } from './modules/sla/routes.ts';
import { surveyRoutes } from './modules/surveys/routes.ts';
import { complaintRoutes } from './modules/complaints/routes.ts';
import { installKnowledgeJobs, scheduleReindex } from './modules/knowledge/reindex.ts';
import { knowledgeRoutes } from './modules/knowledge/routes.ts';
import { kpiRoutes } from './modules/kpi/routes.ts';
import { installRollups, scheduleRollups } from './modules/kpi/rollup.ts';
import { notificationRoutes } from './modules/notifications/routes.ts';
import { installEmailOutbound } from './modules/channels/email/sender.ts';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface Kefu {
  app: App;
  config: Config;
  database: Database;
  clock: Clock;
  bus: EventBus;
  jobs: JobRunner;
  hub: RealtimeHub;
  /** Attachments, recordings and import files under the data dir. */
  files: FileStore;
  /** Every route with its access rule, as registered. */
  routes: RouteInfo[];
  /**
   * Starts event delivery (LISTEN + polling) and, unless `jobs: false`, the job runner.
   * Tests start the bus with `pollMs: null` and run jobs themselves with `jobs.runDue()`.
   */
  startWorkers(opts?: { pollMs?: number | null; jobs?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export interface BuildOptions {
  config: Config;
  database: Database;
  clock?: Clock;
  /** Tests pass a silent logger. */
  logger?: boolean | { level: string };
}

export async function buildKefu(opts: BuildOptions): Promise<Kefu> {
  const { config, database } = opts;
  const clock = opts.clock ?? systemClock;
  const level = typeof opts.logger === 'object' ? opts.logger.level : config.logLevel;
  const app = Fastify({
    logger: opts.logger === false ? false : { level },
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    // Request logs only when debugging; errors are always logged.
    logController: new LogController({ disableRequestLogging: !['debug', 'trace'].includes(level) }),
    routerOptions: { maxParamLength: 200 },
    frameworkErrors: frameworkErrors(config.bodyLimit),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // JSON only: a form or text body is a 415, which also keeps cross-site forms out.
  app.removeContentTypeParser('text/plain');
  installValidation(app);
  installErrorHandling(app, config.bodyLimit);
  installResponseMasking(app);
  const routes = installAuth(app, { db: database.db, clock });
  await app.register(cookie);
  await app.register(rateLimit, {
    global: config.rateLimit > 0,
    max: config.rateLimit || 1,
    timeWindow: '1 minute',
    keyGenerator: (req) =>
      req.headers.authorization ? createHash('sha256').update(req.headers.authorization).digest('hex') : req.ip,
    errorResponseBuilder: (_req, context) => RequestError('rate_limited', { params: { retryAfter: Math.ceil(context.ttl / 1000) } }),
  });
  await installOpenApi(app, VERSION);
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  // One file per request; over the limit the stream is cut and the route answers 413.
  await app.register(multipart, { limits: { fileSize: config.attachmentMaxBytes, files: 1, fields: 10, fieldSize: 10_000 } });
  // Only upload routes take multipart; anywhere else it is the wrong content type, as before uploads existed.
  app.addHook('preValidation', async (req) => {
    if (req.isMultipart() && !req.routeOptions.schema?.consumes?.includes('multipart/form-data')) throw RequestError('unsupported_media_type');
  });

  const bus = new EventBus(database, clock, app.log as FastifyBaseLogger);
  const jobs = new JobRunner(database, clock, app.log as FastifyBaseLogger, { nodeId: config.nodeId });
  const hub = new RealtimeHub(bus, clock);
  const files = new FileStore(config.dataDir, config.attachmentMaxBytes);
  const chat = new ChatGateway({ database, clock, bus, hub, config, log: app.log as FastifyBaseLogger, maxSocketsPerIp: config.rateLimit > 0 ? 100 : 0 });
  installWebhooks(bus, jobs, { timeoutMs: config.webhookTimeoutMs });

  app.get(
    '/api/health',
    {
      config: { access: 'public', rateLimit: false },
      schema: {
        tags: ['系统 System'],
        summary: '健康检查',
        response: { 200: Type.Object({ status: Type.Literal('ok'), database: Type.Union([Type.Literal('pglite'), Type.Literal('postgres')]), version: Type.String() }) },
      },
    },
    async () => {
      try {
        await database.ping();
      } catch (cause) {
        throw ServerError('database_unavailable', { cause });
      }
      return { status: 'ok' as const, database: database.kind, version: VERSION };
    },
  );
  authRoutes(app, { sessionTtlMs: config.sessionTtlMs, loginRateLimit: config.loginRateLimit, secureCookies: config.publicUrl.startsWith('https:') });
  orgRoutes(app);
  customerRoutes(app, { jobs, files });
  policyRoutes(app);
  conversationRoutes(app, { files, config });
  registerTaskJobs(jobs);
  chatRoutes(app, { gateway: chat, files, config });
  installEmailOutbound(jobs, { config, files });
  emailRoutes(app);
  phoneRoutes(app, { files, config });
  slaRoutes(app, { jobs });
  surveyRoutes(app, { jobs, config });
  complaintRoutes(app, { jobs, files, config });
  kpiRoutes(app);
  knowledgeRoutes(app, { files });
  installKnowledgeJobs(jobs);
  installRollups(jobs);
  notificationRoutes(app);
  auditRoutes(app);
  revealRoutes(app);
  webhookRoutes(app);
  realtimeRoutes(app, hub);
  // The web console, at /console/ (and `/` leads there); its sign-in page links the API docs and the chat demo.
  consoleRoutes(app);
  await app.ready();

  let started = false;
  let smtp: EmailReceiver | null = null;
  return {
    app,
    config,
    database,
    clock,
    bus,
    jobs,
    hub,
    files,
    routes,
    async startWorkers({ pollMs = config.jobPollMs, jobs: runJobs = true } = {}) {
      started = true;
      await bus.start(pollMs);
      await chat.start();
      // The SMTP receiver (KEFU_SMTP_PORT) is off by default; tests start their own on a free port.
      if (config.smtpPort > 0) smtp = await startEmailReceiver({ database, clock, config, files, log: app.log as FastifyBaseLogger }, { port: config.smtpPort, host: config.host });
      if (runJobs) {
        // Rollups refresh hourly from the first start on, and articles indexed with an older dictionary
        // are indexed again; both jobs reschedule themselves.
        await database.db.transaction(async (tx) => {
          const w = { tx, now: clock.now() };
          await scheduleRollups(w);
          await scheduleReindex(w);
        });
        await jobs.start(pollMs);
      }
    },
    async close() {
      hub.close();
      chat.close();
      await smtp?.close();
      await app.close();
      if (started) {
        await jobs.stop();
        await bus.stop();
      }
    },
  };
}
