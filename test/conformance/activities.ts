import { activityInfo } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

/**
 * Activities for the conformance workflows. `released` records compensations
 * so a test can see what a cancelled workflow did on its way out.
 */
export function createActivities(released: Set<string>) {
  return {
    async greet(name: string): Promise<string> {
      return `Hello, ${name}`;
    },

    /** Fails its first `failures` attempts, then answers with the attempt that succeeded. */
    async succeedAfter(failures: number): Promise<number> {
      const { attempt } = activityInfo();
      if (attempt <= failures) throw ApplicationFailure.retryable(`attempt ${attempt} fails on purpose`, 'Flaky');
      return attempt;
    },

    async releaseHold(holdId: string): Promise<void> {
      released.add(holdId);
    },
  };
}

export type ConformanceActivities = ReturnType<typeof createActivities>;
