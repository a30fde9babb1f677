import { createHash } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../../config.ts';
import { RequestError } from '../../../platform/errors.ts';
import type { FileStore } from '../../../platform/files/store.ts';
import { readUpload } from '../../../platform/files/upload.ts';
import type { App } from '../../../platform/http/app-types.ts';
import { Body, IdParams, Uuid } from '../../../platform/http/schemas.ts';
import { SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECONDS, isFresh, parseSignature, signatureMatches, type Signature } from '../../../platform/webhooks/signature.ts';
import { AttachmentView, TaskView } from '../../conversations/views.ts';
import { CallId, CtiError, CtiEventBody } from './cti.ts';
import { CallRecordView, applyCallEvent, attachRecording, ctiCtx, dialCallback, listCalls, scheduleCallback } from './service.ts';

const tags = ['电话 Phone'];

const SIGNED = `请求头 ${SIGNATURE_HEADER}: t=<unix 秒>,v1=<HMAC-SHA256 十六进制>，密钥为 KEFU_CTI_SECRET；时间戳与服务器相差超过 ${SIGNATURE_TOLERANCE_SECONDS} 秒即拒绝。协议见 docs/cti.md。`;

const RecordingReply = Type.Object({ duplicate: Type.Boolean({ description: '同一文件重复上传' }), call: CallRecordView, attachment: AttachmentView });

const DialView = Type.Object(
  {
    callId: Type.String({ description: '交给 PBX 外呼时使用的通话编号；PBX 的事件须原样回传，接通后回拨任务自动完成' }),
    dialNumber: Type.String({ description: '要拨打的号码（明文，仅供拨号；每次获取都写入审计日志）' }),
    taskId: Uuid,
    conversationId: Uuid,
  },
  { title: 'Dial' },
);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * CH4 phone channel. The PBX's routes sit in their own scope: they keep the raw body for the
 * signature, and answer to the CTI secret instead of a sign-in. Staff routes are ordinary.
 */
export function phoneRoutes(app: App, deps: { files: FileStore; config: Config }): void {
  const limits = { maxChars: deps.config.messageMaxChars };
  const secret = deps.config.ctiSecret;
  const signatures = new WeakMap<FastifyRequest, Signature>();
  const bodies = new WeakMap<FastifyRequest, { raw: Buffer; error: unknown }>();

  /** Before the body is read: the endpoint is on, and the header is there, well-formed and fresh. */
  const checkHeader = async (req: FastifyRequest) => {
    if (!secret) throw CtiError('disabled');
    const header = req.headers[SIGNATURE_HEADER];
    if (typeof header !== 'string' || header.trim() === '') throw CtiError('signature_missing', { field: SIGNATURE_HEADER });
    const sig = parseSignature(header);
    if (!sig) throw CtiError('signature_invalid', { field: SIGNATURE_HEADER });
    if (!isFresh(sig, Math.floor(req.ctx.clock.now().getTime() / 1000))) {
      throw CtiError('signature_expired', { field: SIGNATURE_HEADER, params: { seconds: SIGNATURE_TOLERANCE_SECONDS } });
    }
    signatures.set(req, sig);
  };
  const forged = () => CtiError('signature_invalid', { field: SIGNATURE_HEADER });

  app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    // The raw bytes are what the PBX signed; a body that is not JSON is reported only after the
    // signature passed, so an unsigned caller learns nothing about our parser.
    const parseJson = scope.getDefaultJsonParser('error', 'error');
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req: FastifyRequest, raw: Buffer, done) => {
      let text: string;
      try {
        text = utf8.decode(raw);
      } catch {
        bodies.set(req, { raw, error: RequestError('malformed_json', { field: 'body' }) });
        return done(null, undefined);
      }
      parseJson(req, text, (error, parsed) => {
        bodies.set(req, { raw, error });
        done(null, error ? undefined : parsed);
      });
    });

    scope.post(
      '/api/cti/events',
      {
        // A busy PBX sends many events from one address; forged ones cost one HMAC each.
        config: { access: 'public', rateLimit: false },
        onRequest: checkHeader,
        preValidation: async (req) => {
          const body = bodies.get(req);
          if (!signatureMatches(secret!, signatures.get(req)!, body?.raw ?? Buffer.alloc(0))) throw forged();
          if (body?.error) throw body.error;
        },
        schema: {
          tags,
          summary: 'PBX 通话事件（CTI webhook，按签名认证）',
          description: `振铃、接听、保持、恢复、转接、挂断、话后处理。幂等，可乱序到达。${SIGNED}`,
          body: CtiEventBody,
          response: { 200: Type.Object({ duplicate: Type.Boolean({ description: '已处理过的同一事件，未作改动' }), call: CallRecordView }) },
        },
      },
      async (req) => applyCallEvent(ctiCtx(req.ctx), req.body, limits),
    );

    scope.post(
      '/api/calls/:callId/recording',
      {
        config: { access: 'public' },
        onRequest: checkHeader,
        schema: {
          tags,
          summary: '上传通话录音（PBX，按签名认证；multipart 字段 file，仅限音频）',
          description: `签名内容为 "<callId>.<文件 SHA-256 十六进制>"。同一文件重复上传返回 200 且不改动。${SIGNED}`,
          params: Body({ callId: CallId }),
          consumes: ['multipart/form-data'],
          response: { 200: RecordingReply, 201: RecordingReply },
        },
      },
      async (req, reply) => {
        const upload = await readUpload(req, deps.files.maxBytes);
        const sha256 = createHash('sha256').update(upload.bytes).digest('hex');
        if (!signatureMatches(secret!, signatures.get(req)!, `${req.params.callId}.${sha256}`)) throw forged();
        const result = await attachRecording(ctiCtx(req.ctx), deps.files, req.params.callId, { fileName: upload.fileName, bytes: upload.bytes, sha256 });
        return reply.status(result.duplicate ? 200 : 201).send(result);
      },
    );
  });

  app.get(
    '/api/conversations/:id/calls',
    { config: { access: 'conversations.read' }, schema: { tags, summary: '会话的通话记录（振铃声数、通话/保持/话后时长、录音）', params: IdParams, response: { 200: Type.Array(CallRecordView) } } },
    async (req) => listCalls(req.ctx, req.params.id),
  );
  app.post(
    '/api/conversations/:id/callbacks',
    {
      config: { access: 'conversations.handle' },
      schema: {
        tags,
        summary: '安排电话回拨（任务交给会话负责人，到期提醒）',
        params: IdParams,
        body: Body({
          dueAt: Type.String({ format: 'date-time', description: '回拨时间（须晚于当前时间）' }),
          note: Type.String({ minLength: 1, maxLength: 2000 }),
        }),
        response: { 201: TaskView },
      },
    },
    async (req, reply) => reply.status(201).send(await scheduleCallback(req.ctx, req.params.id, req.body)),
  );
  app.post(
    '/api/callbacks/:taskId/dial',
    {
      config: { access: 'conversations.handle' },
      schema: { tags, summary: '点击回拨：取得号码与通话编号（写入审计）', params: Body({ taskId: Uuid }), response: { 200: DialView } },
    },
    async (req) => dialCallback(req.ctx, req.params.taskId),
  );
}
