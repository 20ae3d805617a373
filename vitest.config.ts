import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/support/sequencer.js';

/**
 * The folders whose files share one module graph, one after the other in one worker thread (the `threads` pool
 * without isolation): vitest then loads the SDK, zod, pdfkit and the app's modules once instead of once per file
 * (collecting took 77 s of the 2 cores for these files isolated, 16-26 s shared; the whole suite 577 s → 536 s).
 * Their files neither change `process.env` nor keep clients to a local server in module state, nor measure the
 * threads of their process (test/bench does); the other folders' files do, so each of them gets a process of its
 * own (`forks`, two at a time). vitest's forks pool cannot do both: its isolation is one setting for every project.
 * The thread is a third worker beside the two forks: its files are short and mostly light.
 */
const UNISOLATED = ['test/domain', 'test/invoicing', 'test/contracts', 'test/infra', 'test/pages', 'test/support'];

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    sequence: { sequencer: LongestFirstSequencer },
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 }, threads: { isolate: false, maxThreads: 1, minThreads: 1 } },
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_REGION: 'eu-west-3',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_DEV: 'false',
      POWERTOOLS_LOG_LEVEL: 'WARN',
      POWERTOOLS_METRICS_DISABLED: 'true',
      TZ: 'UTC',
    },
    projects: [
      { extends: true, test: { name: 'shared-module-graph', include: UNISOLATED.map((dir) => `${dir}/**/*.test.ts`), pool: 'threads' } },
      { extends: true, test: { name: 'isolated', include: ['test/**/*.test.ts'], exclude: UNISOLATED.map((dir) => `${dir}/**`) } },
    ],
  },
});
