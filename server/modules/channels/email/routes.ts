import type { App } from '../../../platform/http/app-types.ts';
import { IdParams } from '../../../platform/http/schemas.ts';
import { MessageView } from '../../conversations/views.ts';
import { resendEmail } from './sender.ts';

export function emailRoutes(app: App): void {
  app.post(
    '/api/messages/:id/resends',
    {
      config: { access: 'conversations.handle' },
      schema: {
        tags: ['会话 Conversations'],
        summary: '重发发送失败的邮件回复（同一 Message-ID；发信服务器恢复或客户邮箱更正后使用）',
        params: IdParams,
        response: { 200: MessageView },
      },
    },
    async (req) => resendEmail(req.ctx, req.params.id),
  );
}
