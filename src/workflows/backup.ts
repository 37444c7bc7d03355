import { proxyActivities } from '@temporalio/workflow';
import type { BackupActivities, DatabaseDump } from '../backups/backup-activities';

/** A dump of a large database takes minutes; a failed one is retried a few times, then the run fails. */
const { dumpDatabase, pruneBackups } = proxyActivities<BackupActivities>({
  startToCloseTimeout: '1h',
  retry: { initialInterval: '10s', maximumInterval: '5m', maximumAttempts: 3 },
});

export interface BackupReport extends DatabaseDump {
  /** Older dumps deleted to keep the newest BACKUP_KEEP. */
  removed: string[];
}

/** Dumps the database, then prunes: a failed dump never costs an older one. */
export async function backupDatabase(): Promise<BackupReport> {
  const dump = await dumpDatabase();
  return { ...dump, removed: await pruneBackups() };
}
