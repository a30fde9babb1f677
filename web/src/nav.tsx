import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import { HomeOutlined, KeyOutlined } from '@ant-design/icons';
import type { Me } from './api/client.ts';
import { allows, type Access } from './auth/session.tsx';
import type { zhCN } from './i18n/zh-CN.ts';

/**
 * The console's screens: each names the permission of the server's table (O2) it needs. The
 * navigation and the routes are both made from this one table, so a screen shows in the
 * navigation exactly when its route lets the user in.
 */
export interface Screen {
  /** Under /console. */
  path: string;
  label: Exclude<keyof typeof zhCN.nav, 'label'>;
  icon: ComponentType;
  access: Access;
  page: LazyExoticComponent<ComponentType>;
}

export const SCREENS: readonly Screen[] = [
  { path: '/', label: 'home', icon: HomeOutlined, access: 'authenticated', page: lazy(() => import('./pages/Home.tsx')) },
  { path: '/api-tokens', label: 'apiTokens', icon: KeyOutlined, access: 'api_tokens.manage', page: lazy(() => import('./pages/ApiTokens.tsx')) },
];

export function screensFor(me: Me): Screen[] {
  return SCREENS.filter((s) => allows(me, s.access));
}
