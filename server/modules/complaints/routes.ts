import type { Config } from '../../config.ts';
import type { FileStore } from '../../platform/files/store.ts';
import type { App } from '../../platform/http/app-types.ts';
import type { JobRunner } from '../../platform/jobs/runner.ts';

export function complaintRoutes(_app: App, _deps: { jobs: JobRunner; files: FileStore; config: Config }): void {}
