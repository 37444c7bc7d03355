/**
 * Backups of PulseCart's PostgreSQL database: `pg_dump` in its custom format
 * (restored with `pg_restore`) into the data folder, the newest N kept.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

export interface BackupSettings {
  databaseUrl: string;
  /** Where the dumps go. */
  dir: string;
  /** How many dumps are kept; older ones are deleted after each new one. */
  keep: number;
}

export interface DatabaseDump {
  file: string;
  bytes: number;
}

/** The database name and a UTC timestamp that sorts as text: names sort oldest first. */
const DUMP_NAME = /^[\w-]+-\d{8}T\d{6}\d{3}Z\.dump$/;

function dumpName(databaseUrl: string, at: Date): string {
  const database = decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) || 'postgres';
  return `${database.replace(/[^\w-]/g, '_')}-${at.toISOString().replace(/[-:.]/g, '')}.dump`;
}

export function createBackupActivities({ databaseUrl, dir, keep }: BackupSettings) {
  return {
    /** Written under a temporary name and renamed when complete, so a half-written dump is never listed. */
    async dumpDatabase(): Promise<DatabaseDump> {
      await mkdir(dir, { recursive: true });
      const file = path.resolve(dir, dumpName(databaseUrl, new Date()));
      const partial = `${file}.partial`;
      try {
        await promisify(execFile)('pg_dump', ['--format=custom', '--no-owner', `--file=${partial}`, databaseUrl]);
        await rename(partial, file);
      } finally {
        await rm(partial, { force: true });
      }
      return { file, bytes: (await stat(file)).size };
    },

    /** Deletes all but the newest `keep` dumps; returns the files deleted. */
    async pruneBackups(): Promise<string[]> {
      const dumps = (await readdir(dir)).filter((name) => DUMP_NAME.test(name)).sort();
      const old = dumps.slice(0, Math.max(0, dumps.length - keep)).map((name) => path.resolve(dir, name));
      await Promise.all(old.map((file) => rm(file, { force: true })));
      return old;
    },
  };
}

export type BackupActivities = ReturnType<typeof createBackupActivities>;
