import { NativeConnection, Worker } from '@temporalio/worker';
import type { PurchaseActivities } from '../activities';

export interface PurchaseWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: PurchaseActivities;
}

/** A worker that runs the purchase workflow and its (local) activities. */
export function createPurchaseWorker(options: PurchaseWorkerOptions): Promise<Worker> {
  return Worker.create({
    ...options,
    workflowsPath: require.resolve('../workflows'),
  });
}
