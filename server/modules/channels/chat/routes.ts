import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../../config.ts';
import type { FileStore } from '../../../platform/files/store.ts';
import { downloadHeaders, readUpload } from '../../../platform/files/upload.ts';
import type { App } from '../../../platform/http/app-types.ts';
import { answerAnyOrigin } from '../../../platform/http/cors.ts';
import { Body, IdParams, Query, Uuid } from '../../../platform/http/schemas.ts';
import { LOCALES } from '../../../platform/i18n.ts';
import type { ChatGateway } from './gateway.ts';
import { ChatError, readVisitorAttachment, uploadVisitorAttachment, visitorCtx, visitorIdOf } from './service.ts';

const tags = ['在线客服 Web chat'];
export const VISITOR_HEADER = 'x-kefu-visitor';

/** Plain ES2019 with no imports: served as written, no build step. */
const WIDGET_JS = readFileSync(new URL('./widget.js', import.meta.url), 'utf8');

const DEMO_PAGE = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>在线客服演示 - Kefu 客服</title>
<style>
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#222;background:#f5f6f8;line-height:1.7}
header{background:#1f6feb;color:#fff;padding:1.2rem 2rem}
main{max-width:48rem;margin:2rem auto;padding:0 1rem}
.card{background:#fff;border-radius:8px;padding:1.2rem 1.5rem;margin-bottom:1rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
code{background:#eef1f5;padding:.1rem .3rem;border-radius:3px}
</style>
</head>
<body>
<header><h1 style="margin:0;font-size:1.4rem">演示商城 · 在线客服</h1></header>
<main>
<div class="card">
<h2 style="margin-top:0">这是一个嵌入了 Kefu 在线客服的示例页面</h2>
<p>点击右下角的「在线客服」按钮即可与客服对话。坐席在客服工作台中接待并回复；没有客服在线时，您可以留言。</p>
<p>断线后会自动重连，未送达的消息会自动重发，不会丢失也不会重复。</p>
</div>
<div class="card">
<h3 style="margin-top:0">在您自己的网站中嵌入</h3>
<p>在页面中加入一行：</p>
<p><code>&lt;script src="https://您的客服域名/widget.js" data-kefu-server="https://您的客服域名" async&gt;&lt;/script&gt;</code></p>
</div>
</main>
<script src="/widget.js" async></script>
</body>
</html>`;

/** The visitor the request's token stands for; 401 without a valid one. */
function visitorOf(req: FastifyRequest): string {
  const raw = req.headers[VISITOR_HEADER];
  const id = visitorIdOf(Array.isArray(raw) ? raw[0] : raw);
  if (!id) throw ChatError('visitor_required', { field: VISITOR_HEADER });
  return id;
}

const AttachmentReply = Type.Object(
  { id: Uuid, fileName: Type.String(), contentType: Type.String({ description: '服务器识别的文件类型' }), size: Type.Integer() },
  { title: 'ChatAttachment' },
);

export function chatRoutes(app: App, deps: { gateway: ChatGateway; files: FileStore; config: Config }): void {
  const { gateway, files, config } = deps;
  // Connection attempts per address; open sockets and frames are limited by the gateway.
  const upgradeLimit = config.rateLimit > 0 ? { max: Math.max(30, Math.ceil(config.rateLimit / 10)), timeWindow: '1 minute' } : false;

  app.route({
    method: 'GET',
    url: '/api/chat/ws',
    config: { access: 'public', rateLimit: upgradeLimit },
    schema: {
      tags,
      summary: 'WebSocket：访客在线咨询',
      description: '访客端（嵌入网站的聊天窗口）以 WebSocket 连接，无需登录，以服务器签发的访客令牌识别。协议见 docs/chat-widget.md。普通 HTTP 请求返回 426。',
      querystring: Query({
        lang: Type.Optional(Type.Union(LOCALES.map((l) => Type.Literal(l)), { description: '服务器发给访客的文字（排队提示、错误）所用语言，优先于 Accept-Language；其他值返回 400' })),
      }),
    },
    handler: async () => {
      throw ChatError('upgrade_required');
    },
    wsHandler: (socket, req) => gateway.accept(socket, { ip: req.ip, locale: req.query.lang ?? req.locale }),
  });

  app.post(
    '/api/conversations/:id/typing',
    {
      config: { access: 'conversations.handle' },
      schema: {
        tags,
        summary: '坐席正在输入（转发给在线访客，不保存）',
        description: '输入时每隔几秒发送 {"on":true}，停止或发送后发送 {"on":false}；访客端约 6 秒未再收到 on 即隐藏提示。非在线客服会话不做任何事。',
        params: IdParams,
        body: Body({ on: Type.Boolean() }),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      await gateway.agentTyping(req.ctx, req.params.id, req.body.on);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/widget.js',
    // Pages, like the landing page, stay out of the API document.
    { config: { access: 'public' }, schema: { hide: true } },
    async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(WIDGET_JS),
  );
  app.get('/demo/chat', { config: { access: 'public' }, schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(DEMO_PAGE),
  );

  // The widget runs on the customer's site and calls these from there.
  app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    answerAnyOrigin(plugin, [VISITOR_HEADER, 'content-type']);
    const preflight = { config: { access: 'public' as const }, schema: { tags, summary: 'CORS 预检（浏览器自动发送）' } };
    scope.options('/api/chat/attachments', preflight, async (_req, reply) => reply.status(204).send());
    scope.options('/api/chat/attachments/:id', preflight, async (_req, reply) => reply.status(204).send());

    scope.post(
      '/api/chat/attachments',
      {
        config: { access: 'public' },
        schema: {
          tags,
          summary: '访客上传附件（multipart，字段 file；请求头 X-Kefu-Visitor 为访客令牌）',
          description: '上传到访客进行中的会话，返回附件 id，随后在 message 帧的 attachmentIds 中引用。类型由服务器识别，大小上限见 KEFU_ATTACHMENT_MAX_BYTES。',
          consumes: ['multipart/form-data'],
          response: { 201: AttachmentReply },
        },
      },
      async (req, reply) => {
        const visitorId = visitorOf(req);
        const upload = await readUpload(req, files.maxBytes);
        const ctx = visitorCtx({ db: req.ctx.db, clock: req.ctx.clock, locale: req.locale, ip: req.ip }, visitorId);
        return reply.status(201).send(await uploadVisitorAttachment(ctx, files, visitorId, upload));
      },
    );
    scope.get(
      '/api/chat/attachments/:id',
      { config: { access: 'public' }, schema: { tags, summary: '访客下载本人会话中的附件（请求头 X-Kefu-Visitor）', params: IdParams } },
      async (req, reply) => {
        const { file, bytes } = await readVisitorAttachment(req.ctx.db, files, visitorOf(req), req.params.id);
        return reply.headers(downloadHeaders(file.contentType, file.fileName)).send(bytes);
      },
    );
  });
}
