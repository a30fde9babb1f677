import type { App } from '../../platform/http/app-types.ts';
import type { JobRunner } from '../../platform/jobs/runner.ts';

export function slaRoutes(_app: App, _deps: { jobs: JobRunner }): void {}
