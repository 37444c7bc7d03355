/**
 * Backups and restore: the admin API runs the backup workflow (pg_dump on the
 * reconciliation task queue), the newest BACKUP_KEEP dumps stay, and a dump
 * restored into a fresh database keeps every invariant of the sale before it.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { checkSaleInvariants } from '../tools/lib/invariants';
import { startPulseCart, type Harness } from './support/harness';
import { waitForRest } from './support/invariants';

const run = promisify(execFile);

describe('backups', () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'pulsecart-backups-'));
    h = await startPulseCart({ BACKUP_DIR: dir, BACKUP_KEEP: 2 });
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const backUp = async () => h.request('POST', '/api/v1/admin/backups', { token: await h.adminToken() });

  it('when a buyer asks for a backup, then it is 403 and no dump is made', async () => {
    const refused = await h.request('POST', '/api/v1/admin/backups', { token: await h.token(h.buyer()) });

    expect(refused.status).toBe(403);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('when backups run again and again, then the newest BACKUP_KEEP stay and the older are deleted', async () => {
    const reports = [];
    for (let i = 0; i < 3; i += 1) reports.push((await backUp()).body);

    expect(reports[2].removed).toEqual([reports[0].file]);
    expect(readdirSync(dir).sort()).toEqual([path.basename(reports[1].file), path.basename(reports[2].file)]);
    expect(existsSync(reports[0].file)).toBe(false);
  });

  it('when a dump of a sale is restored into a fresh database, then every invariant holds on it', async () => {
    const { id: productId } = await h.createProduct({ stock: 5, maxPerUser: 2 });
    const accepted: string[] = [];
    for (const [buyer, quantity] of [
      ['alice', 2],
      ['alice', 1],
      ['bob', 2],
      ['carol', 2],
    ] as const) {
      const answer = await h.request('POST', '/api/v1/sync/purchase', {
        token: await h.token(`${buyer}-${productId}`),
        body: { productId, quantity },
      });
      if (answer.body.trackingId) accepted.push(answer.body.trackingId);
    }
    const statuses = await waitForRest(h, accepted);
    const backup = await backUp();
    expect(backup.status).toBe(201);
    expect(backup.body.bytes).toBeGreaterThan(0);

    const database = `pulsecart_restore_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const admin = new Pool({ connectionString: h.config.DATABASE_URL, max: 1 });
    await admin.query(`CREATE DATABASE ${database}`);
    const restoredUrl = Object.assign(new URL(h.config.DATABASE_URL), { pathname: `/${database}` }).toString();
    const restored = new Pool({ connectionString: restoredUrl, max: 2 });
    try {
      await run('pg_restore', ['--no-owner', `--dbname=${restoredUrl}`, backup.body.file]);

      // The restored PostgreSQL, with Redis and the purchases' statuses as the sale left them.
      const report = await checkSaleInvariants(
        { pool: restored, redis: h.redis, readStatus: async (trackingId) => statuses.get(trackingId) },
        { productId, initialStock: 5, maxPerUser: 2, accepted },
      );
      expect(report.violations).toEqual([]);
      expect(report.confirmedQuantity).toBe(4);
      // alice's second purchase (her limit) and carol's (2 of 1 left) were refused at the gate, without a workflow.
      expect([...report.statuses.values()]).toEqual(['CONFIRMED', 'CONFIRMED']);
    } finally {
      await restored.end();
      await admin.query(`DROP DATABASE ${database}`);
      await admin.end();
    }
  });
});
