import { Type, type TSchema } from '@sinclair/typebox';
import type { Ctx } from '../context.ts';
import { defineErrors } from '../errors.ts';
import type { App } from '../http/app-types.ts';
import { Body, Nullable } from '../http/schemas.ts';
import { write } from '../write.ts';
import { maskPlan } from './schema-mask.ts';

export const PiiError = defineErrors('pii', {
  unknown_entity: [400, { 'zh-CN': '不支持查看该类记录的个人信息：{entityType}', 'zh-TW': '不支援檢視該類記錄的個人資料：{entityType}', en: 'Personal data of {entityType} cannot be revealed' }],
  not_personal: [400, { 'zh-CN': '{field} 不是个人信息字段', 'zh-TW': '{field} 不是個人資料欄位', en: '{field} is not a personal-data field' }],
  not_found: [404, { 'zh-CN': '记录不存在', 'zh-TW': '記錄不存在', en: 'Record not found' }],
});

interface Revealable {
  /** The entity's API view schema; fields marked personal there are the ones that can be revealed. */
  schema: TSchema;
  /** The record, or null when it does not exist or lies outside what the caller may see. */
  load(ctx: Ctx, id: string): Promise<Record<string, unknown> | null>;
}

const registry = new Map<string, Revealable>();

/** A module declares which of its entities hold personal data that may be revealed. */
export function registerRevealable(entityType: string, r: Revealable): void {
  registry.set(entityType, r);
}

export interface RevealInput {
  entityType: string;
  entityId: string;
  field: string;
  reason: string;
}

/** Returns one clear personal value and records who saw it, when and why (C4, O4). */
export async function reveal(ctx: Ctx, input: RevealInput): Promise<string | null> {
  const r = registry.get(input.entityType);
  if (!r) throw PiiError('unknown_entity', { field: 'entityType', params: { entityType: input.entityType } });
  // A field inside a list is named by its position: phones.0, addresses.1.street.
  const path = input.field.split('.');
  const matches = (plan: string[]) => plan.length === path.length && plan.every((k, i) => k === path[i] || (k === '*' && /^\d{1,3}$/.test(path[i]!)));
  if (!maskPlan(r.schema).some((p) => matches(p.path))) {
    throw PiiError('not_personal', { field: 'field', params: { field: input.field } });
  }
  const row = await r.load(ctx, input.entityId);
  if (!row) throw PiiError('not_found', { field: 'entityId' });
  const value = path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), row);
  await write(ctx, (w) =>
    w.audit({ action: 'reveal', entityType: input.entityType, entityId: input.entityId, after: { field: input.field }, reason: input.reason }),
  );
  return typeof value === 'string' ? value : null;
}

export function revealRoutes(app: App): void {
  app.post(
    '/api/reveals',
    {
      config: { access: 'pii.reveal' },
      schema: {
        tags: ['个人信息 Personal data'],
        summary: '查看个人信息原文（须填写原因，写入审计日志）',
        body: Body({
          entityType: Type.String({ minLength: 1, maxLength: 50, examples: ['staff'] }),
          entityId: Type.String({ minLength: 1, maxLength: 64 }),
          field: Type.String({ minLength: 1, maxLength: 50, examples: ['phone', 'phones.0'], description: '字段名；列表中的字段写位置，如 phones.0、addresses.1.street' }),
          // A reason of blanks is no reason: at least two characters besides spaces.
          reason: Type.String({ minLength: 2, maxLength: 500, pattern: '\\S[\\s\\S]*\\S', description: '查看原因，如“回拨客户确认地址”' }),
        }),
        response: { 200: Type.Object({ value: Nullable(Type.String()) }) },
      },
    },
    async (req) => ({ value: await reveal(req.ctx, req.body) }),
  );
}
