import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The console's sources (React + Vite) and where their build goes. */
export const WEB_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));
export const distDir = (webDir = WEB_DIR) => path.join(webDir, 'dist');
/** Vite's manifest; its time stamp is the moment the build that wrote it started. */
const manifestOf = (dist: string) => path.join(dist, '.vite', 'manifest.json');

export type ConsoleBuildState = { state: 'fresh' } | { state: 'missing' } | { state: 'stale'; changed: string };

/**
 * Build output, dependencies, dot-entries (temporary builds, editor state) and the API types
 * generated for type-checking (generated/) are not sources; nor are type declarations, which emit nothing.
 */
const NOT_SOURCES = new Set(['dist', 'node_modules', 'generated']);
function isSource(name: string): boolean {
  return !name.startsWith('.') && !NOT_SOURCES.has(name) && !name.endsWith('.d.ts');
}

/** The first source file or folder under `dir` changed after `since`; a folder's time covers files deleted from it. */
function changedSince(dir: string, since: number): string | null {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!isSource(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (fs.statSync(full).mtimeMs > since) return full;
    if (entry.isDirectory()) {
      const inner = changedSince(full, since);
      if (inner) return inner;
    }
  }
  return null;
}

/** Whether web/dist is there and newer than every source under web/. */
export function consoleBuildState(webDir = WEB_DIR): ConsoleBuildState {
  let builtAt: number;
  try {
    builtAt = fs.statSync(manifestOf(distDir(webDir))).mtimeMs;
  } catch {
    return { state: 'missing' };
  }
  const changed = changedSince(webDir, builtAt);
  return changed ? { state: 'stale', changed: path.relative(webDir, changed) } : { state: 'fresh' };
}

/**
 * Builds the console with Vite into a fresh folder and swaps it in, so a server (or a second
 * build started at the same time by another node or test run) never sees half a build.
 */
export async function buildConsole(webDir = WEB_DIR, logLevel: 'info' | 'warn' | 'error' | 'silent' = 'warn'): Promise<void> {
  const { build } = await import('vite');
  const startedAt = new Date();
  const fresh = path.join(webDir, `.dist-${process.pid}-${startedAt.getTime()}`);
  const old = `${fresh}.old`;
  // Vite takes React's development build whenever NODE_ENV is set to anything else (vitest sets
  // `test`), and a console built by the test run would then be served by `npm start`.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: path.join(webDir, 'vite.config.ts'), root: webDir, logLevel, build: { outDir: fresh, emptyOutDir: true } });
    // A source saved while Vite was reading is newer than this and makes the next start build again.
    fs.utimesSync(manifestOf(fresh), startedAt, startedAt);
    try {
      fs.renameSync(distDir(webDir), old);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      fs.renameSync(fresh, distDir(webDir));
    } catch (err) {
      // Another build of the same sources was swapped in meanwhile; it serves as well as this one.
      if (!['ENOTEMPTY', 'EEXIST'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
    fs.rmSync(fresh, { recursive: true, force: true });
    fs.rmSync(old, { recursive: true, force: true });
  }
}

/** Builds the console when web/dist is missing or older than its sources (`npm start`, the test run). */
export async function ensureConsoleBuilt(log: (line: string) => void, webDir = WEB_DIR): Promise<void> {
  const s = consoleBuildState(webDir);
  if (s.state === 'fresh') return;
  log(s.state === 'missing' ? '正在构建网页控制台 Building the web console…' : `网页控制台源文件有改动（${s.changed}），正在重新构建 Rebuilding the web console…`);
  await buildConsole(webDir);
}
