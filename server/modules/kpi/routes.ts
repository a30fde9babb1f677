import type { App } from '../../platform/http/app-types.ts';

export function kpiRoutes(_app: App): void {}
