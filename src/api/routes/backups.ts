import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { BackupClient } from '../../backups/backup-client';
import { requireAdmin } from '../middleware/auth';

/** An operator's backup now, before a sale or a risky change; the same workflow the daily schedule runs. */
export function backupRoutes({ backups, authenticate }: { backups: BackupClient; authenticate: Middleware }): Router {
  const router = new Router({ prefix: '/api/v1' });
  router.post('/admin/backups', authenticate, requireAdmin, async (ctx) => {
    ctx.status = 201;
    ctx.body = await backups.run();
  });
  return router;
}
