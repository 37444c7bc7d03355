/** Starting backups from outside the worker: the daily schedule and an admin's request. */
import { randomUUID } from 'node:crypto';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { BackupReport, backupDatabase } from '../workflows/backup';
import { reconcileTaskQueue } from '../workflows/shared';

export const BACKUP_WORKFLOW = 'backupDatabase';
export const BACKUP_SCHEDULE_ID = 'backup-database';

/**
 * Backups run on the reconciliation task queue: never behind purchases, and
 * never holding a purchase's slot while pg_dump runs.
 */
export class BackupClient {
  private readonly taskQueue: string;

  constructor(
    private readonly temporal: Client,
    purchaseTaskQueue: string,
  ) {
    this.taskQueue = reconcileTaskQueue(purchaseTaskQueue);
  }

  /**
   * Runs a backup at each time of the cron expression (UTC); one still going
   * when the next is due is skipped. Idempotent; a schedule aimed at another
   * task queue or time is made anew.
   */
  async ensureSchedule(cron: string): Promise<void> {
    const existing = this.temporal.schedule.getHandle(BACKUP_SCHEDULE_ID);
    const description = await existing.describe().catch((err) => {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    });
    // The server keeps a cron expression as calendars: the expression itself is kept in the memo to compare.
    if (description?.action.taskQueue === this.taskQueue && description.memo?.cron === cron) return;
    if (description) await existing.delete();
    try {
      await this.temporal.schedule.create({
        scheduleId: BACKUP_SCHEDULE_ID,
        spec: { cronExpressions: [cron] },
        action: { type: 'startWorkflow', workflowType: BACKUP_WORKFLOW, taskQueue: this.taskQueue, args: [] },
        policies: { overlap: 'SKIP' },
        memo: { cron },
      });
    } catch (err) {
      // Another worker starting at the same moment made it first.
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    }
  }

  /** Runs a backup now and waits for its report. */
  run(): Promise<BackupReport> {
    return this.temporal.workflow.execute<typeof backupDatabase>(BACKUP_WORKFLOW, {
      taskQueue: this.taskQueue,
      workflowId: `backup-${randomUUID()}`,
    });
  }
}
