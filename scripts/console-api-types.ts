/**
 * Writes the console's API types (web/generated/openapi.d.ts) from the server's OpenAPI document,
 * so the console is type-checked against the routes as they are. The file is generated, not
 * committed: `npm run web:types` refreshes it for an editor, and test/console.test.ts does so
 * before type-checking web/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { COMMENT_HEADER, astToString, type OpenAPI3 } from 'openapi-typescript';

export const API_TYPES_FILE = fileURLToPath(new URL('../web/generated/openapi.d.ts', import.meta.url));

export async function apiTypes(document: unknown): Promise<string> {
  const nodes = await openapiTS(document as OpenAPI3, { alphabetize: true });
  return COMMENT_HEADER + astToString(nodes);
}

/** Writes only when the text changed, so an unchanged file keeps its time stamp. */
export async function writeApiTypes(document: unknown, file = API_TYPES_FILE): Promise<void> {
  const text = await apiTypes(document);
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** The document of a Kefu built on a throw-away embedded database (no migration needed to describe routes). */
async function documentOfFreshKefu(): Promise<unknown> {
  const { buildKefu } = await import('../server/app.ts');
  const { loadConfig } = await import('../server/config.ts');
  const { openDatabase } = await import('../server/db/client.ts');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kefu-api-types-'));
  const config = loadConfig({ KEFU_DATA_DIR: dataDir, KEFU_LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv);
  const database = await openDatabase({ databaseUrl: null, dataDir });
  try {
    const kefu = await buildKefu({ config, database, logger: false });
    const doc = kefu.app.swagger();
    await kefu.close();
    return doc;
  } finally {
    await database.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await writeApiTypes(await documentOfFreshKefu());
  console.log(`wrote ${path.relative(process.cwd(), API_TYPES_FILE)}`);
}
