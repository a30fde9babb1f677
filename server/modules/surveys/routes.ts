import type { Config } from '../../config.ts';
import type { App } from '../../platform/http/app-types.ts';
import type { JobRunner } from '../../platform/jobs/runner.ts';

export function surveyRoutes(_app: App, _deps: { jobs: JobRunner; config: Config }): void {}
