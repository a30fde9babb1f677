import { fileURLToPath } from 'node:url';
import { defineConfig, type ProxyOptions } from 'vite';
import react from '@vitejs/plugin-react';

/** The running Kefu server the dev server forwards /api (and its WebSockets) to. */
const target = process.env.KEFU_DEV_TARGET ?? 'http://localhost:3000';

/**
 * The server refuses cookie-authenticated writes and WebSockets whose Origin is another host
 * (CSRF guard); through the dev proxy the page's origin is the dev server's, so it is rewritten.
 */
const api: ProxyOptions = {
  target,
  changeOrigin: true,
  ws: true,
  configure(proxy) {
    proxy.on('proxyReq', (req) => req.setHeader('origin', target));
    proxy.on('proxyReqWs', (req) => req.setHeader('origin', target));
  },
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // The server serves the console under /console/ (server/platform/console/routes.ts).
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The initial-route budget is checked from the manifest (test/console.test.ts).
    manifest: true,
    target: 'es2022',
  },
  server: { proxy: { '/api': api } },
});
