import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import { defineErrors } from '../errors.ts';
import type { App } from '../http/app-types.ts';
import { distDir } from './build.ts';

export const ConsoleError = defineErrors('console', {
  not_built: [
    503,
    {
      'zh-CN': '网页控制台尚未构建，请用 npm start 启动（会自动构建）',
      'zh-TW': '網頁控制台尚未建置，請用 npm start 啟動（會自動建置）',
      en: 'The web console is not built; start Kefu with npm start, which builds it',
    },
  ],
});

/** The console lives under this prefix; `/` sends browsers here. */
export const CONSOLE_PATH = '/console/';
/** A last path segment with an extension names a file; anything else is a route of the single-page app. */
const FILE = /\.[A-Za-z0-9]+$/;
const YEAR_MS = 365 * 24 * 3600_000;

/**
 * Serves the built console (web/dist): files as they are, every other path under /console/ gets
 * index.html so the app's router takes it (a reload on /console/api-tokens works).
 */
export function consoleRoutes(app: App, opts: { webDir?: string } = {}): void {
  const root = distDir(opts.webDir);
  const index = path.join(root, 'index.html');
  void app.register(async (scope) => {
    // Its own scope: Swagger UI registers the same plugin for its assets.
    await scope.register(fastifyStatic, { root, serve: false, dotfiles: 'ignore' });
    scope.get('/', { config: { access: 'public' }, schema: { hide: true } }, async (_req, reply) => reply.redirect(CONSOLE_PATH));
    scope.get('/console', { config: { access: 'public' }, schema: { hide: true } }, async (_req, reply) => reply.redirect(CONSOLE_PATH));
    scope.get(
      '/console/*',
      // Static files cost nothing to send; a whole office behind one address loads them at the start of a shift.
      { config: { access: 'public', rateLimit: false }, schema: { hide: true } },
      async (req, reply) => {
        const file = (req.params as { '*': string })['*'];
        reply.header('x-content-type-options', 'nosniff');
        if (FILE.test(file)) {
          // Vite names built assets by content hash: they never change under the same name.
          const hashed = file.startsWith('assets/');
          return reply.sendFile(file, { maxAge: hashed ? YEAR_MS : 0, immutable: hashed });
        }
        if (!fs.existsSync(index)) throw ConsoleError('not_built');
        // The page is always revalidated so a new release's assets are picked up; no site may frame the console.
        reply.header('cache-control', 'no-cache').header('x-frame-options', 'DENY');
        return reply.sendFile('index.html', { cacheControl: false });
      },
    );
  });
}
