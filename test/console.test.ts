import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIR, consoleBuildState, distDir } from '../server/platform/console/build.ts';
import { writeApiTypes } from '../scripts/console-api-types.ts';
import { createHarness } from './support/kefu.ts';

/** Issue 5, first slice: how the server serves the console, when it rebuilds it, and what it weighs. */
const h = await createHarness();
afterAll(() => h.close());

describe('serving the console', () => {
  it('issue 5 §1: `/` leads to the console; its routes get the app page, revalidated and never framed', async () => {
    const root = await h.api('GET', '/');
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('/console/');
    for (const url of ['/console/', '/console/login', '/console/api-tokens', '/console/some/deep/link']) {
      const page = await h.api('GET', url);
      expect(page.status, url).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['cache-control']).toBe('no-cache');
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.body).toContain('<div id="root"></div>');
    }
  });

  it('issue 5 §1: built assets are cached for good; a missing file is a 404 in the API error shape, not the app page', async () => {
    const html = (await h.api('GET', '/console/')).body as string;
    const script = /<script type="module" crossorigin src="(\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await h.api('GET', script!);
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    for (const url of ['/console/assets/gone-1234.js', '/console/.vite/manifest.json', '/console/%2e%2e/package.json']) {
      const missing = await h.api('GET', url);
      expect(missing.status, url).toBe(404);
      expect(missing.body.error.code, url).toBe('request.not_found');
    }
    // The API keeps its own 404 beside the console.
    expect((await h.api('GET', '/api/no-such-thing')).body.error.code).toBe('request.not_found');
  });
});

describe('building the console', () => {
  let web: string;
  const touch = (file: string, at: Date) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (!fs.existsSync(file)) fs.writeFileSync(file, '');
    fs.utimesSync(file, at, at);
  };
  beforeAll(() => {
    web = fs.mkdtempSync(path.join(os.tmpdir(), 'kefu-web-'));
  });
  afterAll(() => fs.rmSync(web, { recursive: true, force: true }));

  it('issue 5 §1: npm start builds when web/dist is missing or older than any source under web/, and not otherwise', () => {
    const t0 = new Date('2026-03-02T09:00:00Z');
    const later = new Date('2026-03-02T09:05:00Z');
    touch(path.join(web, 'index.html'), t0);
    touch(path.join(web, 'src', 'pages', 'Home.tsx'), t0);
    touch(path.join(web, 'src', 'pages'), t0);
    touch(path.join(web, 'src'), t0);
    expect(consoleBuildState(web)).toEqual({ state: 'missing' });

    touch(path.join(distDir(web), '.vite', 'manifest.json'), later);
    expect(consoleBuildState(web)).toEqual({ state: 'fresh' });

    // Type declarations (the generated API types among them) emit nothing; the build's own files and dot-folders are not sources.
    touch(path.join(web, 'generated', 'openapi.d.ts'), new Date('2026-03-02T10:00:00Z'));
    touch(path.join(web, 'src', 'vite-env.d.ts'), new Date('2026-03-02T10:00:00Z'));
    touch(path.join(web, 'src'), t0);
    touch(path.join(web, '.dist-123-456', 'index.html'), new Date('2026-03-02T10:00:00Z'));
    expect(consoleBuildState(web)).toEqual({ state: 'fresh' });

    touch(path.join(web, 'src', 'pages', 'Home.tsx'), new Date('2026-03-02T09:06:00Z'));
    expect(consoleBuildState(web)).toEqual({ state: 'stale', changed: path.join('src', 'pages', 'Home.tsx') });

    // A deleted source shows in its folder's time.
    touch(path.join(web, 'src', 'pages', 'Home.tsx'), t0);
    touch(path.join(web, 'src', 'pages'), new Date('2026-03-02T09:07:00Z'));
    expect(consoleBuildState(web)).toEqual({ state: 'stale', changed: path.join('src', 'pages') });
  });

  it('the console in this checkout is built and fresh (the test run builds it first)', () => {
    expect(consoleBuildState()).toEqual({ state: 'fresh' });
  });

  it('issue 5 §1: the console is React\'s production build, also when the test run (NODE_ENV=test) built it for npm start to serve', () => {
    const assets = path.join(distDir(), 'assets');
    const development = fs.readdirSync(assets).filter((f) => f.endsWith('.js') && fs.readFileSync(path.join(assets, f), 'utf8').includes('calls setState inside useEffect'));
    expect(development).toEqual([]);
    expect(process.env.NODE_ENV).toBe('test');
  });
});

describe('the console code', () => {
  it('issue 5 §1: web/ type-checks against the API types generated from the server\'s OpenAPI document', async () => {
    await writeApiTypes(h.kefu.app.swagger());
    const tsc = path.join(WEB_DIR, '..', 'node_modules', 'typescript', 'bin', 'tsc');
    const run = spawnSync(process.execPath, [tsc, '-p', path.join(WEB_DIR, 'tsconfig.json'), '--noEmit'], { encoding: 'utf8' });
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  }, 180_000);

  /** Vite's manifest: chunks by source, with the chunks each one imports statically. */
  type Manifest = Record<string, { file: string; src?: string; isEntry?: boolean; imports?: string[] }>;
  const LIMIT = 1.5 * 1024 * 1024;

  it('issue 5 §10: the initial route loads at most 1.5 MB of gzipped JavaScript; later screens are split off', () => {
    const dist = distDir();
    const manifest = JSON.parse(fs.readFileSync(path.join(dist, '.vite', 'manifest.json'), 'utf8')) as Manifest;
    const closure = (keys: string[], seen = new Set<string>()): Set<string> => {
      for (const k of keys) {
        if (seen.has(k)) continue;
        seen.add(k);
        closure(manifest[k]?.imports ?? [], seen);
      }
      return seen;
    };
    const gzipped = (keys: Set<string>) => [...keys].reduce((sum, k) => sum + gzipSync(fs.readFileSync(path.join(dist, manifest[k]!.file))).length, 0);
    const entry = Object.keys(manifest).find((k) => manifest[k]!.isEntry);
    expect(entry).toBe('index.html');
    // A signed-out visitor's first route is the sign-in page; a signed-in one lands on the shell's home.
    const routes = { login: ['index.html', 'src/pages/Login.tsx'], home: ['index.html', 'src/shell/Shell.tsx', 'src/pages/Home.tsx'] };
    for (const [route, keys] of Object.entries(routes)) {
      for (const k of keys) expect(manifest[k], `${k} is a chunk of its own`).toBeDefined();
      const size = gzipped(closure(keys));
      expect(size, `${route}: ${(size / 1024).toFixed(0)} KiB gzipped`).toBeLessThanOrEqual(LIMIT);
    }
    // Screens the first route does not show are not in its download.
    expect(closure(routes.login).has('src/pages/ApiTokens.tsx')).toBe(false);
    expect(closure(routes.login).has('src/shell/Shell.tsx')).toBe(false);
  });
});
