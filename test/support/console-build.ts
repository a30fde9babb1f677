import { ensureConsoleBuilt } from '../../server/platform/console/build.ts';

/**
 * Vitest global setup: the served console (and the Kefu processes tests start with `npm start`'s
 * code path) need web/dist; it is built once here when missing or stale, not by each test file.
 */
export default async function setup(): Promise<void> {
  await ensureConsoleBuilt((line) => console.log(line));
}
