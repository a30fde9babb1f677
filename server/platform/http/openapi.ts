import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { PERMISSIONS, ROLE_LABELS, isPermission, type Access } from '../rbac/permissions.ts';
import { ErrorBody } from './schemas.ts';

function accessNote(access: Access): string {
  if (access === 'public') return '公开接口，无需登录。';
  if (access === 'authenticated') return '需登录（任何角色）。';
  const roles = PERMISSIONS[access].map((r) => ROLE_LABELS[r]).join('、');
  return `权限 \`${access}\`（${roles}）。`;
}

/**
 * The OpenAPI 3.1 document is generated from the same TypeBox schemas that validate requests;
 * each operation also states who may call it and the shared error shape.
 */
export async function installOpenApi(app: FastifyInstance, version: string): Promise<void> {
  // The HEAD route Fastify adds for each GET shares the GET's schema object: annotate it once.
  const annotated = new WeakSet<object>();
  app.addHook('onRoute', (route) => {
    const access = (route.config as { access?: Access } | undefined)?.access;
    const schema = (route.schema ??= {}) as Record<string, unknown>;
    if (annotated.has(schema)) return;
    annotated.add(schema);
    if (access) {
      schema.description = [schema.description, accessNote(access)].filter(Boolean).join('\n\n');
      schema.security = access === 'public' ? [] : [{ bearer: [] }, { cookie: [] }];
      if (isPermission(access)) schema['x-permission'] = access;
    }
    const response = (schema.response ??= {}) as Record<string, unknown>;
    response['4xx'] ??= ErrorBody;
    response['5xx'] ??= ErrorBody;
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Kefu 客服 API',
        version,
        description:
          '所有接口位于 /api 下。除公开接口外须携带 `Authorization: Bearer <token>`（登录令牌或 API 令牌）。' +
          '错误统一为 `{ "error": { "code", "message", "field?" } }`；列表接口接受 `cursor` 与 `limit`（≤200），返回 `{ data, nextCursor }`。' +
          '个人信息字段（标注 x-pii）一律脱敏返回，原文须经 POST /api/reveals 查看并记录审计。',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: '登录令牌（kfs_…）或 API 令牌（kefu_…）' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'kefu_session', description: '网页控制台的登录 Cookie' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  app.get(
    '/api/openapi.json',
    { config: { access: 'public' }, schema: { hide: true } },
    async () => app.swagger(),
  );
}
