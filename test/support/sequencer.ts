import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The files that run for minutes, started first: with two workers, a long file started last would be the
 * suite's tail. A fresh clone has no timing cache, so the default order (larger files first) cannot know them.
 */
// By the last clean CI run (crash-recovery 118 s, bad-input 87 s, fault-paths 114 s at 80 paths, now 40: about half).
const LONGEST_FIRST = [
  'test/e2e/crash-recovery.test.ts',
  'test/e2e/bad-input.test.ts',
  'test/e2e/fault-paths.test.ts',
  'test/e2e/authorization.test.ts',
  'test/cli/start.test.ts',
  'test/e2e/api-fuzz.test.ts',
  'test/e2e/activity-launch.test.ts',
  'test/e2e/member-invoicing-pages.test.ts',
  'test/e2e/browser.test.ts',
  'test/e2e/young-person-pages.test.ts',
  'test/e2e/deadlines.test.ts',
  'test/e2e/concurrency.test.ts',
  'test/e2e/onboarding-staff-pages.test.ts',
];

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const index = LONGEST_FIRST.findIndex((path) => spec.moduleId.endsWith(path));
      return index === -1 ? LONGEST_FIRST.length : index;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
